#include "storage/ticket_store.hpp"

#include <iterator>
#include <sstream>

#include <mimetic/codec/base64.h>
#include <mimetic/codec/code.h>
#include <soci/soci.h>

#include "storage/schema.hpp"
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

const char* kTicketColumns =
    "id, number, subject, status, priority, queue, team, category, tags, sla, customer_address, customer_name,"
    " assignee, language, mailbox, created_at, updated_at, first_response_at, resolved_at, closed_at,"
    " first_response_due, resolution_due, escalations, rating, rating_comment, rated_at, rating_requested_at,"
    " reopened_count, follows_number";

TicketRecord ticketFromRow(const soci::row& r) {
    TicketRecord t;
    t.id = intAt(r, 0);
    t.number = intAt(r, 1);
    t.subject = strAt(r, 2);
    t.status = strAt(r, 3);
    t.priority = strAt(r, 4);
    t.queue = strAt(r, 5);
    t.team = strAt(r, 6);
    t.category = strAt(r, 7);
    t.tags = strAt(r, 8);
    t.sla = strAt(r, 9);
    t.customer_address = strAt(r, 10);
    t.customer_name = strAt(r, 11);
    t.assignee = strAt(r, 12);
    t.language = strAt(r, 13);
    t.mailbox = strAt(r, 14);
    t.created_at = intAt(r, 15);
    t.updated_at = intAt(r, 16);
    t.first_response_at = optIntAt(r, 17);
    t.resolved_at = optIntAt(r, 18);
    t.closed_at = optIntAt(r, 19);
    t.first_response_due = optIntAt(r, 20);
    t.resolution_due = optIntAt(r, 21);
    t.escalations = strAt(r, 22);
    if (auto rating = optIntAt(r, 23)) t.rating = static_cast<int>(*rating);
    t.rating_comment = strAt(r, 24);
    t.rated_at = optIntAt(r, 25);
    t.rating_requested_at = optIntAt(r, 26);
    t.reopened_count = static_cast<int>(intAt(r, 27));
    t.follows_number = optIntAt(r, 28);
    return t;
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
    o.raw = strAt(r, 6);
    o.status = strAt(r, 7);
    o.attempts = static_cast<int>(intAt(r, 8));
    o.next_attempt_at = intAt(r, 9);
    o.last_error = strAt(r, 10);
    o.created_at = intAt(r, 11);
    o.sent_at = optIntAt(r, 12);
    return o;
}

}  // namespace

std::string encodeRaw(const std::string& bytes) {
    std::string out;
    out.reserve(bytes.size() * 4 / 3 + 4);
    mimetic::Base64::Encoder enc(0);  // 0 = no line breaks
    mimetic::encode(bytes.begin(), bytes.end(), enc, std::back_inserter(out));
    return out;
}

std::string decodeRaw(const std::string& b64) {
    std::string out;
    out.reserve(b64.size() * 3 / 4);
    mimetic::Base64::Decoder dec;
    mimetic::decode(b64.begin(), b64.end(), dec, std::back_inserter(out));
    return out;
}

template <typename F>
auto SociTicketStore::guarded(const char* what, F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const soci::soci_error& e) {
        std::string message = std::string(what) + ": " + e.what();
        bool transient = e.get_error_category() == soci::soci_error::connection_error ||
                         message.find("database is locked") != std::string::npos ||
                         message.find("server closed the connection") != std::string::npos ||
                         message.find("no connection to the server") != std::string::npos;
        if (transient) throw StorageUnavailable(message);
        throw StorageError(message);
    }
}

SociTicketStore::SociTicketStore(const DatabaseUrl& url) : url_(url), sql_(openSession(url)) {
    guarded("migrating the schema", [&] { return migrate(*sql_, url_.backend); });
}

SociTicketStore::~SociTicketStore() = default;

void SociTicketStore::transaction(const std::function<void()>& work) {
    if (depth_ > 0) {  // nested: part of the caller's transaction
        work();
        return;
    }
    guarded("beginning a transaction", [&] {
        beginWriteTransaction(*sql_, url_.backend);
        return 0;
    });
    ++depth_;
    try {
        work();
        --depth_;
        guarded("committing", [&] {
            sql_->commit();
            return 0;
        });
    } catch (...) {
        if (depth_ > 0) --depth_;
        try {
            sql_->rollback();
        } catch (...) {  // the connection may be gone; the server rolls back on its own
        }
        throw;
    }
}

