// One storage suite, run against every backend: SQLite always, PostgreSQL from the test servers.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <regex>
#include <thread>
#include <vector>
#include <atomic>
#include <soci/soci.h>

#include "storage/store.hpp"
#include "tests/support/backends.hpp"

using namespace deskgate;

namespace {

std::string base64Of(const std::string& s) { return encodeRaw(s); }

TicketRecord sampleTicket(const std::string& subject) {
    TicketRecord t;
    t.subject = subject;
    t.customer_address = "alice@customer.test";
    t.customer_name = "Alice Müller";
    t.created_at = t.updated_at = 1'790'000'000;
    return t;
}

void storageSuite(const std::string& url) {
    SociStore store(parseDatabaseUrl(url));

    SUBCASE("a session with relaxed commit durability (the outbox worker's) waits for no disk flush") {
        // SQLite: synchronous 2 = FULL, 1 = NORMAL; PostgreSQL: the session's synchronous_commit
        // (the test servers' own setting is off; production's is on).
        auto setting = [](SociStore& s) {
            std::string value;
            if (s.backend() == Backend::sqlite) {
                int level = -1;
                s.session() << "PRAGMA synchronous", soci::into(level);
                value = std::to_string(level);
            } else {
                s.session() << "SHOW synchronous_commit", soci::into(value);
            }
            return value;
        };
        const std::string before = setting(store);
        if (store.backend() == Backend::sqlite) CHECK(before == "2");
        store.relaxCommitDurability();
        CHECK(setting(store) == (store.backend() == Backend::sqlite ? "1" : "off"));
        SociStore other(parseDatabaseUrl(url));  // every other session keeps its flush
        CHECK(setting(other) == before);
    }

    SUBCASE("events of a transaction are written with their mail's savepoint or at the commit, those after a savepoint rolled back to are not") {
        TicketRecord t;
        const std::string odd = "quote \" backslash \\ {braces}, comma, NULL\nnew line, Grüße";
        store.transaction([&] {
            t = store.tickets.createTicket(sampleTicket("events"));
            store.tickets.addEvent({0, t.id, 10, "system", "created", odd});
            store.savepoint("mail");
            store.tickets.addEvent({0, t.id, 11, "system", "dropped", "rolled back"});
            store.savepoint("agent_reply");
            store.tickets.addEvent({0, t.id, 12, "system", "dropped", "rolled back too"});
            store.releaseSavepoint("agent_reply");
            store.rollbackToSavepoint("mail");
            store.releaseSavepoint("mail");
            store.savepoint("mail");
            store.tickets.addEvent({0, t.id, 13, "agent:anna", "kept", "NULL"});
            auto pending = store.tickets.eventsOf(t.id);  // "kept" not written yet, but seen
            REQUIRE(pending.size() == 2);
            CHECK(pending[1].type == "kept");
            CHECK(pending[1].id == 0);
            store.releaseSavepoint("mail");
            auto seen = store.tickets.eventsOf(t.id);  // written with the mail's savepoint
            REQUIRE(seen.size() == 2);
            CHECK(seen[1].type == "kept");
        });
        auto events = store.tickets.eventsOf(t.id);
        REQUIRE(events.size() == 2);
        CHECK(events[0].detail == odd);
        CHECK(events[0].at == 10);
        CHECK(events[1].type == "kept");
        CHECK(events[1].detail == "NULL");
        CHECK(events[1].actor == "agent:anna");
        CHECK(events[0].id < events[1].id);
        CHECK_THROWS(store.transaction([&] {
            store.tickets.addEvent({0, t.id, 14, "system", "lost", "the transaction fails"});
            throw std::runtime_error("fails");
        }));
        CHECK(store.tickets.eventsOf(t.id).size() == 2);
        store.tickets.addEvent({0, t.id, 15, "system", "alone", "outside a transaction: written at once"});
        CHECK(store.tickets.eventsOf(t.id).size() == 3);
    }

    SUBCASE("a transaction's outgoing mail and intake log are written with their mail's savepoint or at the commit, in order") {
        const std::string odd = "quote \" backslash \\ {braces}, comma, NULL\nGrüße";
        auto mail = [&](const std::string& id, std::optional<std::int64_t> ticket) {
            OutboxRecord m;
            m.ticket_id = ticket;
            m.kind = "agent_notification";
            m.mail_from = "support@helpdesk.test";
            m.recipients = {"anna@helpdesk.test", "ben@helpdesk.test"};
            m.message_id = "<" + id + "@helpdesk.test>";
            m.raw = "Subject: " + id + "\r\n\r\n" + odd + " Latin-1 \xe9\r\n";
            m.next_attempt_at = 100;
            m.created_at = 100;
            return m;
        };
        TicketRecord t;
        store.transaction([&] {
            t = store.tickets.createTicket(sampleTicket("held outbox"));
            store.outbox.queue(mail("first", t.id));
            store.intake.recordIntake({"held", 7, 1}, "<in1@customer.test>", "new_ticket", t.id, 100, odd);
            store.savepoint("mail");
            store.outbox.queue(mail("dropped", t.id));
            store.intake.recordIntake({"held", 7, 2}, "<in2@customer.test>", "reply", t.id, 101, "");
            store.rollbackToSavepoint("mail");
            store.releaseSavepoint("mail");
            store.savepoint("mail");
            store.outbox.queue(mail("second", std::nullopt));
            store.intake.recordIntake({"held", 7, 3}, "", "quarantined", std::nullopt, 102, "NULL");
            CHECK(store.outbox.listOutbox("queued").size() == 1);  // "first", with the first savepoint's release
            store.releaseSavepoint("mail");
            CHECK(store.outbox.listOutbox("queued").size() == 2);  // written with the mail's savepoint
        });
        auto queued = store.outbox.listOutbox("queued");
        REQUIRE(queued.size() == 2);
        CHECK(queued[0].message_id == "<first@helpdesk.test>");
        CHECK(queued[0].ticket_id == t.id);
        CHECK(queued[0].raw == mail("first", t.id).raw);
        CHECK(queued[0].recipients == mail("first", t.id).recipients);
        CHECK(queued[1].message_id == "<second@helpdesk.test>");
        CHECK_FALSE(queued[1].ticket_id);
        CHECK(queued[0].id < queued[1].id);
        auto log = store.intake.intakeLog("held", "", 10);  // newest first
        REQUIRE(log.size() == 2);
        CHECK(log[1].uid == 1);
        CHECK(log[1].detail == odd);
        CHECK(log[1].outcome == "new_ticket");
        CHECK(log[0].uid == 3);
        CHECK(log[0].detail == "NULL");
        CHECK_FALSE(log[0].ticket_number);
        CHECK(store.intake.intakeOutcome({"held", 7, 2}) == std::nullopt);
        CHECK_THROWS(store.transaction([&] {
            store.outbox.queue(mail("lost", t.id));
            store.intake.recordIntake({"held", 7, 4}, "", "reply", t.id, 103, "");
            throw std::runtime_error("fails");
        }));
        CHECK(store.outbox.listOutbox("queued").size() == 2);
        CHECK_FALSE(store.intake.intakeOutcome({"held", 7, 4}));
        store.transaction([&] {  // a batch's worth: PostgreSQL writes ten per statement, the rest one by one
            for (int i = 0; i < 23; ++i)
                store.outbox.queue(mail("batch" + std::to_string(i), i % 3 ? std::optional<std::int64_t>(t.id) : std::nullopt));
        });
        queued = store.outbox.listOutbox("queued");
        REQUIRE(queued.size() == 25);
        for (int i = 0; i < 23; ++i) {
            const auto& q = queued[static_cast<std::size_t>(i) + 2];
            CHECK(q.message_id == "<batch" + std::to_string(i) + "@helpdesk.test>");
            CHECK(q.raw == mail("batch" + std::to_string(i), t.id).raw);
            CHECK(q.ticket_id == (i % 3 ? std::optional<std::int64_t>(t.id) : std::nullopt));
        }
    }

    SUBCASE("customers and round-robin turns of a transaction are held back, read through, and written merged") {
        store.transaction([&] {
            store.tickets.upsertCustomer("alice@customer.test", "Alice", "de", 10);
            store.counters.saveLastAssigned("first-level", "anna");
            store.savepoint("mail");
            store.tickets.upsertCustomer("alice@customer.test", "", "", 11);  // keeps name and language
            store.tickets.upsertCustomer("bob@customer.test", "Bob \"B\" {x}", "fr", 11);
            store.counters.saveLastAssigned("first-level", "ben");
            CHECK(store.tickets.customerLanguage("bob@customer.test") == "fr");  // held back, read through
            CHECK(store.counters.lastAssigned("first-level") == "ben");
            store.rollbackToSavepoint("mail");
            store.releaseSavepoint("mail");
            CHECK(store.tickets.customerLanguage("bob@customer.test").empty());
            CHECK(store.counters.lastAssigned("first-level") == "anna");
            store.savepoint("mail");
            store.tickets.upsertCustomer("carol@customer.test", "Carol", "nl", 12);
            store.tickets.upsertCustomer("alice@customer.test", "Alice M.", "", 12);
            store.counters.saveLastAssigned("first-level", "carla");
            store.counters.saveLastAssigned("second-level", "dora");
            store.releaseSavepoint("mail");
        });
        CHECK(store.tickets.customerLanguage("alice@customer.test") == "de");
        CHECK(store.tickets.customerLanguage("carol@customer.test") == "nl");
        CHECK(store.tickets.customerLanguage("bob@customer.test").empty());
        std::string name;
        store.session() << "SELECT name FROM customers WHERE address = 'alice@customer.test'", soci::into(name);
        CHECK(name == "Alice M.");
        CHECK(store.counters.lastAssigned("first-level") == "carla");
        CHECK(store.counters.lastAssigned("second-level") == "dora");
        CHECK_THROWS(store.transaction([&] {
            store.tickets.upsertCustomer("dave@customer.test", "Dave", "en", 13);
            store.counters.saveLastAssigned("first-level", "lost");
            throw std::runtime_error("fails");
        }));
        CHECK(store.tickets.customerLanguage("dave@customer.test").empty());
        CHECK(store.counters.lastAssigned("first-level") == "carla");
        store.tickets.upsertCustomer("dave@customer.test", "Dave", "en", 14);  // outside a transaction: at once
        CHECK(store.tickets.customerLanguage("dave@customer.test") == "en");
    }

    SUBCASE("the participants of a ticket made in the transaction are known without a query, savepoints and removals too") {
        TicketRecord t;
        store.transaction([&] {
            t = store.tickets.createTicket(sampleTicket("participants here"));
            CHECK(store.tickets.participantsOf(t.id).empty());
            CHECK(store.tickets.addParticipant(t.id, "zoe@customer.test", "customer:alice@customer.test", 20));
            CHECK(store.tickets.addParticipant(t.id, "bob@customer.test", "customer:alice@customer.test", 20));
            CHECK_FALSE(store.tickets.addParticipant(t.id, "bob@customer.test", "again", 21));
            store.savepoint("agent_reply");
            CHECK(store.tickets.addParticipant(t.id, "amy@customer.test", "agent:anna", 10));
            CHECK(store.tickets.participantsOf(t.id) ==
                  std::vector<std::string>{"amy@customer.test", "bob@customer.test", "zoe@customer.test"});
            store.rollbackToSavepoint("agent_reply");
            store.releaseSavepoint("agent_reply");
            CHECK(store.tickets.participantsOf(t.id) == std::vector<std::string>{"bob@customer.test", "zoe@customer.test"});
            CHECK(store.tickets.removeParticipant(t.id, "zoe@customer.test"));
            CHECK(store.tickets.participantsOf(t.id) == std::vector<std::string>{"bob@customer.test"});
            CHECK(store.tickets.addParticipant(t.id, "carl@customer.test", "customer:alice@customer.test", 22));
            CHECK(store.tickets.participantsOf(t.id) == std::vector<std::string>{"bob@customer.test", "carl@customer.test"});
        });
        CHECK(store.tickets.participantsOf(t.id) == std::vector<std::string>{"bob@customer.test", "carl@customer.test"});
    }

    SUBCASE("a mail marked sent at once notes it on its ticket; one without a ticket notes nothing") {
        TicketRecord t;
        store.transaction([&] { t = store.tickets.createTicket(sampleTicket("sent")); });
        OutboxRecord m;
        m.ticket_id = t.id;
        m.kind = "acknowledgement";
        m.mail_from = "support@helpdesk.test";
        m.recipients = {"alice@customer.test"};
        m.message_id = "ack@helpdesk.test";
        m.raw = "Subject: ack\r\n\r\nthanks\r\n";
        m.next_attempt_at = m.created_at = 100;
        const auto id = store.outbox.queueMail(m);
        m.ticket_id.reset();
        m.message_id = "report@helpdesk.test";
        const auto report = store.outbox.queueMail(m);
        store.outbox.markSentNoting(id, 101, "acknowledgement to alice@customer.test");
        store.outbox.markSentNoting(report, 102, "report to lead@helpdesk.test");
        auto sent = store.outbox.listOutbox("sent");
        REQUIRE(sent.size() == 2);
        CHECK(sent[0].sent_at == 101);
        CHECK(sent[0].attempts == 1);
        auto events = store.tickets.eventsOf(t.id);
        REQUIRE(events.size() == 1);
        CHECK(events[0].type == "sent");
        CHECK(events[0].at == 101);
        CHECK(events[0].detail == "acknowledgement to alice@customer.test");
        CHECK(store.outbox.listOutbox("queued").empty());
    }

    SUBCASE("a held-back event the database refuses fails its mail's savepoint, not the batch's commit") {
        TicketRecord t;
        store.transaction([&] {
            t = store.tickets.createTicket(sampleTicket("batch"));
            store.savepoint("mail");
            // No such ticket: the foreign key refuses the row when it is written.
            store.tickets.addEvent({0, t.id + 1000, 20, "system", "created", "of a mail that fails"});
            CHECK_THROWS_AS(store.releaseSavepoint("mail"), StorageError);
            store.rollbackToSavepoint("mail");  // as Intake::processIsolated does: the mail is quarantined
            store.releaseSavepoint("mail");
            store.savepoint("mail");
            store.tickets.addEvent({0, t.id, 21, "system", "created", "the next mail of the batch"});
            store.releaseSavepoint("mail");
        });
        auto events = store.tickets.eventsOf(t.id);
        REQUIRE(events.size() == 1);
        CHECK(events[0].detail == "the next mail of the batch");
    }

    SUBCASE("rule hits of a transaction are counted at its commit, one statement per rule") {
        store.transaction([&] {
            store.counters.addRuleHit("vpn");
            store.counters.addRuleHit("billing");
            store.counters.addRuleHit("vpn");
            store.savepoint("mail");
            store.counters.addRuleHit("printer");
            store.rollbackToSavepoint("mail");
            store.releaseSavepoint("mail");
        });
        store.counters.addRuleHit("vpn");  // outside a transaction: at once
        auto hits = store.counters.ruleHits();
        REQUIRE(hits.size() == 2);
        CHECK(hits[0] == std::pair<std::string, std::int64_t>{"billing", 1});
        CHECK(hits[1] == std::pair<std::string, std::int64_t>{"vpn", 3});
    }

    SUBCASE("a prepared statement that failed is made again: the mail after it is stored") {
        TicketRecord t;
        MessageRecord m;
        store.transaction([&] {
            t = store.tickets.createTicket(sampleTicket("twice"));
            m.ticket_id = t.id;
            m.direction = "in";
            m.author = "customer";
            m.message_id = "same@customer.test";
            m.raw = "Subject: twice\r\n\r\nGr\xfc\xdf" "e\r\n";
            m.created_at = 1'790'000'000;
            store.tickets.addMessage(m);
            CHECK(store.tickets.fingerprintOf("same@customer.test")->raw == m.raw);  // held back, read through
            CHECK(store.tickets.ticketIdByMessageId("same@customer.test") == t.id);
            CHECK(store.tickets.messagesOf(t.id).size() == 1);
        });
        // Held back, the second one fails where it is written: at the mail's savepoint's release.
        store.transaction([&] {
            store.savepoint("mail");
            store.tickets.addMessage(m);
            CHECK_THROWS_AS(store.releaseSavepoint("mail"), StorageDuplicateKey);
            store.rollbackToSavepoint("mail");
            store.releaseSavepoint("mail");
            m.message_id = "other@customer.test";
            store.tickets.addMessage(m);
        });
        m.message_id = "same@customer.test";
        CHECK_THROWS_AS(store.transaction([&] { store.tickets.addMessage(m); }), StorageDuplicateKey);  // at the commit
        CHECK_THROWS_AS(store.tickets.addMessage(m), StorageDuplicateKey);  // outside a transaction: at once
        CHECK(store.tickets.messagesOf(t.id, true).size() == 2);
        CHECK(store.tickets.ticketIdByMessageId("other@customer.test") == t.id);
        CHECK(store.tickets.fingerprintOf("same@customer.test")->raw == m.raw);
        CHECK_FALSE(store.tickets.ticketIdByMessageId("never@customer.test"));
    }

    SUBCASE("ticket numbers come from the database, gapless, starting at 1001") {
        TicketRecord a, b;
        store.transaction([&] {
            a = store.tickets.createTicket(sampleTicket("first"));
            b = store.tickets.createTicket(sampleTicket("second"));
        });
        CHECK(a.number == 1001);
        CHECK(b.number == 1002);
        auto again = store.tickets.ticketByNumber(1002);
        REQUIRE(again);
        CHECK(again->subject == "second");
        CHECK(again->customer_name == "Alice Müller");
        CHECK_FALSE(again->first_response_at);
        // Counted on in the transaction, written once: a number taken after a savepoint rolled
        // back to is given again; the next transaction goes on from what was committed.
        TicketRecord c, d, e;
        store.transaction([&] {
            store.savepoint("mail");
            auto lost = store.tickets.createTicket(sampleTicket("rolled back"));
            CHECK(lost.number == 1003);
            store.rollbackToSavepoint("mail");
            store.releaseSavepoint("mail");
            c = store.tickets.createTicket(sampleTicket("third"));
            store.savepoint("mail");
            d = store.tickets.createTicket(sampleTicket("fourth"));
            store.releaseSavepoint("mail");
        });
        CHECK(c.number == 1003);
        CHECK(d.number == 1004);
        e = store.tickets.createTicket(sampleTicket("outside a transaction"));
        CHECK(e.number == 1005);
        long long counter = 0;
        store.session() << "SELECT value FROM counters WHERE name = 'ticket_number'", soci::into(counter);
        CHECK(counter == 1005);
        CHECK_FALSE(store.tickets.ticketByNumber(1006));
    }

    SUBCASE("rating, reopen count and the followed ticket round-trip; absent values stay absent") {
        TicketRecord t;
        store.transaction([&] { t = store.tickets.createTicket(sampleTicket("rated")); });
        auto fresh = store.tickets.ticketById(t.id);
        REQUIRE(fresh);
        CHECK_FALSE(fresh->rating);
        CHECK_FALSE(fresh->follows_number);
        CHECK(fresh->reopened_count == 0);
        t.rating = 4;
        t.rating_comment = "schnell, danke";
        t.rated_at = 1'790'000'100;
        t.rating_requested_at = 1'790'000'050;
        t.reopened_count = 2;
        t.follows_number = 1001;
        store.transaction([&] { store.tickets.updateTicket(t); });
        auto back = store.tickets.ticketById(t.id);
        REQUIRE(back);
        CHECK(back->rating == 4);
        CHECK(back->rating_comment == "schnell, danke");
        CHECK(back->rated_at == 1'790'000'100);
        CHECK(back->rating_requested_at == 1'790'000'050);
        CHECK(back->reopened_count == 2);
        CHECK(back->follows_number == 1001);
    }

    SUBCASE("a rolled-back transaction leaves nothing, and its number is not consumed") {
        CHECK_THROWS_AS(store.transaction([&] {
            store.tickets.createTicket(sampleTicket("doomed"));
            throw std::runtime_error("crash in the middle");
        }),
                        std::runtime_error);
        CHECK(store.tickets.countTickets() == 0);
        TicketRecord t;
        store.transaction([&] { t = store.tickets.createTicket(sampleTicket("next")); });
        CHECK(t.number == 1001);
    }

    SUBCASE("messages keep raw bytes exactly and are found by Message-ID") {
        TicketRecord t;
        std::string raw = std::string("Subject: x\r\n\r\n\x00\xff\xfe binary \xc3\xa4", 31);
        store.transaction([&] {
            t = store.tickets.createTicket(sampleTicket("raw"));
            MessageRecord m;
            m.ticket_id = t.id;
            m.direction = "in";
            m.author = "customer";
            m.message_id = "abc@customer.test";
            m.raw = raw;
            m.text = "Grüße";
            m.created_at = 1;
            store.tickets.addMessage(m);
        });
        CHECK(store.tickets.ticketIdByMessageId("abc@customer.test") == t.id);
        CHECK_FALSE(store.tickets.ticketIdByMessageId("other@x"));
        CHECK(store.intake.hasMessageId("abc@customer.test"));
        auto msgs = store.tickets.messagesOf(t.id, true);
        REQUIRE(msgs.size() == 1);
        CHECK(msgs[0].raw == raw);
        CHECK(msgs[0].text == "Grüße");
    }

    SUBCASE("the same Message-ID cannot be stored twice; the error names no bound value") {
        std::string error;
        try {
            store.transaction([&] {
                auto t = store.tickets.createTicket(sampleTicket("dup"));
                MessageRecord m;
                m.ticket_id = t.id;
                m.direction = "in";
                m.author = "customer";
                m.message_id = "SECRET-ID-7f3a@x";
                m.text = "SECRET-BODY: the customer's private words";
                m.raw = "SECRET-RAW";
                store.tickets.addMessage(m);
                store.tickets.addMessage(m);
            });
        } catch (const StorageError& e) {
            error = e.what();
        }
        REQUIRE_FALSE(error.empty());
        CAPTURE(error);
        // SOCI's context ("with :b=...") and PostgreSQL's DETAIL ("Key (message_id)=(...)") would
        // put the mail into a log line or a quarantine reason.
        CHECK((error.find("storing a message") == 0 || error.find("storing messages") == 0));
        CHECK(error.find("SECRET") == std::string::npos);
        CHECK(error.find(base64Of("SECRET-RAW")) == std::string::npos);
    }

    SUBCASE("participants are rows compared exactly; refused addresses; the reply-key secret is made once") {
        TicketRecord t;
        store.transaction([&] { t = store.tickets.createTicket(sampleTicket("people")); });
        store.transaction([&] {
            CHECK(store.tickets.addParticipant(t.id, "bob@customer.test", "customer:alice@customer.test", 5));
            CHECK_FALSE(store.tickets.addParticipant(t.id, "bob@customer.test", "customer:alice@customer.test", 6));
            CHECK(store.tickets.addParticipant(t.id, "%@%", "customer:alice@customer.test", 7));
        });
        CHECK(store.tickets.participantsOf(t.id) == std::vector<std::string>{"bob@customer.test", "%@%"});
        store.transaction([&] { CHECK(store.tickets.removeParticipant(t.id, "%@%")); });
        CHECK(store.tickets.participantsOf(t.id) == std::vector<std::string>{"bob@customer.test"});
        store.transaction([&] { store.tickets.refuseAddress(t.id, "dead@customer.test", "550 5.1.1 no such user", 8); });
        store.transaction([&] { store.tickets.refuseAddress(t.id, "dead@customer.test", "550 again", 9); });
        CHECK(store.tickets.refusedAddresses(t.id) == std::vector<std::string>{"dead@customer.test"});
        int made = 0;
        auto make = [&] { return "secret-" + std::to_string(++made); };
        std::string first, second;
        store.transaction([&] { first = store.counters.secret("reply_key", make, 10); });
        store.transaction([&] { second = store.counters.secret("reply_key", make, 11); });
        CHECK(first == "secret-1");
        CHECK(second == first);
        CHECK(made == 1);
    }

    SUBCASE("a stored message's fingerprint: direction, sender, body hash and raw bytes") {
        TicketRecord t;
        store.transaction([&] {
            t = store.tickets.createTicket(sampleTicket("fp"));
            MessageRecord m;
            m.ticket_id = t.id;
            m.direction = "in";
            m.author = "customer";
            m.message_id = "fp@x";
            m.from_address = "alice@customer.test";
            m.raw = "From: a\r\n\r\nbody";
            m.body_sha256 = "abc123";
            store.tickets.addMessage(m);
        });
        auto f = store.tickets.fingerprintOf("fp@x");
        REQUIRE(f);
        CHECK(f->direction == "in");
        CHECK(f->from_address == "alice@customer.test");
        CHECK(f->body_sha256 == "abc123");
        CHECK(f->raw == "From: a\r\n\r\nbody");
        CHECK_FALSE(store.tickets.fingerprintOf("other@x"));
        CHECK_FALSE(store.tickets.fingerprintOf(""));
    }

    SUBCASE("intake log keys mailbox + UIDVALIDITY + UID") {
        MailOrigin o{"support", 42, 7};
        CHECK_FALSE(store.intake.intakeOutcome(o));
        store.transaction([&] { store.intake.recordIntake(o, "m@x", "ticket", std::nullopt, 5); });
        CHECK(store.intake.intakeOutcome(o) == "ticket");
        CHECK_FALSE(store.intake.intakeOutcome(MailOrigin{"support", 43, 7}));
        // A batch's UIDs at once: this mailbox and UIDVALIDITY, the range's ends included.
        store.transaction([&] {
            store.intake.recordIntake(MailOrigin{"support", 42, 9}, "n@x", "duplicate", std::nullopt, 5);
            store.intake.recordIntake(MailOrigin{"support", 42, 12}, "o@x", "ticket", std::nullopt, 5);
            store.intake.recordIntake(MailOrigin{"support", 43, 8}, "p@x", "ticket", std::nullopt, 5);
            store.intake.recordIntake(MailOrigin{"billing", 42, 8}, "q@x", "ticket", std::nullopt, 5);
        });
        auto done = store.intake.intakeOutcomes("support", 42, 7, 11);
        CHECK(done == std::map<std::int64_t, std::string>{{7, "ticket"}, {9, "duplicate"}});
        CHECK(store.intake.intakeOutcomes("support", 42, 12, 12).size() == 1);
        CHECK(store.intake.intakeOutcomes("support", 42, 13, 100).empty());
        CHECK_THROWS(store.transaction([&] { store.intake.recordIntake(o, "m@x", "ticket", std::nullopt, 6); }));
        // ingest (uid 0) may repeat: dedupe is by Message-ID there
        store.transaction([&] {
            store.intake.recordIntake(MailOrigin{"pipe", 0, 0}, "a@x", "ticket", std::nullopt, 5);
            store.intake.recordIntake(MailOrigin{"pipe", 0, 0}, "b@x", "ticket", std::nullopt, 5);
        });
        CHECK(store.intake.hasMessageId("a@x"));
    }

    SUBCASE("checkpoints") {
        CHECK_FALSE(store.intake.checkpoint("support"));
        store.intake.saveCheckpoint({"support", 1, 10}, 1);
        store.intake.saveCheckpoint({"support", 1, 12}, 2);
        auto c = store.intake.checkpoint("support");
        REQUIRE(c);
        CHECK(c->uidvalidity == 1);
        CHECK(c->last_uid == 12);
    }

    SUBCASE("outbox: claim, lease, retry, sent, failed") {
        OutboxRecord m;
        m.kind = "acknowledgement";
        m.mail_from = "support@helpdesk.test";
        m.recipients = {"alice@customer.test", "bob@customer.test"};
        m.message_id = "ack1@helpdesk.test";
        m.raw = "Subject: hi\r\n\r\nbody\r\n";
        m.next_attempt_at = 100;
        m.created_at = 100;
        store.outbox.queueMail(m);
        CHECK(store.outbox.claimDueMail(99, 10).empty());
        auto claimed = store.outbox.claimDueMail(100, 10);
        REQUIRE(claimed.size() == 1);
        CHECK(claimed[0].recipients == m.recipients);
        CHECK(claimed[0].raw == m.raw);
        CHECK(store.outbox.claimDueMail(101, 10).empty());  // leased
        store.outbox.markRetry(claimed[0].id, 1, 200, "421 try later");
        CHECK(store.outbox.nextOutboxAttempt() == 200);
        CHECK(store.outbox.claimDueMail(150, 10).empty());
        claimed = store.outbox.claimDueMail(200, 10);
        REQUIRE(claimed.size() == 1);
        CHECK(claimed[0].attempts == 1);
        CHECK(claimed[0].last_error == "421 try later");
        store.outbox.markSent(claimed[0].id, 201);
        CHECK(store.outbox.listOutbox("sent").size() == 1);
        CHECK_FALSE(store.outbox.nextOutboxAttempt());
        store.outbox.queueMail(m);
        auto second = store.outbox.claimDueMail(300, 10);
        REQUIRE(second.size() == 1);
        store.outbox.markFailed(second[0].id, 1, "550 no such user");
        CHECK(store.outbox.listOutbox("failed").at(0).last_error == "550 no such user");
    }

    SUBCASE("outbox: a mail with 8-bit Latin-1 bytes (an agent's notification carrying the customer's original) is kept byte for byte") {
        OutboxRecord m;
        m.kind = "agent_notification";
        m.mail_from = "support@helpdesk.test";
        m.recipients = {"anna@helpdesk.test"};
        m.message_id = "latin1@helpdesk.test";
        m.raw = "Subject: x\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                "Content-Type: text/plain; charset=iso-8859-1\r\n\r\nSch\xf6ne Gr\xfc\xdf" "e \xbb\r\n";
        m.next_attempt_at = m.created_at = 100;
        store.outbox.queueMail(m);
        auto claimed = store.outbox.claimDueMail(100, 10);
        REQUIRE(claimed.size() == 1);
        CHECK(claimed[0].raw == m.raw);
    }

    SUBCASE("events and quarantine") {
        TicketRecord t;
        store.transaction([&] {
            t = store.tickets.createTicket(sampleTicket("ev"));
            store.tickets.addEvent({0, t.id, 10, "system", "created", "from mail"});
            store.tickets.addEvent({0, t.id, 11, "agent:anna", "status", "open -> resolved"});
        });
        auto events = store.tickets.eventsOf(t.id);
        REQUIRE(events.size() == 2);
        CHECK(events[1].actor == "agent:anna");
        QuarantineRecord q{0, "support", 1, 9, "x@y", "too_deep: MIME nesting over 20", "raw\x01", 5};
        store.intake.quarantine(q);
        auto list = store.intake.listQuarantine(true);
        REQUIRE(list.size() == 1);
        CHECK(list[0].reason == q.reason);
        CHECK(list[0].raw == q.raw);
    }
}

}  // namespace

TEST_CASE("storage suite on SQLite") {
    auto dir = test::freshDirectory("storage");
    storageSuite("sqlite:" + (dir / "t.db").string());
}

TEST_CASE("storage suite on PostgreSQL") {
    auto url = test::freshPostgresDatabase();
    if (!url) return;  // freshPostgresDatabase() already failed the test with its reason
    storageSuite(*url);
}

TEST_CASE("PostgreSQL: stored mail is compressed with lz4 (migration 11)") {
    auto url = test::freshPostgresDatabase();
    if (!url) return;
    SociStore store(parseDatabaseUrl(*url));
    for (const char* column : {"messages.raw_b64", "messages.body", "outbox.raw"}) {
        std::string c = column, compression;
        const std::string table = c.substr(0, c.find('.')), name = c.substr(c.find('.') + 1);
        store.session() << "SELECT attcompression FROM pg_attribute WHERE attrelid = CAST(:t AS regclass)"
                           " AND attname = :n",
            soci::use(table), soci::use(name), soci::into(compression);
        CHECK_MESSAGE(compression == "l", column);
    }
}

TEST_CASE("SQLite: an outbox claim reads the queue in the index, not every queued row (migration 12)") {
    // The mail's bytes lie before locked_until in each row: a claim that filtered on the rows
    // (and sorted them all for ORDER BY id) read the whole queue's mail every time.
    auto dir = test::freshDirectory("storage-claim");
    SociStore store(parseDatabaseUrl("sqlite:" + (dir / "c.db").string()));
    std::string plan;
    soci::rowset<soci::row> rows = (store.session().prepare << "EXPLAIN QUERY PLAN " +
                                                                    OutboxStore::claimSql(Backend::sqlite, 10),
                                    soci::use(100LL), soci::use(100LL));
    for (const auto& r : rows) plan += r.get<std::string>(3) + "\n";
    CHECK_MESSAGE(plan.find("USING INDEX outbox_queue") != std::string::npos, plan);  // the row read once chosen
    CHECK_MESSAGE(plan.find("TEMP B-TREE") == std::string::npos, plan);
    plan.clear();
    soci::rowset<soci::row> next = (store.session().prepare << "EXPLAIN QUERY PLAN SELECT MIN(locked_until), "
                                                                   "MIN(next_attempt_at) FROM outbox WHERE status = 'queued'");
    for (const auto& r : next) plan += r.get<std::string>(3) + "\n";
    CHECK_MESSAGE(plan.find("COVERING INDEX outbox_queue") != std::string::npos, plan);
}

TEST_CASE("migrations are idempotent: opening twice keeps the data") {
    auto dir = test::freshDirectory("storage-migrate");
    auto url = parseDatabaseUrl("sqlite:" + (dir / "m.db").string());
    {
        SociStore store(url);
        store.transaction([&] { store.tickets.createTicket(sampleTicket("kept")); });
    }
    SociStore again(url);
    CHECK(again.tickets.countTickets() == 1);
}

TEST_CASE("migration 10 turns the outbox rows written before it into base64, and they are sent as they were") {
    auto dir = test::freshDirectory("storage-migrate-outbox");
    auto url = parseDatabaseUrl("sqlite:" + (dir / "m.db").string());
    const std::string raw = "Subject: old\r\n\r\nqueued before the upgrade, Gr\xfc\xdf" "e\r\n";
    {
        SociStore store(url);
        OutboxRecord m;
        m.kind = "acknowledgement";
        m.mail_from = "support@helpdesk.test";
        m.recipients = {"alice@customer.test"};
        m.message_id = "old@helpdesk.test";
        m.next_attempt_at = m.created_at = 100;
        store.outbox.queueMail(m);
        // As a version-9 database held it: the bytes themselves, and no migration 10 yet.
        store.session() << "UPDATE outbox SET raw = :r", soci::use(raw);
        store.session() << "DELETE FROM schema_version WHERE version >= 10";
    }
    SociStore upgraded(url);
    auto claimed = upgraded.outbox.claimDueMail(100, 10);
    REQUIRE(claimed.size() == 1);
    CHECK(claimed[0].raw == raw);
}

TEST_CASE("SQLite: several connections opening and writing a fresh file at once do not fail with 'locked'") {
    // The daemon and a CLI command (or two daemons) may migrate the same new file at the same
    // moment; then both write tickets. Deferred transactions would fail here at once with
    // "database is locked" whatever the busy timeout (seen in CI before BEGIN IMMEDIATE).
    auto dir = test::freshDirectory("storage-concurrent");
    constexpr int kRounds = 10, kThreads = 4, kTicketsEach = 5;
    for (int round = 0; round < kRounds; ++round) {
        auto url = parseDatabaseUrl("sqlite:" + (dir / ("c" + std::to_string(round) + ".db")).string());
        std::atomic<int> failures{0};
        std::string firstError;
        std::mutex errorMutex;
        std::vector<std::thread> threads;
        for (int t = 0; t < kThreads; ++t)
            threads.emplace_back([&] {
                try {
                    SociStore store(url);
                    for (int i = 0; i < kTicketsEach; ++i)
                        store.transaction([&] {
                            (void)store.tickets.countTickets();  // read first, then write: the risky order
                            store.tickets.createTicket(sampleTicket("concurrent"));
                        });
                } catch (const std::exception& e) {
                    ++failures;
                    std::lock_guard lock(errorMutex);
                    if (firstError.empty()) firstError = e.what();
                }
            });
        for (auto& th : threads) th.join();
        REQUIRE_MESSAGE(failures == 0, firstError);
        SociStore check(url);
        CHECK(check.tickets.countTickets() == kThreads * kTicketsEach);
    }
}

TEST_CASE("raw mail in base64 round-trips byte for byte at every length") {
    std::string bytes;
    for (int n = 0; n < 300; ++n) {
        const std::string b64 = encodeRaw(bytes);
        CHECK(b64.size() == (bytes.size() + 2) / 3 * 4);
        CHECK(b64.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") ==
              std::string::npos);
        CHECK(decodeRaw(b64) == bytes);
        bytes += static_cast<char>((n * 37 + 11) % 256);  // every byte value, NUL and 8-bit ones too
    }
    CHECK(encodeRaw("Hi\xe9") == "SGnp");
}

TEST_CASE("database URLs") {
    auto pg = parseDatabaseUrl("postgresql://desk:s3cret@db.example:5433/helpdesk?sslmode=require");
    CHECK(pg.backend == Backend::postgresql);
    CHECK(pg.connect == "host='db.example' port='5433' dbname='helpdesk' user='desk' password='s3cret' sslmode='require'");
    CHECK(pg.redacted().find("s3cret") == std::string::npos);
    CHECK(parseDatabaseUrl("sqlite:/var/lib/x.db").connect == "/var/lib/x.db");
    CHECK_THROWS_AS(parseDatabaseUrl("mysql://x"), StorageError);
    CHECK_THROWS_AS(SociStore(parseDatabaseUrl("postgresql://u:p@127.0.0.1:1/none")), StorageUnavailable);
}
