#include "storage/ticket_store.hpp"

#include <algorithm>
#include <string>
#include <tuple>
#include <utility>

#include <soci/soci.h>

#include "storage/soci_guard.hpp"
#include "storage/soci_rows.hpp"

namespace deskgate {

namespace {

const char* kTicketColumns =
    "id, number, subject, status, priority, queue, team, category, tags, sla, customer_address, customer_name,"
    " assignee, language, mailbox, created_at, updated_at, first_response_at, resolved_at, closed_at,"
    " first_response_due, resolution_due, escalations, rating, rating_comment, rated_at, rating_requested_at,"
    " reopened_count, follows_number, reply_address, version";

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
    t.reply_address = strAt(r, 29);
    t.version = intAt(r, 30);
    return t;
}

// The statements intake runs for every mail, prepared once per session (database.hpp's Prepared).

bool onPostgres(soci::session& s) { return s.get_backend_name() == "postgresql"; }

std::pair<long long, soci::indicator> optional(const std::optional<std::int64_t>& v) {
    return {v.value_or(0), v ? soci::i_ok : soci::i_null};
}

enum class TicketKey { number, id, id_for_update, id_skip_locked };

template <TicketKey key>
struct SelectTicket : Prepared {
    long long value = 0;
    soci::row row;
    soci::statement st;
    static std::string query(soci::session& s) {
        std::string q = std::string("SELECT ") + kTicketColumns + " FROM tickets WHERE " +
                        (key == TicketKey::number ? "number" : "id") + " = :k";
        // SQLite: the write transaction (BEGIN IMMEDIATE) already excludes every other writer.
        if (onPostgres(s) && key == TicketKey::id_for_update) q += " FOR UPDATE";
        if (onPostgres(s) && key == TicketKey::id_skip_locked) q += " FOR UPDATE SKIP LOCKED";
        return q;
    }
    explicit SelectTicket(soci::session& s) : st((s.prepare << query(s), soci::use(value), soci::into(row))) {}
};

template <TicketKey key>
std::optional<TicketRecord> selectTicket(SociDatabase& db, const char* what, std::int64_t value) {
    return withPrepared<SelectTicket<key>>(db, what, [&](SelectTicket<key>& q) -> std::optional<TicketRecord> {
        q.value = value;
        if (!runOnce(q.st)) return std::nullopt;
        return ticketFromRow(q.row);
    });
}

struct NextTicketNumber : Prepared {
    long long number = 0;
    soci::statement st;
    // The counter row is locked until commit: numbers are gapless and never reused.
    explicit NextTicketNumber(soci::session& s)
        : st((s.prepare << "UPDATE counters SET value = value + 1 WHERE name = 'ticket_number' RETURNING value",
              soci::into(number))) {}
};

// Inside a transaction: the counter read and locked until the commit (SQLite's write
// transaction is exclusive anyway), then written once for the numbers given.
struct ReadTicketNumber : Prepared {
    long long value = 0;
    soci::statement st;
    explicit ReadTicketNumber(soci::session& s)
        : st((s.prepare << std::string("SELECT value FROM counters WHERE name = 'ticket_number'") +
                               (onPostgres(s) ? " FOR UPDATE" : ""),
              soci::into(value))) {}
};

struct SaveTicketNumber : Prepared {
    long long value = 0;
    soci::statement st;
    explicit SaveTicketNumber(soci::session& s)
        : st((s.prepare << "UPDATE counters SET value = :v WHERE name = 'ticket_number'", soci::use(value))) {}
};

struct InsertTicket : Prepared {
    TicketRecord t;
    long long number = 0, created = 0, updated = 0, frd = 0, rsd = 0, fol = 0, id = 0;
    soci::indicator frdI = soci::i_null, rsdI = soci::i_null, folI = soci::i_null;
    soci::statement st;
    explicit InsertTicket(soci::session& s)
        : st((s.prepare << "INSERT INTO tickets (number, subject, status, priority, queue, team, category, tags, sla,"
                           " customer_address, customer_name, assignee, language, mailbox, created_at, updated_at,"
                           " reply_address, first_response_due, resolution_due, escalations, follows_number)"
                           " VALUES (:n, :s, :st, :p, :q, :tm, :c, :tg, :sla, :ca, :cn, :a, :l, :mb, :cr, :up, :ra,"
                           " :frd, :rsd, :esc, :fol) RETURNING id",
              soci::use(number), soci::use(t.subject), soci::use(t.status), soci::use(t.priority), soci::use(t.queue),
              soci::use(t.team), soci::use(t.category), soci::use(t.tags), soci::use(t.sla),
              soci::use(t.customer_address), soci::use(t.customer_name), soci::use(t.assignee), soci::use(t.language),
              soci::use(t.mailbox), soci::use(created), soci::use(updated), soci::use(t.reply_address),
              soci::use(frd, frdI), soci::use(rsd, rsdI), soci::use(t.escalations), soci::use(fol, folI),
              soci::into(id))) {}
};

struct UpdateTicket : Prepared {
    TicketRecord t;
    long long id = 0, updated = 0, reopened = 0, version = 0;
    long long fr = 0, rs = 0, cl = 0, frd = 0, rsd = 0, rt = 0, rta = 0, rrq = 0, fol = 0;
    soci::indicator frI{}, rsI{}, clI{}, frdI{}, rsdI{}, rtI{}, rtaI{}, rrqI{}, folI{};
    soci::statement st;
    explicit UpdateTicket(soci::session& s)
        : st((s.prepare << "UPDATE tickets SET subject = :s, status = :st, priority = :p, queue = :q, team = :tm,"
                           " category = :c, tags = :tg, sla = :sla, assignee = :a, language = :l, updated_at = :up,"
                           " first_response_at = :fr, resolved_at = :rs, closed_at = :cl, first_response_due = :frd,"
                           " resolution_due = :rsd, escalations = :esc, rating = :rt, rating_comment = :rc,"
                           " rated_at = :rta, rating_requested_at = :rrq, reopened_count = :ro, follows_number = :fol,"
                           " version = version + 1 WHERE id = :id AND version = :v",
              soci::use(t.subject), soci::use(t.status), soci::use(t.priority), soci::use(t.queue), soci::use(t.team),
              soci::use(t.category), soci::use(t.tags), soci::use(t.sla), soci::use(t.assignee), soci::use(t.language),
              soci::use(updated), soci::use(fr, frI), soci::use(rs, rsI), soci::use(cl, clI), soci::use(frd, frdI),
              soci::use(rsd, rsdI), soci::use(t.escalations), soci::use(rt, rtI), soci::use(t.rating_comment),
              soci::use(rta, rtaI), soci::use(rrq, rrqI), soci::use(reopened), soci::use(fol, folI), soci::use(id),
              soci::use(version))) {}
};

struct TicketOfMessageId : Prepared {
    std::string message_id;
    long long ticket = 0;
    soci::statement st;
    explicit TicketOfMessageId(soci::session& s)
        : st((s.prepare << "SELECT ticket_id FROM messages WHERE message_id = :id", soci::use(message_id),
              soci::into(ticket))) {}
};

struct FingerprintOf : Prepared {
    std::string message_id, raw;
    MessageFingerprint f;
    soci::indicator rawI = soci::i_ok;
    soci::statement st;
    explicit FingerprintOf(soci::session& s)
        : st((s.prepare << "SELECT direction, from_address, body_sha256, raw_b64 FROM messages WHERE message_id = :id",
              soci::use(message_id), soci::into(f.direction), soci::into(f.from_address), soci::into(f.body_sha256),
              soci::into(raw, rawI))) {}
};

struct InsertParticipant : Prepared {
    long long ticket = 0, at = 0;
    std::string address, added_by;
    soci::statement st;
    explicit InsertParticipant(soci::session& s)
        : st((s.prepare << "INSERT INTO participants (ticket_id, address, added_by, added_at) VALUES (:t, :a, :b, :at)"
                           " ON CONFLICT (ticket_id, address) DO NOTHING",
              soci::use(ticket), soci::use(address), soci::use(added_by), soci::use(at))) {}
};

struct ParticipantsOf : Prepared {
    long long ticket = 0;
    std::string address;
    soci::statement st;
    explicit ParticipantsOf(soci::session& s)
        : st((s.prepare << "SELECT address FROM participants WHERE ticket_id = :t ORDER BY added_at, address",
              soci::use(ticket), soci::into(address))) {}
};

struct CustomerLanguage : Prepared {
    std::string address, language;
    soci::indicator languageI = soci::i_ok;
    soci::statement st;
    explicit CustomerLanguage(soci::session& s)
        : st((s.prepare << "SELECT language FROM customers WHERE address = :a", soci::use(address),
              soci::into(language, languageI))) {}
};

}  // namespace

