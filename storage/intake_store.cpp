#include "storage/intake_store.hpp"

#include <soci/soci.h>

#include "storage/soci_guard.hpp"
#include "storage/soci_rows.hpp"

namespace deskgate {

namespace {

// The statements run for every mail, prepared once per session (database.hpp's Prepared).

struct IntakeOutcome : Prepared {
    std::string mailbox, outcome;
    long long uidvalidity = 0, uid = 0;
    soci::statement st;
    explicit IntakeOutcome(soci::session& s)
        : st((s.prepare << "SELECT outcome FROM intake_log WHERE mailbox = :m AND uidvalidity = :v AND uid = :u"
                           " AND uid > 0",
              soci::use(mailbox), soci::use(uidvalidity), soci::use(uid), soci::into(outcome))) {}
};

struct IntakeOutcomes : Prepared {
    std::string mailbox, outcome;
    long long uidvalidity = 0, first = 0, last = 0, uid = 0;
    soci::statement st;
    explicit IntakeOutcomes(soci::session& s)
        : st((s.prepare << "SELECT uid, outcome FROM intake_log WHERE mailbox = :m AND uidvalidity = :v"
                           " AND uid >= :f AND uid <= :l AND uid > 0",
              soci::use(mailbox), soci::use(uidvalidity), soci::use(first), soci::use(last), soci::into(uid),
              soci::into(outcome))) {}
};

struct RecordIntake : Prepared {
    std::string mailbox, message_id, outcome, detail;
    long long uidvalidity = 0, uid = 0, ticket = 0, at = 0;
    soci::indicator ticketI = soci::i_null;
    soci::statement st;
    explicit RecordIntake(soci::session& s)
        : st((s.prepare << "INSERT INTO intake_log (mailbox, uidvalidity, uid, message_id, outcome, ticket_id, at,"
                           " detail) VALUES (:m, :v, :u, :id, :o, :t, :at, :d)",
              soci::use(mailbox), soci::use(uidvalidity), soci::use(uid), soci::use(message_id), soci::use(outcome),
              soci::use(ticket, ticketI), soci::use(at), soci::use(detail))) {}
};

// PostgreSQL: a transaction's intake log in one statement (arrays taken apart by unnest, in order).
struct RecordIntakes : Prepared {
    std::string mailboxes, uidvalidities, uids, message_ids, outcomes, tickets, ats, details;
    soci::statement st;
    explicit RecordIntakes(soci::session& s)
        : st((s.prepare << "INSERT INTO intake_log (mailbox, uidvalidity, uid, message_id, outcome, ticket_id, at,"
                           " detail) SELECT m, v, u, mid, o, t, a, d FROM unnest(CAST(:m AS TEXT[]),"
                           " CAST(:v AS BIGINT[]), CAST(:u AS BIGINT[]), CAST(:mid AS TEXT[]), CAST(:o AS TEXT[]),"
                           " CAST(:t AS BIGINT[]), CAST(:a AS BIGINT[]), CAST(:d AS TEXT[])) WITH ORDINALITY"
                           " AS x(m, v, u, mid, o, t, a, d, n) ORDER BY n",
              soci::use(mailboxes), soci::use(uidvalidities), soci::use(uids), soci::use(message_ids),
              soci::use(outcomes), soci::use(tickets), soci::use(ats), soci::use(details))) {}
};

}  // namespace

std::optional<std::string> IntakeStore::intakeOutcome(const MailOrigin& o) {
    return withPrepared<IntakeOutcome>(db_, "reading the intake log", [&](IntakeOutcome& q) -> std::optional<std::string> {
        q.mailbox = o.mailbox;
        q.uidvalidity = o.uidvalidity;
        q.uid = o.uid;
        if (!runOnce(q.st)) return std::nullopt;
        return q.outcome;
    });
}

std::map<std::int64_t, std::string> IntakeStore::intakeOutcomes(const std::string& mailbox, std::int64_t uidvalidity,
                                                                std::int64_t first, std::int64_t last) {
    return withPrepared<IntakeOutcomes>(db_, "reading the intake log", [&](IntakeOutcomes& q) {
        std::map<std::int64_t, std::string> out;
        q.mailbox = mailbox;
        q.uidvalidity = uidvalidity;
        q.first = first;
        q.last = last;
        q.st.execute();
        while (q.st.fetch()) out[q.uid] = q.outcome;
        return out;
    });
}

void IntakeStore::insertRow(SociDatabase& db, const LogRow& row) {
    withPrepared<RecordIntake>(db, "writing the intake log", [&](RecordIntake& q) {
        q.mailbox = row.origin.mailbox;
        q.uidvalidity = row.origin.uidvalidity;
        q.uid = row.origin.uid;
        q.message_id = row.message_id;
        q.outcome = row.outcome;
        q.ticket = row.ticket_id.value_or(0);
        q.ticketI = row.ticket_id ? soci::i_ok : soci::i_null;
        q.at = row.at;
        q.detail = row.detail;
        q.st.execute(true);
    });
}

IntakeStore::IntakeStore(SociDatabase& db)
    : db_(db), logged_([&db](const std::vector<LogRow>& rows) {
          if (db.backend() == Backend::sqlite) {  // in-process: a prepared INSERT per row costs no round trip
              for (const auto& r : rows) insertRow(db, r);
              return;
          }
          withPrepared<RecordIntakes>(db, "writing the intake log", [&](RecordIntakes& q) {
              q.mailboxes = arrayOf(rows, [](const LogRow& r) -> const std::string& { return r.origin.mailbox; });
              q.uidvalidities = arrayOf(rows, [](const LogRow& r) { return r.origin.uidvalidity; });
              q.uids = arrayOf(rows, [](const LogRow& r) { return r.origin.uid; });
              q.message_ids = arrayOf(rows, [](const LogRow& r) -> const std::string& { return r.message_id; });
              q.outcomes = arrayOf(rows, [](const LogRow& r) -> const std::string& { return r.outcome; });
              q.tickets = arrayOf(rows, [](const LogRow& r) { return r.ticket_id; });
              q.ats = arrayOf(rows, [](const LogRow& r) { return r.at; });
              q.details = arrayOf(rows, [](const LogRow& r) -> const std::string& { return r.detail; });
              q.st.execute(true);
          });
      }) {
    db_.holdBack(logged_);
}

void IntakeStore::recordIntake(const MailOrigin& o, const std::string& message_id, const std::string& outcome,
                               std::optional<std::int64_t> ticket_id, UnixTime at, const std::string& detail) {
    LogRow row{o, message_id, outcome, ticket_id, at, detail};
    if (db_.inTransaction())
        logged_.add(std::move(row));
    else
        insertRow(db_, row);
}

std::vector<IntakeLogRecord> IntakeStore::intakeLog(const std::string& mailbox, const std::string& outcome, int limit) {
    return guarded("reading the intake log", [&] {
        std::vector<IntakeLogRecord> out;
        soci::rowset<soci::row> rows =
            (sql().prepare << "SELECT l.id, l.mailbox, l.uidvalidity, l.uid, l.message_id, l.outcome, t.number,"
                              " l.detail, l.at FROM intake_log l LEFT JOIN tickets t ON t.id = l.ticket_id"
                              " WHERE (:m = '' OR l.mailbox = :m2) AND (:o = '' OR l.outcome = :o2)"
                              " ORDER BY l.id DESC LIMIT " + std::to_string(limit),
             soci::use(mailbox), soci::use(mailbox), soci::use(outcome), soci::use(outcome));
        for (const auto& r : rows) {
            IntakeLogRecord l;
            l.id = intAt(r, 0);
            l.mailbox = strAt(r, 1);
            l.uidvalidity = intAt(r, 2);
            l.uid = intAt(r, 3);
            l.message_id = strAt(r, 4);
            l.outcome = strAt(r, 5);
            l.ticket_number = optIntAt(r, 6);
            l.detail = strAt(r, 7);
            l.at = intAt(r, 8);
            out.push_back(std::move(l));
        }
        return out;
    });
}

bool IntakeStore::hasMessageId(const std::string& message_id) {
    if (message_id.empty()) return false;
    return guarded("looking up a Message-ID", [&] {
        int n = 0;
        sql() << "SELECT COUNT(*) FROM messages WHERE message_id = :id", soci::use(message_id), soci::into(n);
        if (n > 0) return true;
        // A quarantined mail may come again (or be replayed): it was not taken in.
        sql() << "SELECT COUNT(*) FROM intake_log WHERE message_id = :id AND outcome <> 'quarantined'",
            soci::use(message_id), soci::into(n);
        return n > 0;
    });
}

std::optional<Checkpoint> IntakeStore::checkpoint(const std::string& mailbox) {
    return guarded("reading a mailbox checkpoint", [&]() -> std::optional<Checkpoint> {
        long long v = 0, last = 0, import = 0, first = 0;
        sql() << "SELECT uidvalidity, last_uid, import_until, first_uid FROM mailbox_checkpoints WHERE mailbox = :m",
            soci::use(mailbox), soci::into(v), soci::into(last), soci::into(import), soci::into(first);
        if (!sql().got_data()) return std::nullopt;
        return Checkpoint{mailbox, v, last, import, first};
    });
}

void IntakeStore::saveCheckpoint(const Checkpoint& c, UnixTime at) {
    guarded("saving a mailbox checkpoint", [&] {
        long long v = c.uidvalidity, last = c.last_uid, import = c.import_until, first = c.first_uid, t = at;
        sql() << "INSERT INTO mailbox_checkpoints (mailbox, uidvalidity, last_uid, import_until, first_uid, updated_at)"
                 " VALUES (:m, :v, :l, :i, :f, :t)"
                 " ON CONFLICT (mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity,"
                 " last_uid = excluded.last_uid, import_until = excluded.import_until,"
                 " first_uid = excluded.first_uid, updated_at = excluded.updated_at",
            soci::use(c.mailbox), soci::use(v), soci::use(last), soci::use(import), soci::use(first), soci::use(t);
        return 0;
    });
}

std::int64_t IntakeStore::quarantine(const QuarantineRecord& q) {
    return guarded("quarantining a mail", [&] {
        long long v = q.uidvalidity, u = q.uid, at = q.created_at, id = 0;
        std::string raw = encodeRaw(q.raw);
        sql() << "INSERT INTO quarantine (mailbox, uidvalidity, uid, message_id, reason, raw_b64, created_at)"
                 " VALUES (:m, :v, :u, :mid, :r, :raw, :at) RETURNING id",
            soci::use(q.mailbox), soci::use(v), soci::use(u), soci::use(q.message_id), soci::use(q.reason),
            soci::use(raw), soci::use(at), soci::into(id);
        return static_cast<std::int64_t>(id);
    });
}

std::vector<QuarantineRecord> IntakeStore::listQuarantine(bool with_raw) {
    return guarded("reading the quarantine", [&] {
        std::vector<QuarantineRecord> out;
        std::string raw = with_raw ? "raw_b64" : "''";
        soci::rowset<soci::row> rows =
            sql().prepare << "SELECT id, mailbox, uidvalidity, uid, message_id, reason, " + raw +
                                 ", created_at FROM quarantine WHERE released_at IS NULL ORDER BY id";
        for (const auto& r : rows) {
            QuarantineRecord q;
            q.id = intAt(r, 0);
            q.mailbox = strAt(r, 1);
            q.uidvalidity = intAt(r, 2);
            q.uid = intAt(r, 3);
            q.message_id = strAt(r, 4);
            q.reason = strAt(r, 5);
            if (with_raw) q.raw = decodeRaw(strAt(r, 6));
            q.created_at = intAt(r, 7);
            out.push_back(std::move(q));
        }
        return out;
    });
}

std::optional<QuarantineRecord> IntakeStore::quarantined(std::int64_t id) {
    for (auto& q : listQuarantine(true))
        if (q.id == id) return std::move(q);
    return std::nullopt;
}

void IntakeStore::releaseQuarantine(std::int64_t id, UnixTime at) {
    guarded("releasing a quarantined mail", [&] {
        long long i = id, t = at;
        sql() << "UPDATE quarantine SET released_at = :t WHERE id = :id", soci::use(t), soci::use(i);
        return 0;
    });
}

}  // namespace deskgate
