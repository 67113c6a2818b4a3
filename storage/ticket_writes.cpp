// What a transaction holds back and writes together (storage/held_rows.hpp): a ticket's events,
// messages and customer upserts, the rows intake writes for every mail.
#include "storage/ticket_store.hpp"

#include <map>

#include <soci/soci.h>

#include "storage/soci_guard.hpp"

namespace deskgate {

namespace {

struct InsertMessage : Prepared {
    long long ticket = 0, created = 0, id = 0;
    std::string direction, author, message_id, in_reply_to, refs, from_address, from_name, to, cc, subject, text, raw,
        kind, mailbox, sha256;
    soci::indicator midI = soci::i_ok;
    soci::statement st;
    explicit InsertMessage(soci::session& s)
        : st((s.prepare << "INSERT INTO messages (ticket_id, direction, author, message_id, in_reply_to, refs,"
                           " from_address, from_name, to_addrs, cc_addrs, subject, body, raw_b64, kind, mailbox,"
                           " created_at, body_sha256) VALUES (:t, :d, :a, :mid, :irt, :refs, :fa, :fn, :to, :cc, :s,"
                           " :b, :raw, :k, :mb, :cr, :h) RETURNING id",
              soci::use(ticket), soci::use(direction), soci::use(author), soci::use(message_id, midI),
              soci::use(in_reply_to), soci::use(refs), soci::use(from_address), soci::use(from_name), soci::use(to),
              soci::use(cc), soci::use(subject), soci::use(text), soci::use(raw), soci::use(kind), soci::use(mailbox),
              soci::use(created), soci::use(sha256), soci::into(id))) {}
};

// PostgreSQL: a transaction's messages in one statement (arrays taken apart by unnest, in order).
struct InsertMessages : Prepared {
    std::string tickets, directions, authors, message_ids, in_reply_tos, refs, from_addresses, from_names, tos, ccs,
        subjects, texts, raws, kinds, mailboxes, createds, sha256s;
    soci::statement st;
    explicit InsertMessages(soci::session& s)
        : st((s.prepare << "INSERT INTO messages (ticket_id, direction, author, message_id, in_reply_to, refs,"
                           " from_address, from_name, to_addrs, cc_addrs, subject, body, raw_b64, kind, mailbox,"
                           " created_at, body_sha256) SELECT t, d, a, mid, irt, rf, fa, fn, tt, cc, s, b, r, k, mb, cr, h"
                           " FROM unnest(CAST(:t AS BIGINT[]), CAST(:d AS TEXT[]), CAST(:a AS TEXT[]),"
                           " CAST(:mid AS TEXT[]), CAST(:irt AS TEXT[]), CAST(:rf AS TEXT[]), CAST(:fa AS TEXT[]),"
                           " CAST(:fn AS TEXT[]), CAST(:tt AS TEXT[]), CAST(:cc AS TEXT[]), CAST(:s AS TEXT[]),"
                           " CAST(:b AS TEXT[]), CAST(:r AS TEXT[]), CAST(:k AS TEXT[]), CAST(:mb AS TEXT[]),"
                           " CAST(:cr AS BIGINT[]), CAST(:h AS TEXT[])) WITH ORDINALITY"
                           " AS u(t, d, a, mid, irt, rf, fa, fn, tt, cc, s, b, r, k, mb, cr, h, o) ORDER BY o",
              soci::use(tickets), soci::use(directions), soci::use(authors), soci::use(message_ids),
              soci::use(in_reply_tos), soci::use(refs), soci::use(from_addresses), soci::use(from_names),
              soci::use(tos), soci::use(ccs), soci::use(subjects), soci::use(texts), soci::use(raws), soci::use(kinds),
              soci::use(mailboxes), soci::use(createds), soci::use(sha256s))) {}
};

struct InsertEvent : Prepared {
    long long ticket = 0, at = 0;
    std::string actor, type, detail;
    soci::statement st;
    explicit InsertEvent(soci::session& s)
        : st((s.prepare << "INSERT INTO events (ticket_id, at, actor, type, detail) VALUES (:t, :at, :a, :ty, :d)",
              soci::use(ticket), soci::use(at), soci::use(actor), soci::use(type), soci::use(detail))) {}
};

void insertEvent(SociDatabase& db, const EventRecord& e) {
    withPrepared<InsertEvent>(db, "recording an event", [&](InsertEvent& q) {
        q.ticket = e.ticket_id;
        q.at = e.at;
        q.actor = e.actor;
        q.type = e.type;
        q.detail = e.detail;
        q.st.execute(true);
    });
}

struct InsertEvents : Prepared {
    std::string tickets, ats, actors, types, details;  // array literals, one element per event
    soci::statement st;
    explicit InsertEvents(soci::session& s)
        : st((s.prepare << "INSERT INTO events (ticket_id, at, actor, type, detail)"
                           " SELECT t, a, ac, ty, d FROM unnest(CAST(:t AS BIGINT[]), CAST(:a AS BIGINT[]),"
                           " CAST(:ac AS TEXT[]), CAST(:ty AS TEXT[]), CAST(:d AS TEXT[])) WITH ORDINALITY"
                           " AS u(t, a, ac, ty, d, n) ORDER BY n",
              soci::use(tickets), soci::use(ats), soci::use(actors), soci::use(types), soci::use(details))) {}
};

// PostgreSQL: a transaction's customers in one upsert (distinct addresses, in order).
struct UpsertCustomers : Prepared {
    std::string addresses, names, languages, ats;
    soci::statement st;
    explicit UpsertCustomers(soci::session& s)
        : st((s.prepare << "INSERT INTO customers (address, name, language, created_at)"
                           " SELECT a, n, l, t FROM unnest(CAST(:a AS TEXT[]), CAST(:n AS TEXT[]), CAST(:l AS TEXT[]),"
                           " CAST(:t AS BIGINT[])) WITH ORDINALITY AS u(a, n, l, t, o) ORDER BY o"
                           " ON CONFLICT (address) DO UPDATE SET"
                           " name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE customers.name END,"
                           " language = CASE WHEN excluded.language <> '' THEN excluded.language"
                           " ELSE customers.language END",
              soci::use(addresses), soci::use(names), soci::use(languages), soci::use(ats))) {}
};

struct UpsertCustomer : Prepared {
    std::string address, name, language;
    long long at = 0;
    soci::statement st;
    explicit UpsertCustomer(soci::session& s)
        : st((s.prepare << "INSERT INTO customers (address, name, language, created_at) VALUES (:a, :n, :l, :t)"
                           " ON CONFLICT (address) DO UPDATE SET"
                           " name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE customers.name END,"
                           " language = CASE WHEN excluded.language <> '' THEN excluded.language"
                           " ELSE customers.language END",
              soci::use(address), soci::use(name), soci::use(language), soci::use(at))) {}
};

}  // namespace

void TicketStore::addMessage(const MessageRecord& m) {
    if (db_.inTransaction())
        messages_.add(m);
    else
        writeMessages(db_, {m});
}

void TicketStore::writeMessages(SociDatabase& db, const std::vector<MessageRecord>& rows) {
    if (db.backend() == Backend::postgresql && rows.size() > 1) {
        withPrepared<InsertMessages>(db, "storing messages", [&](InsertMessages& q) {
            using M = MessageRecord;
            q.tickets = arrayOf(rows, [](const M& m) { return m.ticket_id; });
            q.directions = arrayOf(rows, [](const M& m) -> const std::string& { return m.direction; });
            q.authors = arrayOf(rows, [](const M& m) -> const std::string& { return m.author; });
            q.message_ids = arrayOf(rows, [](const M& m) {
                return m.message_id.empty() ? std::nullopt : std::optional<std::string>(m.message_id);
            });
            q.in_reply_tos = arrayOf(rows, [](const M& m) -> const std::string& { return m.in_reply_to; });
            q.refs = arrayOf(rows, [](const M& m) -> const std::string& { return m.references; });
            q.from_addresses = arrayOf(rows, [](const M& m) -> const std::string& { return m.from_address; });
            q.from_names = arrayOf(rows, [](const M& m) -> const std::string& { return m.from_name; });
            q.tos = arrayOf(rows, [](const M& m) -> const std::string& { return m.to; });
            q.ccs = arrayOf(rows, [](const M& m) -> const std::string& { return m.cc; });
            q.subjects = arrayOf(rows, [](const M& m) -> const std::string& { return m.subject; });
            q.texts = arrayOf(rows, [](const M& m) -> const std::string& { return m.text; });
            q.raws = arrayOf(rows, [](const M& m) { return encodeRaw(m.raw); });
            q.kinds = arrayOf(rows, [](const M& m) -> const std::string& { return m.kind; });
            q.mailboxes = arrayOf(rows, [](const M& m) -> const std::string& { return m.mailbox; });
            q.createds = arrayOf(rows, [](const M& m) { return m.created_at; });
            q.sha256s = arrayOf(rows, [](const M& m) -> const std::string& { return m.body_sha256; });
            q.st.execute(true);
        });
        return;
    }
    for (const auto& m : rows)
        withPrepared<InsertMessage>(db, "storing a message", [&](InsertMessage& q) {
            q.ticket = m.ticket_id;
            q.created = m.created_at;
            q.direction = m.direction;
            q.author = m.author;
            q.message_id = m.message_id;
            q.midI = m.message_id.empty() ? soci::i_null : soci::i_ok;
            q.in_reply_to = m.in_reply_to;
            q.refs = m.references;
            q.from_address = m.from_address;
            q.from_name = m.from_name;
            q.to = m.to;
            q.cc = m.cc;
            q.subject = m.subject;
            q.text = m.text;
            q.raw = encodeRaw(m.raw);
            q.kind = m.kind;
            q.mailbox = m.mailbox;
            q.sha256 = m.body_sha256;
            runOnce(q.st);
        });
}

const MessageRecord* TicketStore::heldMessage(const std::string& message_id) const {
    for (const auto& m : messages_.rows())
        if (m.message_id == message_id) return &m;
    return nullptr;
}

void TicketStore::addEvent(const EventRecord& e) {
    if (db_.inTransaction()) {
        events_.add(e);
        return;
    }
    insertEvent(db_, e);
}

// A transaction's events, held back and written together (see database.hpp's DeferredRows).
TicketStore::TicketStore(SociDatabase& db)
    : db_(db), events_([&db](const std::vector<EventRecord>& rows) {
          if (db.backend() == Backend::sqlite) {  // in-process: a prepared INSERT per row costs no round trip
              for (const auto& e : rows) insertEvent(db, e);
              return;
          }
          // One statement for the transaction's events: arrays, taken apart by unnest in order.
          withPrepared<InsertEvents>(db, "recording events", [&](InsertEvents& q) {
              using E = EventRecord;
              q.tickets = arrayOf(rows, [](const E& e) { return e.ticket_id; });
              q.ats = arrayOf(rows, [](const E& e) { return e.at; });
              q.actors = arrayOf(rows, [](const E& e) -> const std::string& { return e.actor; });
              q.types = arrayOf(rows, [](const E& e) -> const std::string& { return e.type; });
              q.details = arrayOf(rows, [](const E& e) -> const std::string& { return e.detail; });
              q.st.execute(true);
          });
      }),
      customers_([&db](const std::vector<CustomerRow>& rows) { writeCustomers(db, rows); }),
      messages_([&db](const std::vector<MessageRecord>& rows) { writeMessages(db, rows); }),
      numbers_(db) {
    db_.holdBack(events_);
    db_.holdBack(customers_);
    db_.holdBack(messages_);
    db_.holdBack(numbers_);
    db_.holdBack(created_here_);
    db_.holdBack(added_here_);
}

void TicketStore::upsertCustomer(const std::string& address, const std::string& name, const std::string& language,
                                 UnixTime at) {
    CustomerRow row{address, name, language, at};
    if (db_.inTransaction())
        customers_.add(std::move(row));
    else
        writeCustomers(db_, {row});
}

// Several upserts of one address become one (the last name and language given win, as the
// upsert's CASEs make them), in address order: the rows locked in one order by every daemon.
void TicketStore::writeCustomers(SociDatabase& db, const std::vector<CustomerRow>& rows) {
    std::map<std::string, CustomerRow> merged;
    for (const auto& r : rows) {
        auto [it, fresh] = merged.try_emplace(r.address, r);
        if (fresh) continue;
        if (!r.name.empty()) it->second.name = r.name;
        if (!r.language.empty()) it->second.language = r.language;
    }
    if (db.backend() == Backend::postgresql && merged.size() > 1) {
        withPrepared<UpsertCustomers>(db, "storing customers", [&](UpsertCustomers& q) {
            using C = std::pair<const std::string, CustomerRow>;
            q.addresses = arrayOf(merged, [](const C& c) -> const std::string& { return c.first; });
            q.names = arrayOf(merged, [](const C& c) -> const std::string& { return c.second.name; });
            q.languages = arrayOf(merged, [](const C& c) -> const std::string& { return c.second.language; });
            q.ats = arrayOf(merged, [](const C& c) { return c.second.at; });
            q.st.execute(true);
        });
        return;
    }
    for (const auto& [address, r] : merged)
        withPrepared<UpsertCustomer>(db, "storing a customer", [&](UpsertCustomer& q) {
            q.address = address;
            q.name = r.name;
            q.language = r.language;
            q.at = r.at;
            q.st.execute(true);
        });
}

}  // namespace deskgate