std::optional<TicketRecord> TicketStore::ticketByNumber(std::int64_t number) {
    return selectTicket<TicketKey::number>(db_, "reading a ticket", number);
}

std::optional<TicketRecord> TicketStore::lockTicket(std::int64_t id, bool skip_locked) {
    return skip_locked ? selectTicket<TicketKey::id_skip_locked>(db_, "locking a ticket", id)
                       : selectTicket<TicketKey::id_for_update>(db_, "locking a ticket", id);
}

std::optional<TicketRecord> TicketStore::ticketById(std::int64_t id) {
    return selectTicket<TicketKey::id>(db_, "reading a ticket", id);
}

void TicketStore::TicketNumbers::lock() {
    if (base_ || !db_.inTransaction()) return;
    base_ = withPrepared<ReadTicketNumber>(db_, "locking the ticket numbers", [](ReadTicketNumber& q) {
        runOnce(q.st);
        return static_cast<std::int64_t>(q.value);
    });
}

void TicketStore::lockTicketNumbers() {
    if (db_.backend() == Backend::postgresql) numbers_.lock();
}

std::int64_t TicketStore::TicketNumbers::next() {
    if (!db_.inTransaction())
        return withPrepared<NextTicketNumber>(db_, "creating a ticket", [](NextTicketNumber& q) {
            runOnce(q.st);
            return static_cast<std::int64_t>(q.number);
        });
    lock();
    taken_.push_back(*base_ + static_cast<std::int64_t>(taken_.size()) + 1);
    return taken_.back();
}

