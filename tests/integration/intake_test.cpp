// Issue 2 end to end: customer mail over SMTP -> Dovecot -> deskgate (IMAP) -> ticket in the
// database -> acknowledgement over SMTP -> the customer's INBOX; replies thread onto the ticket.
#include <doctest/doctest.h>

#include <csignal>
#include <random>
#include <set>

#include <fstream>
#include <iterator>

#include <nlohmann/json.hpp>
#include <soci/soci.h>

#include "parsers/parsed_mail.hpp"

#include "desk_fixture.hpp"

using namespace deskgate;
using namespace deskgate::test;
using json = nlohmann::json;

namespace {

json showTicket(Desk& desk, std::int64_t number) {
    auto r = desk.cli({"tickets", "show", std::to_string(number), "--json"});
    REQUIRE_MESSAGE(r.status.exited, r.err);
    REQUIRE_MESSAGE(r.status.code == 0, r.err);
    return json::parse(r.out);
}

std::size_t inboundCount(const json& ticket) {
    std::size_t n = 0;
    for (const auto& m : ticket["messages"])
        if (m["direction"] == "in") ++n;
    return n;
}

void conversation(Db db) {
    clearAllMailboxes();
    Desk desk(DeskOptions{.db = db});
    desk.start();

    const std::string first = uniqueMessageId();
    sendMail(kAlice, {kSupport},
             Desk::customerMail("Alice Müller <alice@customer.test>", "Drucker brennt — bitte helfen",
                                "Hallo,\r\nmein Drucker raucht.\r\nGrüße, Alice", first));

    // The acknowledgement arrives in alice's INBOX with the token in its subject.
    std::vector<Message> acks;
    REQUIRE_MESSAGE(waitFor([&] { return !(acks = mailsFromSupport(kAlice)).empty(); }, 20s),
                    desk.process().output());
    REQUIRE(acks.size() == 1);
    const std::string& ack = acks[0].raw;
    auto subject = headerValue(ack, "Subject");
    REQUIRE(subject);
    CHECK(subject->find("[Ticket#1001]") != std::string::npos);
    CHECK(headerValue(ack, "In-Reply-To") == first);
    CHECK(headerValue(ack, "Auto-Submitted") == "auto-replied");
    auto ackId = headerValue(ack, "Message-ID");
    REQUIRE(ackId);
    CHECK(ackId->find("@helpdesk.test>") != std::string::npos);
    // The subject is RFC 2047 encoded UTF-8; deskgate's own parser reads back the umlauts.
    auto parsed = parseMail(ack);
    REQUIRE(parsed);
    CHECK(parsed->subject.find("Drucker brennt — bitte helfen") != std::string::npos);
    CHECK(parsed->token == 1001u);

    auto t = showTicket(desk, 1001);
    CHECK(t["subject"] == "Drucker brennt — bitte helfen");
    CHECK(t["customer"]["address"] == kAlice);
    CHECK(t["customer"]["name"] == "Alice Müller");
    CHECK(t["status"] == "open");

    // A reply carrying the token lands on the same ticket.
    sendMail(kAlice, {kSupport},
             Desk::customerMail(kAlice, "AW: [Ticket#1001] Drucker brennt", "Es brennt immer noch.",
                                uniqueMessageId()));
    REQUIRE(waitFor([&] { return inboundCount(showTicket(desk, 1001)) == 2; }, 20s));

    // A reply without the token but In-Reply-To the acknowledgement lands there too.
    sendMail(kAlice, {kSupport},
             Desk::customerMail(kAlice, "Nachtrag", "Jetzt ist er aus.", uniqueMessageId(),
                                "In-Reply-To: " + *ackId + "\r\nReferences: " + first + " " + *ackId + "\r\n"));
    REQUIRE(waitFor([&] { return inboundCount(showTicket(desk, 1001)) == 3; }, 20s));
    CHECK(desk.ticketCount() == 1);
    // Replies are not acknowledged again: still one mail from support.
    CHECK(mailsFromSupport(kAlice).size() == 1);
    // Every mail taken in is flagged \Seen on the server.
    REQUIRE(waitFor([&] { return searchMailbox(kSupport, "INBOX", "UNSEEN").empty(); }, 10s));
    CHECK(listMailbox(kSupport, "INBOX").size() == 3);

    auto events = showTicket(desk, 1001)["events"];
    std::set<std::string> types;
    for (const auto& e : events) types.insert(e["type"].get<std::string>());
    CHECK(types.count("created") == 1);
    CHECK(types.count("message") == 1);
    CHECK(types.count("sent") == 1);
    desk.stop();
}

}  // namespace