void SociTicketStore::savepoint(const std::string& name) {
    guarded("setting a savepoint", [&] {
        *sql_ << "SAVEPOINT " + name;
        return 0;
    });
}

void SociTicketStore::releaseSavepoint(const std::string& name) {
    guarded("releasing a savepoint", [&] {
        *sql_ << "RELEASE SAVEPOINT " + name;
        return 0;
    });
}

void SociTicketStore::rollbackToSavepoint(const std::string& name) {
    guarded("rolling back to a savepoint", [&] {
        *sql_ << "ROLLBACK TO SAVEPOINT " + name;
        return 0;
    });
}

std::optional<std::string> SociTicketStore::intakeOutcome(const MailOrigin& o) {
    return guarded("reading the intake log", [&]() -> std::optional<std::string> {
        std::string outcome;
        long long uidvalidity = o.uidvalidity, uid = o.uid;
        *sql_ << "SELECT outcome FROM intake_log WHERE mailbox = :m AND uidvalidity = :v AND uid = :u AND uid > 0",
            soci::use(o.mailbox), soci::use(uidvalidity), soci::use(uid), soci::into(outcome);
        if (!sql_->got_data()) return std::nullopt;
        return outcome;
    });
}

void SociTicketStore::recordIntake(const MailOrigin& o, const std::string& message_id, const std::string& outcome,
                                   std::optional<std::int64_t> ticket_id, UnixTime at) {
    guarded("writing the intake log", [&] {
        long long uidvalidity = o.uidvalidity, uid = o.uid, t = at;
        long long tid = ticket_id.value_or(0);
        soci::indicator ind = ticket_id ? soci::i_ok : soci::i_null;
        *sql_ << "INSERT INTO intake_log (mailbox, uidvalidity, uid, message_id, outcome, ticket_id, at)"
                 " VALUES (:m, :v, :u, :id, :o, :t, :at)",
            soci::use(o.mailbox), soci::use(uidvalidity), soci::use(uid), soci::use(message_id), soci::use(outcome),
            soci::use(tid, ind), soci::use(t);
        return 0;
    });
}

std::optional<std::int64_t> SociTicketStore::ticketIdByMessageId(const std::string& message_id) {
    if (message_id.empty()) return std::nullopt;
    return guarded("looking up a Message-ID", [&]() -> std::optional<std::int64_t> {
        long long id = 0;
        *sql_ << "SELECT ticket_id FROM messages WHERE message_id = :id", soci::use(message_id), soci::into(id);
        if (!sql_->got_data()) return std::nullopt;
        return id;
    });
}

bool SociTicketStore::hasMessageId(const std::string& message_id) {
    if (message_id.empty()) return false;
    return guarded("looking up a Message-ID", [&] {
        int n = 0;
        *sql_ << "SELECT COUNT(*) FROM messages WHERE message_id = :id", soci::use(message_id), soci::into(n);
        if (n > 0) return true;
        // A quarantined mail may come again (or be replayed): it was not taken in.
        *sql_ << "SELECT COUNT(*) FROM intake_log WHERE message_id = :id AND outcome <> 'quarantined'",
            soci::use(message_id), soci::into(n);
        return n > 0;
    });
}

bool SociTicketStore::isParticipant(std::int64_t ticket_id, const std::string& address) {
    return guarded("checking participants", [&] {
        long long t = ticket_id;
        int n = 0;
        // Address lists are stored lower-case, comma-separated: match whole entries only.
        std::string a = address, pat = "%," + address + ",%";
        // Only the customer's side of the conversation: mail deskgate sent to agents (notifications)
        // does not make the agent's address a participant.
        static const std::string kinds = [] {
            std::string list;
            for (auto k : kCustomerFacingKinds) list += (list.empty() ? "'" : ", '") + std::string(k) + "'";
            return list;
        }();
        *sql_ << "SELECT COUNT(*) FROM messages WHERE ticket_id = :t AND ((direction = 'in' AND author = 'customer')"
                 " OR (direction = 'out' AND kind IN (" + kinds + "))) AND (from_address = :a"
                 " OR ',' || to_addrs || ',' LIKE :p OR ',' || cc_addrs || ',' LIKE :p2)",
            soci::use(t), soci::use(a), soci::use(pat), soci::use(pat), soci::into(n);
        return n > 0;
    });
}