void TicketStore::TicketNumbers::write() {
    if (!taken_.empty())
        withPrepared<SaveTicketNumber>(db_, "creating a ticket", [&](SaveTicketNumber& q) {
            q.value = taken_.back();
            q.st.execute(true);
        });
    taken_.clear();
    base_.reset();  // read again next time: after the commit another session may count on
}

void TicketStore::TicketNumbers::dropFrom(std::size_t n) {
    if (n < taken_.size()) taken_.resize(n);
    // Numbers still taken were counted from a read made before the savepoint (its lock held);
    // with none, read again: a rollback gives up the locks taken after the savepoint.
    if (taken_.empty()) base_.reset();
}

TicketRecord TicketStore::createTicket(TicketRecord t) {
    t.number = numbers_.next();
    t.id = withPrepared<InsertTicket>(db_, "creating a ticket", [&](InsertTicket& q) {
        q.t = t;
        q.number = t.number;
        q.created = t.created_at;
        q.updated = t.updated_at;
        std::tie(q.frd, q.frdI) = optional(t.first_response_due);
        std::tie(q.rsd, q.rsdI) = optional(t.resolution_due);
        std::tie(q.fol, q.folI) = optional(t.follows_number);
        runOnce(q.st);
        return static_cast<std::int64_t>(q.id);
    });
    t.version = 0;  // the column's default
    if (db_.inTransaction()) created_here_.add(t.id);
    return t;
}

void TicketStore::updateTicket(TicketRecord& t) {
    withPrepared<UpdateTicket>(db_, "updating a ticket", [&](UpdateTicket& q) {
        q.t = t;
        q.id = t.id;
        q.updated = t.updated_at;
        q.reopened = t.reopened_count;
        q.version = t.version;
        std::tie(q.fr, q.frI) = optional(t.first_response_at);
        std::tie(q.rs, q.rsI) = optional(t.resolved_at);
        std::tie(q.cl, q.clI) = optional(t.closed_at);
        std::tie(q.frd, q.frdI) = optional(t.first_response_due);
        std::tie(q.rsd, q.rsdI) = optional(t.resolution_due);
        std::tie(q.rt, q.rtI) = optional(t.rating ? std::optional<std::int64_t>(*t.rating) : std::nullopt);
        std::tie(q.rta, q.rtaI) = optional(t.rated_at);
        std::tie(q.rrq, q.rrqI) = optional(t.rating_requested_at);
        std::tie(q.fol, q.folI) = optional(t.follows_number);
        q.st.execute(true);
        if (q.st.get_affected_rows() != 1)
            throw StorageConflict("ticket " + std::to_string(t.number) +
                                  " was changed by another session meanwhile: not overwritten");
    });
    ++t.version;
}


