#include "storage/ticket_store.hpp"

#include <string>

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

}  // namespace

std::optional<TicketRecord> TicketStore::ticketByNumber(std::int64_t number) {
    return guarded("reading a ticket", [&]() -> std::optional<TicketRecord> {
        long long n = number;
        soci::row r;
        sql() << std::string("SELECT ") + kTicketColumns + " FROM tickets WHERE number = :n", soci::use(n),
            soci::into(r);
        if (!sql().got_data()) return std::nullopt;
        return ticketFromRow(r);
    });
}

std::optional<TicketRecord> TicketStore::lockTicket(std::int64_t id, bool skip_locked) {
    return guarded("locking a ticket", [&]() -> std::optional<TicketRecord> {
        long long n = id;
        soci::row r;
        // SQLite: the write transaction (BEGIN IMMEDIATE) already excludes every other writer.
        std::string lock = db_.backend() != Backend::postgresql ? ""
                           : skip_locked                         ? " FOR UPDATE SKIP LOCKED"
                                                                 : " FOR UPDATE";
        sql() << std::string("SELECT ") + kTicketColumns + " FROM tickets WHERE id = :n" + lock, soci::use(n),
            soci::into(r);
        if (!sql().got_data()) return std::nullopt;
        return ticketFromRow(r);
    });
}

std::optional<TicketRecord> TicketStore::ticketById(std::int64_t id) {
    return guarded("reading a ticket", [&]() -> std::optional<TicketRecord> {
        long long n = id;
        soci::row r;
        sql() << std::string("SELECT ") + kTicketColumns + " FROM tickets WHERE id = :n", soci::use(n), soci::into(r);
        if (!sql().got_data()) return std::nullopt;
        return ticketFromRow(r);
    });
}

TicketRecord TicketStore::createTicket(TicketRecord t) {
    return guarded("creating a ticket", [&] {
        long long number = 0;
        // The counter row is locked until commit: numbers are gapless and never reused.
        sql() << "UPDATE counters SET value = value + 1 WHERE name = 'ticket_number' RETURNING value",
            soci::into(number);
        t.number = number;
        long long created = t.created_at, updated = t.updated_at, id = 0;
        sql() << "INSERT INTO tickets (number, subject, status, priority, queue, team, category, tags, sla,"
                 " customer_address, customer_name, assignee, language, mailbox, created_at, updated_at, reply_address)"
                 " VALUES (:n, :s, :st, :p, :q, :tm, :c, :tg, :sla, :ca, :cn, :a, :l, :mb, :cr, :up, :ra) RETURNING id",
            soci::use(number), soci::use(t.subject), soci::use(t.status), soci::use(t.priority), soci::use(t.queue),
            soci::use(t.team), soci::use(t.category), soci::use(t.tags), soci::use(t.sla),
            soci::use(t.customer_address), soci::use(t.customer_name), soci::use(t.assignee), soci::use(t.language),
            soci::use(t.mailbox), soci::use(created), soci::use(updated), soci::use(t.reply_address), soci::into(id);
        t.id = id;
        if (t.first_response_due || t.resolution_due || !t.escalations.empty() || t.follows_number) updateTicket(t);
        return t;
    });
}

void TicketStore::updateTicket(TicketRecord& t) {
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
        long long version = t.version;
        soci::statement st = (sql().prepare << "UPDATE tickets SET subject = :s, status = :st, priority = :p, queue = :q, team = :tm,"
                 " category = :c, tags = :tg, sla = :sla, assignee = :a, language = :l, updated_at = :up,"
                 " first_response_at = :fr, resolved_at = :rs, closed_at = :cl, first_response_due = :frd,"
                 " resolution_due = :rsd, escalations = :esc, rating = :rt, rating_comment = :rc, rated_at = :rta,"
                 " rating_requested_at = :rrq, reopened_count = :ro, follows_number = :fol, version = version + 1"
                 " WHERE id = :id AND version = :v",
            soci::use(t.subject), soci::use(t.status), soci::use(t.priority), soci::use(t.queue), soci::use(t.team),
            soci::use(t.category), soci::use(t.tags), soci::use(t.sla), soci::use(t.assignee), soci::use(t.language),
            soci::use(updated), soci::use(fr, frI), soci::use(rs, rsI), soci::use(cl, clI), soci::use(frd, frdI),
            soci::use(rsd, rsdI), soci::use(t.escalations), soci::use(rt, rtI), soci::use(t.rating_comment),
            soci::use(rta, rtaI), soci::use(rrq, rrqI), soci::use(reopened), soci::use(fol, folI), soci::use(id),
            soci::use(version));
        st.execute(true);
        if (st.get_affected_rows() != 1)
            throw StorageConflict("ticket " + std::to_string(t.number) +
                                      " was changed by another session meanwhile: not overwritten");
        ++t.version;
        return 0;
    });
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