std::optional<TicketRecord> SociTicketStore::ticketByNumber(std::int64_t number) {
    return guarded("reading a ticket", [&]() -> std::optional<TicketRecord> {
        long long n = number;
        soci::row r;
        *sql_ << std::string("SELECT ") + kTicketColumns + " FROM tickets WHERE number = :n", soci::use(n),
            soci::into(r);
        if (!sql_->got_data()) return std::nullopt;
        return ticketFromRow(r);
    });
}

std::optional<TicketRecord> SociTicketStore::ticketById(std::int64_t id) {
    return guarded("reading a ticket", [&]() -> std::optional<TicketRecord> {
        long long n = id;
        soci::row r;
        *sql_ << std::string("SELECT ") + kTicketColumns + " FROM tickets WHERE id = :n", soci::use(n), soci::into(r);
        if (!sql_->got_data()) return std::nullopt;
        return ticketFromRow(r);
    });
}

TicketRecord SociTicketStore::createTicket(TicketRecord t) {
    return guarded("creating a ticket", [&] {
        long long number = 0;
        // The counter row is locked until commit: numbers are gapless and never reused.
        *sql_ << "UPDATE counters SET value = value + 1 WHERE name = 'ticket_number' RETURNING value",
            soci::into(number);
        t.number = number;
        long long created = t.created_at, updated = t.updated_at, id = 0;
        *sql_ << "INSERT INTO tickets (number, subject, status, priority, queue, team, category, tags, sla,"
                 " customer_address, customer_name, assignee, language, mailbox, created_at, updated_at)"
                 " VALUES (:n, :s, :st, :p, :q, :tm, :c, :tg, :sla, :ca, :cn, :a, :l, :mb, :cr, :up) RETURNING id",
            soci::use(number), soci::use(t.subject), soci::use(t.status), soci::use(t.priority), soci::use(t.queue),
            soci::use(t.team), soci::use(t.category), soci::use(t.tags), soci::use(t.sla),
            soci::use(t.customer_address), soci::use(t.customer_name), soci::use(t.assignee), soci::use(t.language),
            soci::use(t.mailbox), soci::use(created), soci::use(updated), soci::into(id);
        t.id = id;
        if (t.first_response_due || t.resolution_due || !t.escalations.empty() || t.follows_number) updateTicket(t);
        return t;
    });
}

void SociTicketStore::updateTicket(const TicketRecord& t) {
    guarded("updating a ticket", [&] {
        auto opt = [](const std::optional<std::int64_t>& v) {
            return std::pair<long long, soci::indicator>{v.value_or(0), v ? soci::i_ok : soci::i_null};
        };
        long long id = t.id, updated = t.updated_at, reopened = t.reopened_count;
        auto [fr, frI] = opt(t.first_response_at);
        auto [rs, rsI] = opt(t.resolved_at);
        auto [cl, clI] = opt(t.closed_at);
        auto [frd, frdI] = opt(t.first_response_due);
        auto [rsd, rsdI] = opt(t.resolution_due);
        auto [rt, rtI] = opt(t.rating ? std::optional<std::int64_t>(*t.rating) : std::nullopt);
        auto [rta, rtaI] = opt(t.rated_at);
        auto [rrq, rrqI] = opt(t.rating_requested_at);
        auto [fol, folI] = opt(t.follows_number);
        *sql_ << "UPDATE tickets SET subject = :s, status = :st, priority = :p, queue = :q, team = :tm,"
                 " category = :c, tags = :tg, sla = :sla, assignee = :a, language = :l, updated_at = :up,"
                 " first_response_at = :fr, resolved_at = :rs, closed_at = :cl, first_response_due = :frd,"
                 " resolution_due = :rsd, escalations = :esc, rating = :rt, rating_comment = :rc, rated_at = :rta,"
                 " rating_requested_at = :rrq, reopened_count = :ro, follows_number = :fol WHERE id = :id",
            soci::use(t.subject), soci::use(t.status), soci::use(t.priority), soci::use(t.queue), soci::use(t.team),
            soci::use(t.category), soci::use(t.tags), soci::use(t.sla), soci::use(t.assignee), soci::use(t.language),
            soci::use(updated), soci::use(fr, frI), soci::use(rs, rsI), soci::use(cl, clI), soci::use(frd, frdI),
            soci::use(rsd, rsdI), soci::use(t.escalations), soci::use(rt, rtI), soci::use(t.rating_comment),
            soci::use(rta, rtaI), soci::use(rrq, rrqI), soci::use(reopened), soci::use(fol, folI), soci::use(id);
        return 0;
    });
}