std::vector<TicketRecord> TicketStore::activeTickets() {
    return guarded("reading active tickets", [&] {
        std::vector<TicketRecord> out;
        soci::rowset<soci::row> rows =
            sql().prepare << std::string("SELECT ") + kTicketColumns +
                                 " FROM tickets WHERE status IN ('new', 'open', 'pending') AND"
                                 " (sla <> '' OR status = 'pending') ORDER BY id";
        for (const auto& r : rows) out.push_back(ticketFromRow(r));
        return out;
    });
}

std::vector<TicketRecord> TicketStore::listTickets(const std::string& status_filter, int limit) {
    return guarded("listing tickets", [&] {
        std::vector<TicketRecord> out;
        std::string where = status_filter.empty() ? "" : " WHERE status = :s";
        std::string q = std::string("SELECT ") + kTicketColumns + " FROM tickets" + where + " ORDER BY number LIMIT " +
                        std::to_string(limit);
        if (status_filter.empty()) {
            soci::rowset<soci::row> rows = sql().prepare << q;
            for (const auto& r : rows) out.push_back(ticketFromRow(r));
        } else {
            soci::rowset<soci::row> rows = (sql().prepare << q, soci::use(status_filter));
            for (const auto& r : rows) out.push_back(ticketFromRow(r));
        }
        return out;
    });
}

std::int64_t TicketStore::countTickets() {
    return guarded("counting tickets", [&] {
        long long n = 0;
        sql() << "SELECT COUNT(*) FROM tickets", soci::into(n);
        return static_cast<std::int64_t>(n);
    });
}