std::int64_t TicketStore::addMessage(const MessageRecord& m) {
    return guarded("storing a message", [&] {
        long long ticket = m.ticket_id, created = m.created_at, id = 0;
        soci::indicator midI = m.message_id.empty() ? soci::i_null : soci::i_ok;
        std::string raw = encodeRaw(m.raw);
        sql() << "INSERT INTO messages (ticket_id, direction, author, message_id, in_reply_to, refs, from_address,"
                 " from_name, to_addrs, cc_addrs, subject, body, raw_b64, kind, mailbox, created_at, body_sha256)"
                 " VALUES (:t, :d, :a, :mid, :irt, :refs, :fa, :fn, :to, :cc, :s, :b, :raw, :k, :mb, :cr, :h) RETURNING id",
            soci::use(ticket), soci::use(m.direction), soci::use(m.author), soci::use(m.message_id, midI),
            soci::use(m.in_reply_to), soci::use(m.references), soci::use(m.from_address), soci::use(m.from_name),
            soci::use(m.to), soci::use(m.cc), soci::use(m.subject), soci::use(m.text), soci::use(raw),
            soci::use(m.kind), soci::use(m.mailbox), soci::use(created), soci::use(m.body_sha256), soci::into(id);
        return static_cast<std::int64_t>(id);
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
        return out;
    });
}

std::optional<std::int64_t> TicketStore::ticketIdByMessageId(const std::string& message_id) {
    if (message_id.empty()) return std::nullopt;
    return guarded("looking up a Message-ID", [&]() -> std::optional<std::int64_t> {
        long long id = 0;
        sql() << "SELECT ticket_id FROM messages WHERE message_id = :id", soci::use(message_id), soci::into(id);
        if (!sql().got_data()) return std::nullopt;
        return id;
    });
}

std::optional<MessageFingerprint> TicketStore::fingerprintOf(const std::string& message_id) {
    if (message_id.empty()) return std::nullopt;
    return guarded("looking up a Message-ID", [&]() -> std::optional<MessageFingerprint> {
        MessageFingerprint f;
        std::string raw;
        soci::indicator rawI = soci::i_ok;
        sql() << "SELECT direction, from_address, body_sha256, raw_b64 FROM messages WHERE message_id = :id",
            soci::use(message_id), soci::into(f.direction), soci::into(f.from_address), soci::into(f.body_sha256),
            soci::into(raw, rawI);
        if (!sql().got_data()) return std::nullopt;
        if (rawI == soci::i_ok) f.raw = decodeRaw(raw);
        return f;
    });
}

bool TicketStore::addParticipant(std::int64_t ticket_id, const std::string& address, const std::string& added_by,
                                 UnixTime at) {
    return guarded("adding a participant", [&] {
        long long t = ticket_id, when = at;
        soci::statement st = (sql().prepare << "INSERT INTO participants (ticket_id, address, added_by, added_at)"
                                               " VALUES (:t, :a, :b, :at) ON CONFLICT (ticket_id, address) DO NOTHING",
                              soci::use(t), soci::use(address), soci::use(added_by), soci::use(when));
        st.execute(true);
        return st.get_affected_rows() == 1;
    });
}

bool TicketStore::removeParticipant(std::int64_t ticket_id, const std::string& address) {
    return guarded("removing a participant", [&] {
        long long t = ticket_id;
        soci::statement st = (sql().prepare << "DELETE FROM participants WHERE ticket_id = :t AND address = :a",
                              soci::use(t), soci::use(address));
        st.execute(true);
        return st.get_affected_rows() == 1;
    });
}

std::vector<std::string> TicketStore::participantsOf(std::int64_t ticket_id) {
    return guarded("reading participants", [&] {
        long long t = ticket_id;
        std::vector<std::string> out;
        soci::rowset<soci::row> rows =
            (sql().prepare << "SELECT address FROM participants WHERE ticket_id = :t ORDER BY added_at, address",
             soci::use(t));
        for (const auto& r : rows) out.push_back(strAt(r, 0));
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

void TicketStore::addEvent(const EventRecord& e) {
    guarded("recording an event", [&] {
        long long ticket = e.ticket_id, at = e.at;
        sql() << "INSERT INTO events (ticket_id, at, actor, type, detail) VALUES (:t, :at, :a, :ty, :d)",
            soci::use(ticket), soci::use(at), soci::use(e.actor), soci::use(e.type), soci::use(e.detail);
        return 0;
    });
}

std::vector<EventRecord> TicketStore::eventsOf(std::int64_t ticket_id) {
    return guarded("reading events", [&] {
        std::vector<EventRecord> out;
        long long t = ticket_id;
        soci::rowset<soci::row> rows =
            (sql().prepare << "SELECT id, ticket_id, at, actor, type, detail FROM events WHERE ticket_id = :t"
                              " ORDER BY id",
             soci::use(t));
        for (const auto& r : rows)
            out.push_back({intAt(r, 0), intAt(r, 1), intAt(r, 2), strAt(r, 3), strAt(r, 4), strAt(r, 5)});
        return out;
    });
}

void TicketStore::upsertCustomer(const std::string& address, const std::string& name, const std::string& language,
                                     UnixTime at) {
    guarded("storing a customer", [&] {
        long long t = at;
        sql() << "INSERT INTO customers (address, name, language, created_at) VALUES (:a, :n, :l, :t)"
                 " ON CONFLICT (address) DO UPDATE SET"
                 " name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE customers.name END,"
                 " language = CASE WHEN excluded.language <> '' THEN excluded.language ELSE customers.language END",
            soci::use(address), soci::use(name), soci::use(language), soci::use(t);
        return 0;
    });
}

std::string TicketStore::customerLanguage(const std::string& address) {
    return guarded("reading a customer", [&] {
        std::string language;
        soci::indicator ind = soci::i_ok;
        sql() << "SELECT language FROM customers WHERE address = :a", soci::use(address), soci::into(language, ind);
        return sql().got_data() && ind == soci::i_ok ? language : std::string();
    });
}

}  // namespace deskgate