std::int64_t SociTicketStore::addMessage(const MessageRecord& m) {
    return guarded("storing a message", [&] {
        long long ticket = m.ticket_id, created = m.created_at, id = 0;
        soci::indicator midI = m.message_id.empty() ? soci::i_null : soci::i_ok;
        std::string raw = encodeRaw(m.raw);
        *sql_ << "INSERT INTO messages (ticket_id, direction, author, message_id, in_reply_to, refs, from_address,"
                 " from_name, to_addrs, cc_addrs, subject, body, raw_b64, kind, mailbox, created_at)"
                 " VALUES (:t, :d, :a, :mid, :irt, :refs, :fa, :fn, :to, :cc, :s, :b, :raw, :k, :mb, :cr) RETURNING id",
            soci::use(ticket), soci::use(m.direction), soci::use(m.author), soci::use(m.message_id, midI),
            soci::use(m.in_reply_to), soci::use(m.references), soci::use(m.from_address), soci::use(m.from_name),
            soci::use(m.to), soci::use(m.cc), soci::use(m.subject), soci::use(m.text), soci::use(raw),
            soci::use(m.kind), soci::use(m.mailbox), soci::use(created), soci::into(id);
        return static_cast<std::int64_t>(id);
    });
}

void SociTicketStore::addEvent(const EventRecord& e) {
    guarded("recording an event", [&] {
        long long ticket = e.ticket_id, at = e.at;
        *sql_ << "INSERT INTO events (ticket_id, at, actor, type, detail) VALUES (:t, :at, :a, :ty, :d)",
            soci::use(ticket), soci::use(at), soci::use(e.actor), soci::use(e.type), soci::use(e.detail);
        return 0;
    });
}

void SociTicketStore::upsertCustomer(const std::string& address, const std::string& name, const std::string& language,
                                     UnixTime at) {
    guarded("storing a customer", [&] {
        long long t = at;
        *sql_ << "INSERT INTO customers (address, name, language, created_at) VALUES (:a, :n, :l, :t)"
                 " ON CONFLICT (address) DO UPDATE SET"
                 " name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE customers.name END,"
                 " language = CASE WHEN excluded.language <> '' THEN excluded.language ELSE customers.language END",
            soci::use(address), soci::use(name), soci::use(language), soci::use(t);
        return 0;
    });
}

std::string SociTicketStore::customerLanguage(const std::string& address) {
    return guarded("reading a customer", [&] {
        std::string language;
        soci::indicator ind = soci::i_ok;
        *sql_ << "SELECT language FROM customers WHERE address = :a", soci::use(address), soci::into(language, ind);
        return sql_->got_data() && ind == soci::i_ok ? language : std::string();
    });
}

std::int64_t SociTicketStore::usage(const std::string& address, const std::string& what, UnixTime window_start) {
    return guarded("reading rate-limit counters", [&] {
        long long w = window_start, n = 0;
        soci::indicator ind = soci::i_ok;
        *sql_ << "SELECT uses FROM address_usage WHERE address = :a AND what = :w AND window_start = :s",
            soci::use(address), soci::use(what), soci::use(w), soci::into(n, ind);
        return static_cast<std::int64_t>(sql_->got_data() && ind == soci::i_ok ? n : 0);
    });
}

std::int64_t SociTicketStore::countUsage(const std::string& address, const std::string& what, UnixTime window_start) {
    return guarded("counting for rate limits", [&] {
        long long w = window_start, n = 0;
        // Old windows are of no use any more: keep the table small.
        *sql_ << "DELETE FROM address_usage WHERE address = :a AND what = :w AND window_start < :s",
            soci::use(address), soci::use(what), soci::use(w);
        *sql_ << "INSERT INTO address_usage (address, what, window_start, uses) VALUES (:a, :w, :s, 1)"
                 " ON CONFLICT (address, what, window_start) DO UPDATE SET uses = address_usage.uses + 1"
                 " RETURNING uses",
            soci::use(address), soci::use(what), soci::use(w), soci::into(n);
        return static_cast<std::int64_t>(n);
    });
}

