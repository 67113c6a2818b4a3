#include "storage/outbox_store.hpp"

#include <sstream>

#include <soci/soci.h>

#include "storage/soci_guard.hpp"
#include "storage/soci_rows.hpp"

namespace deskgate {

namespace {

std::vector<std::string> splitSpaces(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

std::string joinSpaces(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
    return out;
}

const char* kOutboxColumns =
    "id, ticket_id, kind, mail_from, recipients, message_id, raw, status, attempts, next_attempt_at, last_error,"
    " created_at, sent_at";

OutboxRecord outboxFromRow(const soci::row& r) {
    OutboxRecord o;
    o.id = intAt(r, 0);
    o.ticket_id = optIntAt(r, 1);
    o.kind = strAt(r, 2);
    o.mail_from = strAt(r, 3);
    o.recipients = splitSpaces(strAt(r, 4));
    o.message_id = strAt(r, 5);
    o.raw = decodeRaw(strAt(r, 6));  // base64: PostgreSQL's text takes no 8-bit Latin-1
    o.status = strAt(r, 7);
    o.attempts = static_cast<int>(intAt(r, 8));
    o.next_attempt_at = intAt(r, 9);
    o.last_error = strAt(r, 10);
    o.created_at = intAt(r, 11);
    o.sent_at = optIntAt(r, 12);
    return o;
}

struct QueueMail : Prepared {
    long long ticket = 0, next = 0, created = 0, id = 0;
    soci::indicator ticketI = soci::i_null;
    std::string kind, mail_from, recipients, message_id, raw;
    soci::statement st;
    explicit QueueMail(soci::session& s)
        : st((s.prepare << "INSERT INTO outbox (ticket_id, kind, mail_from, recipients, message_id, raw, status,"
                           " attempts, next_attempt_at, created_at) VALUES (:t, :k, :f, :r, :mid, :raw, 'queued', 0,"
                           " :n, :c) RETURNING id",
              soci::use(ticket, ticketI), soci::use(kind), soci::use(mail_from), soci::use(recipients),
              soci::use(message_id), soci::use(raw), soci::use(next), soci::use(created), soci::into(id))) {}
};

struct MarkSent : Prepared {
    long long id = 0, at = 0;
    soci::statement st;
    explicit MarkSent(soci::session& s)
        : st((s.prepare << "UPDATE outbox SET status = 'sent', sent_at = :t, attempts = attempts + 1,"
                           " locked_until = 0, last_error = '' WHERE id = :id",
              soci::use(at), soci::use(id))) {}
};

// PostgreSQL: the update and the event in one statement (a data-modifying WITH).
struct MarkSentNoting : Prepared {
    long long id = 0, at = 0;
    std::string detail;
    soci::statement st;
    explicit MarkSentNoting(soci::session& s)
        : st((s.prepare << "WITH sent AS (UPDATE outbox SET status = 'sent', sent_at = :t, attempts = attempts + 1,"
                           " locked_until = 0, last_error = '' WHERE id = :id RETURNING ticket_id)"
                           " INSERT INTO events (ticket_id, at, actor, type, detail)"
                           " SELECT ticket_id, :t2, 'system', 'sent', :d FROM sent WHERE ticket_id IS NOT NULL",
              soci::use(at), soci::use(id), soci::use(at), soci::use(detail))) {}
};

}  // namespace

OutboxStore::QueuedRow OutboxStore::rowOf(const OutboxRecord& m) {
    QueuedRow row;
    if (m.ticket_id) row.ticket = *m.ticket_id;
    row.kind = m.kind;
    row.mail_from = m.mail_from;
    row.recipients = joinSpaces(m.recipients);
    row.message_id = m.message_id;
    row.raw_b64 = encodeRaw(m.raw);
    row.next = m.next_attempt_at;
    row.created = m.created_at;
    return row;
}

namespace {

// PostgreSQL: a transaction's mail ten rows per statement (VALUES with bound values; an array
// literal of the mails' bytes cost the server more to take apart than the round trips it saved).
struct QueueTenMails : Prepared {
    static constexpr int kRows = 10;
    long long ticket[kRows] = {}, next[kRows] = {}, created[kRows] = {};
    soci::indicator ticketI[kRows] = {};
    std::string kind[kRows], mail_from[kRows], recipients[kRows], message_id[kRows], raw[kRows];
    soci::statement st;
    explicit QueueTenMails(soci::session& s) : st(s) {
        std::string sql = "INSERT INTO outbox (ticket_id, kind, mail_from, recipients, message_id, raw, status,"
                          " attempts, next_attempt_at, created_at) VALUES ";
        for (int i = 0; i < kRows; ++i) {
            const std::string n = std::to_string(i);
            sql += (i ? ", " : "") + std::string("(:t") + n + ", :k" + n + ", :f" + n + ", :r" + n + ", :m" + n +
                   ", :raw" + n + ", 'queued', 0, :n" + n + ", :c" + n + ")";
            st.exchange(soci::use(ticket[i], ticketI[i]));
            st.exchange(soci::use(kind[i]));
            st.exchange(soci::use(mail_from[i]));
            st.exchange(soci::use(recipients[i]));
            st.exchange(soci::use(message_id[i]));
            st.exchange(soci::use(raw[i]));
            st.exchange(soci::use(next[i]));
            st.exchange(soci::use(created[i]));
        }
        st.alloc();
        st.prepare(sql);
        st.define_and_bind();
    }
};

}  // namespace

std::int64_t OutboxStore::insertRow(SociDatabase& db, const QueuedRow& r) {
    return withPrepared<QueueMail>(db, "queueing a mail", [&](QueueMail& q) {
        q.ticket = r.ticket.value_or(0);
        q.ticketI = r.ticket ? soci::i_ok : soci::i_null;
        q.kind = r.kind;
        q.mail_from = r.mail_from;
        q.recipients = r.recipients;
        q.message_id = r.message_id;
        q.raw = r.raw_b64;
        q.next = r.next;
        q.created = r.created;
        runOnce(q.st);
        return static_cast<std::int64_t>(q.id);
    });
}

OutboxStore::OutboxStore(SociDatabase& db)
    : db_(db), queued_([&db](const std::vector<QueuedRow>& rows) {
          if (db.backend() == Backend::sqlite) {  // in-process: a prepared INSERT per row costs no round trip
              for (const auto& r : rows) insertRow(db, r);
              return;
          }
          std::size_t i = 0;
          for (; i + QueueTenMails::kRows <= rows.size(); i += QueueTenMails::kRows)
              withPrepared<QueueTenMails>(db, "queueing mail", [&](QueueTenMails& q) {
                  for (int k = 0; k < QueueTenMails::kRows; ++k) {
                      const auto& r = rows[i + static_cast<std::size_t>(k)];
                      q.ticket[k] = r.ticket.value_or(0);
                      q.ticketI[k] = r.ticket ? soci::i_ok : soci::i_null;
                      q.kind[k] = r.kind;
                      q.mail_from[k] = r.mail_from;
                      q.recipients[k] = r.recipients;
                      q.message_id[k] = r.message_id;
                      q.raw[k] = r.raw_b64;
                      q.next[k] = r.next;
                      q.created[k] = r.created;
                  }
                  q.st.execute(true);
              });
          for (; i < rows.size(); ++i) insertRow(db, rows[i]);
      }) {
    db_.holdBack(queued_);
}

std::int64_t OutboxStore::queueMail(const OutboxRecord& m) {
    return insertRow(db_, rowOf(m));
}

void OutboxStore::queue(const OutboxRecord& m) {
    if (db_.inTransaction())
        queued_.add(rowOf(m));
    else
        queueMail(m);
}

std::string OutboxStore::claimSql(Backend backend, int limit) {
    // PostgreSQL: several daemons claim disjoint rows without waiting on each other.
    return std::string("SELECT ") + kOutboxColumns +
           " FROM outbox WHERE status = 'queued' AND next_attempt_at <= :n AND locked_until <= :n2 ORDER BY id LIMIT " +
           std::to_string(limit) + (backend == Backend::postgresql ? " FOR UPDATE SKIP LOCKED" : "");
}

std::vector<OutboxRecord> OutboxStore::claimDueMail(UnixTime now, int limit, int lease_seconds,
                                                     const std::string& holder) {
    std::vector<OutboxRecord> out;
    db_.transaction([&] {
        guarded("claiming outbox mail", [&] {
            long long n = now, until = now + lease_seconds;
            soci::rowset<soci::row> rows =
                (sql().prepare << claimSql(db_.backend(), limit), soci::use(n), soci::use(n));
            for (const auto& r : rows) out.push_back(outboxFromRow(r));
            if (out.empty()) return 0;
            // One statement for the batch; the ids are the database's own integers.
            std::string ids;
            for (const auto& o : out) ids += (ids.empty() ? "" : ",") + std::to_string(o.id);
            sql() << "UPDATE outbox SET locked_until = :u, claimed_by = :h WHERE id IN (" + ids + ")", soci::use(until),
                soci::use(holder);
            return 0;
        });
    });
    return out;
}

std::vector<std::int64_t> OutboxStore::renewClaims(const std::vector<std::int64_t>& ids, const std::string& holder,
                                                   UnixTime until) {
    std::vector<std::int64_t> kept;
    db_.transaction([&] {
        guarded("renewing outbox claims", [&] {
            long long u = until;
            for (auto id : ids) {
                long long i = id;
                soci::statement st = (sql().prepare << "UPDATE outbox SET locked_until = :u WHERE id = :id"
                                                       " AND claimed_by = :h AND status = 'queued'",
                                      soci::use(u), soci::use(i), soci::use(holder));
                st.execute(true);
                if (st.get_affected_rows() == 1) kept.push_back(id);
            }
            return 0;
        });
    });
    return kept;
}

void OutboxStore::releaseClaims(const std::vector<std::int64_t>& ids, const std::string& holder) {
    if (ids.empty()) return;
    db_.transaction([&] {
        guarded("releasing outbox claims", [&] {
            for (auto id : ids) {
                long long i = id;
                sql() << "UPDATE outbox SET locked_until = 0 WHERE id = :id AND claimed_by = :h AND status = 'queued'",
                    soci::use(i), soci::use(holder);
            }
            return 0;
        });
    });
}

int OutboxStore::releaseAllClaims(const std::string& holder) {
    return guarded("releasing outbox claims", [&] {
        soci::statement st = (sql().prepare << "UPDATE outbox SET locked_until = 0 WHERE claimed_by = :h"
                                               " AND status = 'queued' AND locked_until > 0",
                              soci::use(holder));
        st.execute(true);
        return static_cast<int>(st.get_affected_rows());
    });
}

std::vector<std::string> OutboxStore::claimants(UnixTime now) {
    return guarded("reading outbox claims", [&] {
        std::vector<std::string> out;
        long long n = now;
        soci::rowset<std::string> rows = (sql().prepare << "SELECT DISTINCT claimed_by FROM outbox WHERE status = 'queued'"
                                                           " AND locked_until > :n AND claimed_by <> ''",
                                          soci::use(n));
        for (const auto& h : rows) out.push_back(h);
        return out;
    });
}

void OutboxStore::markSent(std::int64_t id, UnixTime at) {
    withPrepared<MarkSent>(db_, "marking mail sent", [&](MarkSent& q) {
        q.id = id;
        q.at = at;
        q.st.execute(true);
    });
}

void OutboxStore::markSentNoting(std::int64_t id, UnixTime at, const std::string& detail) {
    if (db_.backend() == Backend::postgresql) {
        withPrepared<MarkSentNoting>(db_, "marking mail sent", [&](MarkSentNoting& q) {
            q.id = id;
            q.at = at;
            q.detail = detail;
            q.st.execute(true);
        });
        return;
    }
    db_.transaction([&] {  // SQLite has no UPDATE in WITH; in-process, two statements cost no round trip
        markSent(id, at);
        guarded("marking mail sent", [&] {
            long long i = id, t = at;
            sql() << "INSERT INTO events (ticket_id, at, actor, type, detail) SELECT ticket_id, :t, 'system', 'sent', :d"
                     " FROM outbox WHERE id = :id AND ticket_id IS NOT NULL",
                soci::use(t), soci::use(detail), soci::use(i);
            return 0;
        });
    });
}

void OutboxStore::markRetry(std::int64_t id, int attempts, UnixTime next_attempt, const std::string& error) {
    guarded("scheduling a retry", [&] {
        long long i = id, n = next_attempt;
        sql() << "UPDATE outbox SET attempts = :a, next_attempt_at = :n, last_error = :e, locked_until = 0"
                 " WHERE id = :id",
            soci::use(attempts), soci::use(n), soci::use(error), soci::use(i);
        return 0;
    });
}

void OutboxStore::markFailed(std::int64_t id, int attempts, const std::string& error) {
    guarded("marking mail failed", [&] {
        long long i = id;
        sql() << "UPDATE outbox SET status = 'failed', attempts = :a, last_error = :e, locked_until = 0 WHERE id = :id",
            soci::use(attempts), soci::use(error), soci::use(i);
        return 0;
    });
}

std::optional<UnixTime> OutboxStore::nextOutboxAttempt() {
    return guarded("reading the outbox", [&]() -> std::optional<UnixTime> {
        long long next = 0;
        soci::indicator ind = soci::i_null;
        sql() << "SELECT MIN(CASE WHEN locked_until > next_attempt_at THEN locked_until ELSE next_attempt_at END)"
                 " FROM outbox WHERE status = 'queued'",
            soci::into(next, ind);
        if (ind == soci::i_null) return std::nullopt;
        return next;
    });
}

std::vector<OutboxRecord> OutboxStore::listOutbox(const std::string& status) {
    return guarded("reading the outbox", [&] {
        std::vector<OutboxRecord> out;
        soci::rowset<soci::row> rows =
            (sql().prepare << std::string("SELECT ") + kOutboxColumns + " FROM outbox WHERE status = :s ORDER BY id",
             soci::use(status));
        for (const auto& r : rows) out.push_back(outboxFromRow(r));
        return out;
    });
}

}  // namespace deskgate