TEST_SUITE("intake") {

TEST_CASE("a customer mail becomes a ticket, is acknowledged, and replies thread onto it (SQLite)") {
    conversation(Db::sqlite);
}

TEST_CASE("the same conversation on PostgreSQL") { conversation(Db::postgresql); }

TEST_CASE("the same mail delivered twice makes one ticket; ingest of it again changes nothing") {
    clearAllMailboxes();
    Desk desk;
    const std::string raw = Desk::customerMail(kAlice, "Twice", "Same mail, two deliveries.", uniqueMessageId());
    deliverDirect(kSupport, "INBOX", raw);
    deliverDirect(kSupport, "INBOX", raw);
    desk.start();
    REQUIRE(waitFor([&] { return searchMailbox(kSupport, "INBOX", "UNSEEN").empty(); }, 20s));
    CHECK(desk.ticketCount() == 1);
    auto again = desk.cli({"ingest", "--mailbox", "pipe"}, raw);
    CHECK(again.status.code == 0);
    CHECK(again.out.find("duplicate") != std::string::npos);
    CHECK(desk.ticketCount() == 1);
    REQUIRE(waitFor([&] { return mailsFromSupport(kAlice).size() == 1; }, 20s));
    desk.stop();
    CHECK(mailsFromSupport(kAlice).size() == 1);
    // Nothing vanishes: each of the three copies has its line in the intake log, with the why.
    auto log = desk.cli({"intake", "log"});
    CHECK(log.status.code == 0);
    CHECK(log.out.find("new_ticket") != std::string::npos);
    CHECK(log.out.find("3 mails") != std::string::npos);
    auto dups = desk.cli({"intake", "log", "--outcome", "duplicate", "--json"});
    CHECK(dups.status.code == 0);
    CHECK(dups.out.find("\"outcome\": \"duplicate\"") != std::string::npos);
    CHECK(dups.out.find("was already taken in") != std::string::npos);
    CHECK(dups.out.find("new_ticket") == std::string::npos);
}

TEST_CASE("deskgate ingest: stored (0), and EX_TEMPFAIL (75) when the database is unreachable") {
    clearAllMailboxes();
    Desk desk;
    auto r = desk.cli({"ingest"}, Desk::customerMail(kAlice, "Piped in", "From the MTA.", uniqueMessageId()));
    CHECK_MESSAGE(r.status.code == 0, r.err);
    CHECK(r.out.find("new_ticket ticket 1001") != std::string::npos);
    CHECK(desk.ticketCount() == 1);

    Desk broken(DeskOptions{.extra_yaml = ""});
    TempDir dir("badpg");
    std::string cfg = std::string("database: postgresql://deskgate:deskgate@127.0.0.1:1/nothing\n") +
                      "identity: { address: support@helpdesk.test }\nsmtp: { url: smtp://127.0.0.1:1 }\n" +
                      "templates: " + DESKGATE_SOURCE_DIR + "/etc/templates\n";
    auto path = dir.write("deskgate.yaml", cfg);
    auto fail = runDeskgate({"ingest", "--config", path.string()},
                            Desk::customerMail(kAlice, "x", "y", uniqueMessageId()));
    CHECK(fail.status.code == 75);
    CHECK(fail.err.find("database unavailable") != std::string::npos);
}

TEST_CASE("mail that cannot be handled is quarantined with its reason and does not block the mailbox") {
    clearAllMailboxes();
    Desk desk(DeskOptions{.extra_yaml = "limits: { max_depth: 3 }\n"});
    // Nested multiparts deeper than the limit.
    std::string deep = "From: alice@customer.test\r\nTo: support@helpdesk.test\r\nSubject: deep\r\nMessage-ID: " +
                       uniqueMessageId() + "\r\nMIME-Version: 1.0\r\n";
    std::string body;
    for (int i = 0; i < 6; ++i) {
        deep += (i == 0 ? "" : "\r\n--b" + std::to_string(i - 1) + "\r\n") +
                std::string("Content-Type: multipart/mixed; boundary=\"b") + std::to_string(i) + "\"\r\n";
    }
    deep += "\r\n--b5\r\nContent-Type: text/plain\r\n\r\nbottom\r\n--b5--\r\n";
    deliverDirect(kSupport, "INBOX", deep);
    deliverDirect(kSupport, "INBOX", Desk::customerMail(kAlice, "after the bad one", "fine", uniqueMessageId()));
    // An out-of-office that belongs to no ticket must neither open a ticket nor be answered.
    deliverDirect(kSupport, "INBOX",
                  Desk::customerMail("bob@customer.test", "Out of Office: back Monday", "I am away.",
                                     uniqueMessageId(), "Auto-Submitted: auto-replied\r\n"));
    desk.start();
    REQUIRE(waitFor([&] { return searchMailbox(kSupport, "INBOX", "UNSEEN").empty(); }, 20s));
    CHECK(desk.ticketCount() == 1);
    auto q = desk.cli({"quarantine", "list", "--json"});
    auto list = json::parse(q.out);
    REQUIRE(list.size() == 2);
    CHECK(list[0]["reason"].get<std::string>().find("too_deep") != std::string::npos);
    CHECK(list[1]["reason"].get<std::string>().find("auto_reply") != std::string::npos);
    desk.stop();
    CHECK(mailsFromSupport("bob@customer.test").empty());
}

// A batch is first run without a savepoint per mail (Intake::isolateEachMail); a mail that
// fails in it, in its own statements or in the rows held back to the batch's end, makes the
// batch run again mail by mail: that mail is quarantined, the others are taken in.
void failingMailInBatch(Db db) {
    clearAllMailboxes();
    Desk desk(DeskOptions{.db = db});
    auto& sql = desk.store().session();
    if (db == Db::sqlite) {
        sql << "CREATE TRIGGER refuse_ticket BEFORE INSERT ON tickets WHEN NEW.subject LIKE '%refuse-me%'"
               " BEGIN SELECT RAISE(ABORT, 'refuse_ticket: refused by the test'); END";
        sql << "CREATE TRIGGER refuse_event BEFORE INSERT ON events WHEN NEW.detail LIKE '%refuse-event%'"
               " BEGIN SELECT RAISE(ABORT, 'refuse_event: refused by the test'); END";
    } else {
        sql << "ALTER TABLE tickets ADD CONSTRAINT refuse_ticket CHECK (subject NOT LIKE '%refuse-me%')";
        sql << "ALTER TABLE events ADD CONSTRAINT refuse_event CHECK (detail NOT LIKE '%refuse-event%')";
    }
    deliverDirect(kSupport, "INBOX", Desk::customerMail(kAlice, "first", "fine", uniqueMessageId()));
    deliverDirect(kSupport, "INBOX", Desk::customerMail("bob@customer.test", "refuse-me", "no", uniqueMessageId()));
    deliverDirect(kSupport, "INBOX", Desk::customerMail("carol@customer.test", "third", "fine", uniqueMessageId()));
    deliverDirect(kSupport, "INBOX",
                  Desk::customerMail("dave@customer.test", "fourth", "no", "<refuse-event.1@customer.test>"));
    desk.start();
    REQUIRE_MESSAGE(waitFor([&] { return searchMailbox(kSupport, "INBOX", "UNSEEN").empty(); }, 20s),
                    desk.process().output());
    CHECK(desk.ticketCount() == 2);
    auto list = json::parse(desk.cli({"quarantine", "list", "--json"}).out);
    REQUIRE(list.size() == 2);
    for (const auto& q : list) CHECK(q["reason"].get<std::string>().find("could not be handled") != std::string::npos);
    CHECK(list[0]["reason"].get<std::string>().find("refuse_ticket") != std::string::npos);
    CHECK(list[1]["reason"].get<std::string>().find("refuse_event") != std::string::npos);
    CHECK(desk.process().output().find("running the batch again mail by mail") != std::string::npos);
    auto log = json::parse(desk.cli({"intake", "log", "--json"}).out);
    CHECK(log.size() == 4);
    // The acknowledgements go out after the commit, through Postfix: waited for, not assumed.
    CHECK(waitFor([&] { return mailsFromSupport(kAlice).size() == 1 && mailsFromSupport("carol@customer.test").size() == 1; },
                  20s));
    desk.stop();
    CHECK(mailsFromSupport("bob@customer.test").empty());
    CHECK(mailsFromSupport(kAlice).size() == 1);
    CHECK(mailsFromSupport("carol@customer.test").size() == 1);
}

// One batch, run without savepoints, its rows held back to its end: what an earlier mail of the
// batch stored must still be seen by the later ones — her reply threads, her repeat is one, a
// stranger naming her mail gets a ticket of his own and is no participant of hers, and a new
// ticket's Cc is its participant.
void oneBatchSeesItself(Db db) {
    clearAllMailboxes();
    Desk desk(DeskOptions{.db = db});
    const std::string first = uniqueMessageId();
    const std::string firstMail = Desk::customerMail(kAlice, "Printer on fire", "Help.", first);
    deliverDirect(kSupport, "INBOX", firstMail);
    deliverDirect(kSupport, "INBOX",
                  Desk::customerMail(kAlice, "Re: Printer on fire", "Still burning.", uniqueMessageId(),
                                     "In-Reply-To: " + first + "\r\n"));
    deliverDirect(kSupport, "INBOX", firstMail);  // the same mail again
    deliverDirect(kSupport, "INBOX",
                  Desk::customerMail("carol@customer.test", "Re: Printer on fire", "Let me in.", uniqueMessageId(),
                                     "In-Reply-To: " + first + "\r\nReferences: " + first + "\r\n"));
    deliverDirect(kSupport, "INBOX",
                  Desk::customerMail(kAlice, "Second question", "And the scanner?", uniqueMessageId(),
                                     "Cc: bob@customer.test\r\n"));
    desk.start();
    REQUIRE_MESSAGE(waitFor([&] { return searchMailbox(kSupport, "INBOX", "UNSEEN").empty(); }, 20s),
                    desk.process().output());
    CHECK(desk.process().output().find("running the batch again mail by mail") == std::string::npos);
    auto log = json::parse(desk.cli({"intake", "log", "--json"}).out);  // newest first
    REQUIRE(log.size() == 5);
    CHECK(log[4]["outcome"] == "new_ticket");
    CHECK(log[3]["outcome"] == "reply");
    CHECK(log[3]["ticket"] == 1001);
    CHECK(log[2]["outcome"] == "duplicate");
    CHECK(log[1]["outcome"] == "new_ticket");
    CHECK(log[1]["ticket"] == 1002);
    CHECK(log[0]["ticket"] == 1003);
    CHECK(desk.ticketCount() == 3);
    CHECK(inboundCount(showTicket(desk, 1001)) == 2);
    auto& tickets = desk.store().tickets;
    CHECK(tickets.ticketByNumber(1002)->follows_number == 1001);
    CHECK(tickets.participantsOf(tickets.ticketByNumber(1001)->id).empty());
    CHECK(tickets.participantsOf(tickets.ticketByNumber(1003)->id) == std::vector<std::string>{"bob@customer.test"});
    desk.stop();
}

TEST_CASE("one batch sees what its earlier mails stored: reply, repeat, stranger, Cc (SQLite)") {
    oneBatchSeesItself(Db::sqlite);
}

TEST_CASE("one batch sees what its earlier mails stored: reply, repeat, stranger, Cc (PostgreSQL)") {
    oneBatchSeesItself(Db::postgresql);
}

TEST_CASE("a mail that fails in its batch is quarantined, the rest of the batch taken in (SQLite)") {
    failingMailInBatch(Db::sqlite);
}

TEST_CASE("a mail that fails in its batch is quarantined, the rest of the batch taken in (PostgreSQL)") {
    failingMailInBatch(Db::postgresql);
}

TEST_CASE("IMAPS with the test CA works; a wrong CA is refused with a clear error") {
    clearAllMailboxes();
    const auto& s = servers();
    {
        Desk good(DeskOptions{.imap_url = s.imapsUrl(), .ca_file = s.caFile});
        deliverDirect(kSupport, "INBOX", Desk::customerMail(kAlice, "over TLS", "secure", uniqueMessageId()));
        good.start();
        REQUIRE_MESSAGE(waitFor([&] { return good.ticketCount() == 1; }, 20s), good.process().output());
        good.stop();
    }
    clearAllMailboxes();
    Desk bad(DeskOptions{.imap_url = s.imapsUrl(), .ca_file = s.wrongCaFile});
    deliverDirect(kSupport, "INBOX", Desk::customerMail(kAlice, "not over a wrong CA", "x", uniqueMessageId()));
    bad.start();
    REQUIRE(bad.process().waitForOutput("mailbox session failed", 20s));
    auto log = bad.process().output();
    CHECK(log.find("cannot connect to " + s.imapsUrl()) != std::string::npos);
    CHECK((log.find("certificate") != std::string::npos || log.find("SSL") != std::string::npos));
    CHECK(bad.ticketCount() == 0);
    CHECK(searchMailbox(kSupport, "INBOX", "UNSEEN").size() == 1);  // untouched, not lost
    bad.stop();
}

TEST_CASE("SMTP down: the acknowledgement waits in the outbox and goes out when SMTP is back") {
    clearAllMailboxes();
    Desk desk;
    stopSmtpServer();
    struct Restart {
        ~Restart() {
            if (!smtpServerUp()) startSmtpServer();
        }
    } restart;
    deliverDirect(kSupport, "INBOX", Desk::customerMail(kAlice, "while SMTP is down", "hello", uniqueMessageId()));
    desk.start();
    REQUIRE(waitFor([&] { return desk.ticketCount() == 1; }, 20s));
    // Tried, failed temporarily, still queued with the reason.
    // (the acknowledgement and one notification to each of the two agents)
    REQUIRE(waitFor([&] {
        auto q = desk.store().outbox.listOutbox("queued");
        return q.size() == 3 && q[0].attempts >= 1 && q[1].attempts >= 1 && q[2].attempts >= 1;
    }, 20s));
    CHECK_FALSE(desk.store().outbox.listOutbox("queued")[0].last_error.empty());
    CHECK(desk.store().outbox.listOutbox("failed").empty());
    startSmtpServer();
    REQUIRE_MESSAGE(waitFor([&] { return mailsFromSupport(kAlice).size() == 1; }, 30s), desk.process().output());
    REQUIRE(waitFor([&] { return desk.store().outbox.listOutbox("sent").size() == 3; }, 30s));
    desk.stop();
}

TEST_CASE("a 5xx refusal fails the acknowledgement for good, with an event on the ticket and a notice to the agents; our own mail is not taken in") {
    clearAllMailboxes();
    Desk desk;
    // nobody@customer.test has no mailbox: Postfix refuses the acknowledgement with 550 5.1.1.
    deliverDirect(kSupport, "INBOX", Desk::customerMail("nobody@customer.test", "unknown sender", "x", uniqueMessageId()));
    // A mail that claims to come from deskgate itself (a loop through some forward).
    deliverDirect(kSupport, "INBOX", Desk::customerMail("Test Support <support@helpdesk.test>", "[Ticket#1001] loop",
                                                        "x", uniqueMessageId()));
    desk.start();
    REQUIRE_MESSAGE(waitFor([&] { return desk.store().outbox.listOutbox("failed").size() == 1; }, 30s),
                    desk.process().output());
    auto failed = desk.store().outbox.listOutbox("failed")[0];
    CHECK(failed.last_error.find("550") != std::string::npos);
    CHECK(failed.attempts == 1);
    bool event = false;
    for (const auto& e : desk.store().tickets.eventsOf(*failed.ticket_id))
        event = event || (e.type == "send_failed" && e.detail.find("550") != std::string::npos);
    CHECK(event);
    // The agents hear of it (nobody is assigned: the whole desk), in the ticket's thread.
    std::vector<Message> notices;
    REQUIRE_MESSAGE(waitFor([&] {
        notices.clear();
        for (auto& m : mailsFromSupport("agent1@helpdesk.test"))
            if (m.raw.find("Not delivered") != std::string::npos) notices.push_back(m);
        return !notices.empty();
    }, 30s), desk.process().output());
    auto notice = parseMail(notices[0].raw);
    REQUIRE(notice);
    CHECK(notice->token == 1001u);
    CHECK(notice->text.find("nobody@customer.test") != std::string::npos);
    CHECK(notice->text.find("550") != std::string::npos);
    CHECK(notice->text.find("acknowledgement: [Ticket#1001] Received: unknown sender") != std::string::npos);
    CHECK(desk.ticketCount() == 1);
    auto q = json::parse(desk.cli({"quarantine", "list", "--json"}).out);
    REQUIRE(q.size() == 1);
    CHECK(q[0]["reason"].get<std::string>().find("mail loop") != std::string::npos);
    desk.stop();
}

TEST_CASE("SIGHUP with a broken configuration keeps the running one; SIGTERM stops cleanly") {
    clearAllMailboxes();
    Desk desk;
    desk.start();
    REQUIRE(desk.process().waitForOutput("watching mailbox=support", 20s));
    std::string good;
    {
        std::ifstream in(desk.configPath());
        good.assign(std::istreambuf_iterator<char>(in), {});
    }
    {
        std::ofstream out(desk.configPath());
        out << good << "priorty: high\n";
    }
    desk.process().signal(SIGHUP);
    REQUIRE(desk.process().waitForOutput("rejected, the running configuration stays", 10s));
    CHECK(desk.process().output().find("unknown key 'priorty'") != std::string::npos);
    // Still working with the old configuration.
    sendMail(kAlice, {kSupport}, Desk::customerMail(kAlice, "after a bad reload", "x", uniqueMessageId()));
    REQUIRE(waitFor([&] { return desk.ticketCount() == 1; }, 20s));
    {
        std::ofstream out(desk.configPath());
        out << good;
    }
    desk.process().signal(SIGHUP);
    REQUIRE(desk.process().waitForOutput("configuration reloaded", 10s));
    desk.stop();
}

TEST_CASE("UIDVALIDITY change: the folder is read again, nothing is lost and nothing duplicated") {
    clearAllMailboxes();
    createFolder(kSupport, "Tickets");
    doveadm({"mailbox", "delete", "-u", kSupport, "Tickets"});
    createFolder(kSupport, "Tickets");
    Desk desk(DeskOptions{.folder = "Tickets"});
    const std::string a = Desk::customerMail(kAlice, "before the change A", "a", uniqueMessageId());
    const std::string b = Desk::customerMail(kAlice, "before the change B", "b", uniqueMessageId());
    deliverDirect(kSupport, "Tickets", a);
    deliverDirect(kSupport, "Tickets", b);
    desk.start();
    REQUIRE(waitFor([&] { return desk.ticketCount() == 2; }, 20s));
    desk.stop();
    // The server recreates the folder: new UIDVALIDITY, the old mails come back with new UIDs.
    doveadm({"mailbox", "delete", "-u", kSupport, "Tickets"});
    createFolder(kSupport, "Tickets");
    deliverDirect(kSupport, "Tickets", a);
    deliverDirect(kSupport, "Tickets", b);
    deliverDirect(kSupport, "Tickets", Desk::customerMail(kAlice, "after the change", "c", uniqueMessageId()));
    desk.start();
    REQUIRE(desk.process().waitForOutput("UIDVALIDITY changed", 20s));
    REQUIRE(waitFor([&] { return searchMailbox(kSupport, "Tickets", "UNSEEN").empty(); }, 20s));
    CHECK(desk.ticketCount() == 3);
    desk.stop();
}

TEST_CASE("after_ingest: move puts handled mail into another folder") {
    clearAllMailboxes();
    createFolder(kSupport, "Handled");
    clearMailbox(kSupport, "Handled");
    Desk desk(DeskOptions{.after_ingest = "move"});
    deliverDirect(kSupport, "INBOX", Desk::customerMail(kAlice, "move me", "x", uniqueMessageId()));
    desk.start();
    REQUIRE(waitFor([&] { return listMailbox(kSupport, "Handled").size() == 1; }, 20s));
    CHECK(listMailbox(kSupport, "INBOX").empty());
    CHECK(desk.ticketCount() == 1);
    desk.stop();
}

TEST_CASE("folders with non-ASCII names are watched and moved to (modified UTF-7 on the wire)") {
    clearAllMailboxes();
    // doveadm speaks UTF-8; IMAP clients must send "Eing&AOQ-nge".
    const std::string inbox = "Eingänge", done = "Erledigt & geprüft";
    for (const auto& folder : {inbox, done}) {
        createFolder(kSupport, folder);
        clearMailbox(kSupport, folder);
    }
    auto countIn = [&](const std::string& folder) {
        auto r = doveadm({"search", "-u", kSupport, "mailbox", folder, "all"});
        return std::count(r.out.begin(), r.out.end(), '\n');
    };
    Desk desk(DeskOptions{.after_ingest = "move", .move_to = done, .folder = inbox});
    deliverDirect(kSupport, inbox, Desk::customerMail(kAlice, "Umlaute im Ordner", "x", uniqueMessageId()));
    desk.start();
    REQUIRE_MESSAGE(waitFor([&] { return countIn(done) == 1; }, 20s), desk.process().output());
    CHECK(countIn(inbox) == 0);
    CHECK(desk.ticketCount() == 1);
    desk.stop();
}

}  // TEST_SUITE