std::int64_t SociTicketStore::quarantine(const QuarantineRecord& q) {
    return guarded("quarantining a mail", [&] {
        long long v = q.uidvalidity, u = q.uid, at = q.created_at, id = 0;
        std::string raw = encodeRaw(q.raw);
        *sql_ << "INSERT INTO quarantine (mailbox, uidvalidity, uid, message_id, reason, raw_b64, created_at)"
                 " VALUES (:m, :v, :u, :mid, :r, :raw, :at) RETURNING id",
            soci::use(q.mailbox), soci::use(v), soci::use(u), soci::use(q.message_id), soci::use(q.reason),
            soci::use(raw), soci::use(at), soci::into(id);
        return static_cast<std::int64_t>(id);
    });
}

std::optional<Checkpoint> SociTicketStore::checkpoint(const std::string& mailbox) {
    return guarded("reading a mailbox checkpoint", [&]() -> std::optional<Checkpoint> {
        long long v = 0, last = 0;
        *sql_ << "SELECT uidvalidity, last_uid FROM mailbox_checkpoints WHERE mailbox = :m", soci::use(mailbox),
            soci::into(v), soci::into(last);
        if (!sql_->got_data()) return std::nullopt;
        return Checkpoint{mailbox, v, last};
    });
}

void SociTicketStore::saveCheckpoint(const Checkpoint& c, UnixTime at) {
    guarded("saving a mailbox checkpoint", [&] {
        long long v = c.uidvalidity, last = c.last_uid, t = at;
        *sql_ << "INSERT INTO mailbox_checkpoints (mailbox, uidvalidity, last_uid, updated_at) VALUES (:m, :v, :l, :t)"
                 " ON CONFLICT (mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity,"
                 " last_uid = excluded.last_uid, updated_at = excluded.updated_at",
            soci::use(c.mailbox), soci::use(v), soci::use(last), soci::use(t);
        return 0;
    });
}

std::int64_t SociTicketStore::queueMail(const OutboxRecord& m) {
    return guarded("queueing a mail", [&] {
        long long tid = m.ticket_id.value_or(0), next = m.next_attempt_at, created = m.created_at, id = 0;
        soci::indicator tidI = m.ticket_id ? soci::i_ok : soci::i_null;
        std::string rcpts = joinSpaces(m.recipients);
        *sql_ << "INSERT INTO outbox (ticket_id, kind, mail_from, recipients, message_id, raw, status, attempts,"
                 " next_attempt_at, created_at) VALUES (:t, :k, :f, :r, :mid, :raw, 'queued', 0, :n, :c) RETURNING id",
            soci::use(tid, tidI), soci::use(m.kind), soci::use(m.mail_from), soci::use(rcpts), soci::use(m.message_id),
            soci::use(m.raw), soci::use(next), soci::use(created), soci::into(id);
        return static_cast<std::int64_t>(id);
    });
}

std::vector<OutboxRecord> SociTicketStore::claimDueMail(UnixTime now, int limit, int lease_seconds) {
    std::vector<OutboxRecord> out;
    transaction([&] {
        guarded("claiming outbox mail", [&] {
            long long n = now, until = now + lease_seconds;
            // PostgreSQL: several daemons claim disjoint rows without waiting on each other.
            std::string lock = url_.backend == Backend::postgresql ? " FOR UPDATE SKIP LOCKED" : "";
            soci::rowset<soci::row> rows =
                (sql_->prepare << std::string("SELECT ") + kOutboxColumns +
                                      " FROM outbox WHERE status = 'queued' AND next_attempt_at <= :n"
                                      " AND locked_until <= :n2 ORDER BY id LIMIT " +
                                      std::to_string(limit) + lock,
                 soci::use(n), soci::use(n));
            for (const auto& r : rows) out.push_back(outboxFromRow(r));
            for (const auto& o : out) {
                long long id = o.id;
                *sql_ << "UPDATE outbox SET locked_until = :u WHERE id = :id", soci::use(until), soci::use(id);
            }
            return 0;
        });
    });
    return out;
}

void SociTicketStore::markSent(std::int64_t id, UnixTime at) {
    guarded("marking mail sent", [&] {
        long long i = id, t = at;
        *sql_ << "UPDATE outbox SET status = 'sent', sent_at = :t, attempts = attempts + 1, locked_until = 0,"
                 " last_error = '' WHERE id = :id",
            soci::use(t), soci::use(i);
        return 0;
    });
}