std::vector<MessageRecord> TicketStore::messagesOf(std::int64_t ticket_id, bool with_raw) {
    return guarded("reading messages", [&] {
        std::vector<MessageRecord> out;
        long long t = ticket_id;
        std::string raw = with_raw ? "raw_b64" : "''";
        soci::rowset<soci::row> rows =
            (sql().prepare << "SELECT id, ticket_id, direction, author, message_id, in_reply_to, refs, from_address,"
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
        for (const auto& m : messages_.rows())  // held back: the newest, id 0 until written
            if (m.ticket_id == ticket_id) {
                out.push_back(m);
                if (!with_raw) out.back().raw.clear();
            }
        return out;
    });
}

std::optional<std::int64_t> TicketStore::ticketIdByMessageId(const std::string& message_id) {
    if (message_id.empty()) return std::nullopt;
    if (const auto* held = heldMessage(message_id)) return held->ticket_id;
    return withPrepared<TicketOfMessageId>(db_, "looking up a Message-ID",
                                           [&](TicketOfMessageId& q) -> std::optional<std::int64_t> {
                                               q.message_id = message_id;
                                               if (!runOnce(q.st)) return std::nullopt;
                                               return q.ticket;
                                           });
}

std::optional<MessageFingerprint> TicketStore::fingerprintOf(const std::string& message_id) {
    if (message_id.empty()) return std::nullopt;
    if (const auto* held = heldMessage(message_id))
        return MessageFingerprint{held->direction, held->from_address, held->body_sha256, held->raw};
    return withPrepared<FingerprintOf>(db_, "looking up a Message-ID",
                                       [&](FingerprintOf& q) -> std::optional<MessageFingerprint> {
                                           q.message_id = message_id;
                                           if (!runOnce(q.st)) return std::nullopt;
                                           MessageFingerprint f = q.f;
                                           if (q.rawI == soci::i_ok) f.raw = decodeRaw(q.raw);
                                           return f;
                                       });
}

bool TicketStore::addParticipant(std::int64_t ticket_id, const std::string& address, const std::string& added_by,
                                 UnixTime at) {
    return withPrepared<InsertParticipant>(db_, "adding a participant", [&](InsertParticipant& q) {
        q.ticket = ticket_id;
        q.address = address;
        q.added_by = added_by;
        q.at = at;
        q.st.execute(true);
        const bool added = q.st.get_affected_rows() == 1;
        if (added && createdHere(ticket_id)) added_here_.add({ticket_id, at, address});
        return added;
    });
}

bool TicketStore::createdHere(std::int64_t ticket_id) const {
    const auto& created = created_here_.rows();
    return std::find(created.begin(), created.end(), ticket_id) != created.end();
}

bool TicketStore::removeParticipant(std::int64_t ticket_id, const std::string& address) {
    created_here_.dropFrom(0);  // known no more: read from the table from now on
    added_here_.dropFrom(0);
    return guarded("removing a participant", [&] {
        long long t = ticket_id;
        soci::statement st = (sql().prepare << "DELETE FROM participants WHERE ticket_id = :t AND address = :a",
                              soci::use(t), soci::use(address));
        st.execute(true);
        return st.get_affected_rows() == 1;
    });
}

std::vector<std::string> TicketStore::participantsOf(std::int64_t ticket_id) {
    if (createdHere(ticket_id)) {  // a ticket made in this transaction has those added in it alone
        std::vector<std::tuple<UnixTime, std::string>> rows;
        for (const auto& p : added_here_.rows())
            if (p.ticket_id == ticket_id) rows.emplace_back(p.at, p.address);
        std::sort(rows.begin(), rows.end());  // as the table is read: ORDER BY added_at, address
        std::vector<std::string> out;
        for (auto& [at, address] : rows) out.push_back(std::move(address));
        return out;
    }
    return withPrepared<ParticipantsOf>(db_, "reading participants", [&](ParticipantsOf& q) {
        std::vector<std::string> out;
        q.ticket = ticket_id;
        q.st.execute();
        while (q.st.fetch()) out.push_back(q.address);
        return out;
    });
}

void TicketStore::refuseAddress(std::int64_t ticket_id, const std::string& address, const std::string& reason,
                                UnixTime at) {
    guarded("recording a refused address", [&] {
        long long t = ticket_id, when = at;
        sql() << "INSERT INTO refused_addresses (ticket_id, address, reason, at) VALUES (:t, :a, :r, :at)"
                 " ON CONFLICT (ticket_id, address) DO NOTHING",
            soci::use(t), soci::use(address), soci::use(reason), soci::use(when);
        return 0;
    });
}

std::vector<std::string> TicketStore::refusedAddresses(std::int64_t ticket_id) {
    return guarded("reading refused addresses", [&] {
        long long t = ticket_id;
        std::vector<std::string> out;
        soci::rowset<soci::row> rows =
            (sql().prepare << "SELECT address FROM refused_addresses WHERE ticket_id = :t ORDER BY address", soci::use(t));
        for (const auto& r : rows) out.push_back(strAt(r, 0));
        return out;
    });
}

std::vector<EventRecord> TicketStore::eventsOf(std::int64_t ticket_id) {
    auto out = guarded("reading events", [&] {
        std::vector<EventRecord> stored;
        long long t = ticket_id;
        soci::rowset<soci::row> rows =
            (sql().prepare << "SELECT id, ticket_id, at, actor, type, detail FROM events WHERE ticket_id = :t"
                              " ORDER BY id",
             soci::use(t));
        for (const auto& r : rows)
            stored.push_back({intAt(r, 0), intAt(r, 1), intAt(r, 2), strAt(r, 3), strAt(r, 4), strAt(r, 5)});
        return stored;
    });
    for (const auto& e : events_.rows())
        if (e.ticket_id == ticket_id) out.push_back(e);
    return out;
}

std::string TicketStore::customerLanguage(const std::string& address) {
    // What this transaction holds back first: the last language given, as the upsert stores it.
    const auto& held = customers_.rows();
    for (auto it = held.rbegin(); it != held.rend(); ++it)
        if (it->address == address && !it->language.empty()) return it->language;
    return withPrepared<CustomerLanguage>(db_, "reading a customer", [&](CustomerLanguage& q) {
        q.address = address;
        q.languageI = soci::i_ok;
        return runOnce(q.st) && q.languageI == soci::i_ok ? q.language : std::string();
    });
}

}  // namespace deskgate