void SociTicketStore::markRetry(std::int64_t id, int attempts, UnixTime next_attempt, const std::string& error) {
    guarded("scheduling a retry", [&] {
        long long i = id, n = next_attempt;
        *sql_ << "UPDATE outbox SET attempts = :a, next_attempt_at = :n, last_error = :e, locked_until = 0"
                 " WHERE id = :id",
            soci::use(attempts), soci::use(n), soci::use(error), soci::use(i);
        return 0;
    });
}

void SociTicketStore::markFailed(std::int64_t id, int attempts, const std::string& error) {
    guarded("marking mail failed", [&] {
        long long i = id;
        *sql_ << "UPDATE outbox SET status = 'failed', attempts = :a, last_error = :e, locked_until = 0 WHERE id = :id",
            soci::use(attempts), soci::use(error), soci::use(i);
        return 0;
    });
}

std::optional<UnixTime> SociTicketStore::nextOutboxAttempt() {
    return guarded("reading the outbox", [&]() -> std::optional<UnixTime> {
        long long next = 0;
        soci::indicator ind = soci::i_null;
        *sql_ << "SELECT MIN(CASE WHEN locked_until > next_attempt_at THEN locked_until ELSE next_attempt_at END)"
                 " FROM outbox WHERE status = 'queued'",
            soci::into(next, ind);
        if (ind == soci::i_null) return std::nullopt;
        return next;
    });
}

std::vector<OutboxRecord> SociTicketStore::listOutbox(const std::string& status) {
    return guarded("reading the outbox", [&] {
        std::vector<OutboxRecord> out;
        soci::rowset<soci::row> rows =
            (sql_->prepare << std::string("SELECT ") + kOutboxColumns + " FROM outbox WHERE status = :s ORDER BY id",
             soci::use(status));
        for (const auto& r : rows) out.push_back(outboxFromRow(r));
        return out;
    });
}

std::vector<TicketRecord> SociTicketStore::listTickets(const std::string& status_filter, int limit) {
    return guarded("listing tickets", [&] {
        std::vector<TicketRecord> out;
        std::string where = status_filter.empty() ? "" : " WHERE status = :s";
        std::string q = std::string("SELECT ") + kTicketColumns + " FROM tickets" + where + " ORDER BY number LIMIT " +
                        std::to_string(limit);
        if (status_filter.empty()) {
            soci::rowset<soci::row> rows = sql_->prepare << q;
            for (const auto& r : rows) out.push_back(ticketFromRow(r));
        } else {
            soci::rowset<soci::row> rows = (sql_->prepare << q, soci::use(status_filter));
            for (const auto& r : rows) out.push_back(ticketFromRow(r));
        }
        return out;
    });
}

std::vector<MessageRecord> SociTicketStore::messagesOf(std::int64_t ticket_id, bool with_raw) {
    return guarded("reading messages", [&] {
        std::vector<MessageRecord> out;
        long long t = ticket_id;
        std::string raw = with_raw ? "raw_b64" : "''";
        soci::rowset<soci::row> rows =
            (sql_->prepare << "SELECT id, ticket_id, direction, author, message_id, in_reply_to, refs, from_address,"
                              " from_name, to_addrs, cc_addrs, subject, body, " +
                                  raw + ", kind, mailbox, created_at FROM messages WHERE ticket_id = :t ORDER BY id",
             soci::use(t));
        for (const auto& r : rows) {
            MessageRecord m;
            m.id = intAt(r, 0);
            m.ticket_id = intAt(r, 1);
            m.direction = strAt(r, 2);
            m.author = strAt(r, 3);
            m.message_id = strAt(r, 4);
            m.in_reply_to = strAt(r, 5);
            m.references = strAt(r, 6);
            m.from_address = strAt(r, 7);
            m.from_name = strAt(r, 8);
            m.to = strAt(r, 9);
            m.cc = strAt(r, 10);
            m.subject = strAt(r, 11);
            m.text = strAt(r, 12);
            if (with_raw) m.raw = decodeRaw(strAt(r, 13));
            m.kind = strAt(r, 14);
            m.mailbox = strAt(r, 15);
            m.created_at = intAt(r, 16);
            out.push_back(std::move(m));
        }
        return out;
    });
}

std::vector<EventRecord> SociTicketStore::eventsOf(std::int64_t ticket_id) {
    return guarded("reading events", [&] {
        std::vector<EventRecord> out;
        long long t = ticket_id;
        soci::rowset<soci::row> rows =
            (sql_->prepare << "SELECT id, ticket_id, at, actor, type, detail FROM events WHERE ticket_id = :t"
                              " ORDER BY id",
             soci::use(t));
        for (const auto& r : rows)
            out.push_back({intAt(r, 0), intAt(r, 1), intAt(r, 2), strAt(r, 3), strAt(r, 4), strAt(r, 5)});
        return out;
    });
}

std::vector<QuarantineRecord> SociTicketStore::listQuarantine(bool with_raw) {
    return guarded("reading the quarantine", [&] {
        std::vector<QuarantineRecord> out;
        std::string raw = with_raw ? "raw_b64" : "''";
        soci::rowset<soci::row> rows =
            sql_->prepare << "SELECT id, mailbox, uidvalidity, uid, message_id, reason, " + raw +
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

std::optional<std::string> SociTicketStore::lastAssigned(const std::string& team) {
    return guarded("reading the round-robin position", [&]() -> std::optional<std::string> {
        std::string agent;
        *sql_ << "SELECT last_agent FROM assignment_state WHERE team = :t", soci::use(team), soci::into(agent);
        if (!sql_->got_data()) return std::nullopt;
        return agent;
    });
}

void SociTicketStore::saveLastAssigned(const std::string& team, const std::string& agent) {
    guarded("saving the round-robin position", [&] {
        *sql_ << "INSERT INTO assignment_state (team, last_agent) VALUES (:t, :a)"
                 " ON CONFLICT (team) DO UPDATE SET last_agent = excluded.last_agent",
            soci::use(team), soci::use(agent);
        return 0;
    });
}

std::map<std::string, std::int64_t, std::less<>> SociTicketStore::openTicketsByAssignee() {
    return guarded("counting open tickets", [&] {
        std::map<std::string, std::int64_t, std::less<>> out;
        soci::rowset<soci::row> rows = sql_->prepare << "SELECT assignee, COUNT(*) FROM tickets WHERE assignee <> ''"
                                                         " AND status IN ('new', 'open', 'pending') GROUP BY assignee";
        for (const auto& r : rows) out[strAt(r, 0)] = intAt(r, 1);
        return out;
    });
}

void SociTicketStore::addRuleHit(const std::string& rule) {
    guarded("counting a rule hit", [&] {
        *sql_ << "INSERT INTO rule_hits (rule, hits) VALUES (:r, 1)"
                 " ON CONFLICT (rule) DO UPDATE SET hits = rule_hits.hits + 1",
            soci::use(rule);
        return 0;
    });
}

std::vector<std::pair<std::string, std::int64_t>> SociTicketStore::ruleHits() {
    return guarded("reading rule hits", [&] {
        std::vector<std::pair<std::string, std::int64_t>> out;
        soci::rowset<soci::row> rows = sql_->prepare << "SELECT rule, hits FROM rule_hits ORDER BY rule";
        for (const auto& r : rows) out.emplace_back(strAt(r, 0), intAt(r, 1));
        return out;
    });
}

std::vector<TicketRecord> SociTicketStore::activeTickets() {
    return guarded("reading active tickets", [&] {
        std::vector<TicketRecord> out;
        soci::rowset<soci::row> rows =
            sql_->prepare << std::string("SELECT ") + kTicketColumns +
                                 " FROM tickets WHERE status IN ('new', 'open', 'pending') AND"
                                 " (sla <> '' OR status = 'pending') ORDER BY id";
        for (const auto& r : rows) out.push_back(ticketFromRow(r));
        return out;
    });
}

std::optional<QuarantineRecord> SociTicketStore::quarantined(std::int64_t id) {
    for (auto& q : listQuarantine(true))
        if (q.id == id) return std::move(q);
    return std::nullopt;
}

void SociTicketStore::releaseQuarantine(std::int64_t id, UnixTime at) {
    guarded("releasing a quarantined mail", [&] {
        long long i = id, t = at;
        *sql_ << "UPDATE quarantine SET released_at = :t WHERE id = :id", soci::use(t), soci::use(i);
        return 0;
    });
}

std::int64_t SociTicketStore::countTickets() {
    return guarded("counting tickets", [&] {
        long long n = 0;
        *sql_ << "SELECT COUNT(*) FROM tickets", soci::into(n);
        return static_cast<std::int64_t>(n);
    });
}

}  // namespace deskgate
