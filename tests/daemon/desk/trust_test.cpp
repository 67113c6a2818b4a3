// The trust boundary, each case written as the attack it stops (issue: strangers stay out of
// tickets, agents are who they say, the desk relays no spam, nothing vanishes). The real Intake
// on SQLite; the same attacks over the real servers and PostgreSQL: tests/integration/trust_test.cpp.
#include <doctest/doctest.h>

#include "tests/daemon/desk/desk_fixture.hpp"

using namespace deskgate;
using test::addresses;
using test::contains;
using test::Desk;

namespace {

// Every address deskgate has queued mail to, for ticket `number` (or any ticket: 0).
std::vector<std::string> recipientsOf(Desk& d, std::int64_t number = 0) {
    std::vector<std::string> out;
    const auto id = number ? std::optional<std::int64_t>(d.ticket(number).id) : std::nullopt;
    for (const auto& o : d.store->outbox.listOutbox("queued"))
        if (!id || o.ticket_id == id)
            for (const auto& r : o.recipients)
                if (std::find(out.begin(), out.end(), r) == out.end()) out.push_back(r);
    return out;
}

bool mailedTo(Desk& d, const std::string& address) {
    auto all = recipientsOf(d);
    return std::find(all.begin(), all.end(), address) != all.end();
}

// Alice's ticket 1001, and anna's answer to it: who gets that answer is what mallory is after.
void aliceTicket(Desk& d) {
    d.mail("Alice <alice@customer.test>", "VPN down", "It does not connect.\r\n");
    REQUIRE(d.ticket(1001).customer_address == "alice@customer.test");
}

std::vector<std::string> answerRecipients(Desk& d) {
    d.reply("anna@acme.test", "Re: [Ticket#1001] VPN down", "Please restart the client.\r\n");
    auto relays = d.outbox("agent_reply");
    REQUIRE_FALSE(relays.empty());
    return relays.back().recipients;
}

}  // namespace

TEST_CASE("attack: a stranger's auto-reply with the token does not make him a participant") {
    Desk d;
    aliceTicket(d);
    IntakeResult r;
    d.mail("mallory@evil.test", "Re: [Ticket#1001] VPN down", "I am out of office.\r\n",
           "Auto-Submitted: auto-replied\r\n", &r);
    CHECK(r.outcome == "reply");  // machine mail attaches, as a note for agents
    CHECK(d.store->tickets.participantsOf(d.ticket(1001).id).empty());
    bool note = false;
    for (const auto& m : d.store->tickets.messagesOf(d.ticket(1001).id))
        if (m.from_address == "mallory@evil.test") note = m.author == "machine" && m.kind == "auto_reply";
    CHECK(note);
    CHECK(answerRecipients(d) == std::vector<std::string>{"alice@customer.test"});
    CHECK_FALSE(mailedTo(d, "mallory@evil.test"));
}

TEST_CASE("attack: Reply-To naming the customer, or a LIKE pattern, gets a stranger nowhere") {
    for (const std::string replyTo : {"alice@customer.test", "Alice <ALICE@customer.test>", "<%@%>", "%"}) {
        CAPTURE(replyTo);
        Desk d;
        aliceTicket(d);
        IntakeResult r;
        d.mail("Mallory <mallory@evil.test>", "Re: [Ticket#1001] VPN down", "#close\r\nAdd me please.\r\n",
               "Reply-To: " + replyTo + "\r\n", &r);
        CHECK(r.outcome == "new_ticket");  // his own, linked ticket
        CHECK(r.ticket_number == 1002);
        CHECK(d.ticket(1002).customer_address == "mallory@evil.test");
        CHECK(d.ticket(1002).follows_number == 1001);
        CHECK(d.ticket(1001).status == "open");
        CHECK(d.store->tickets.participantsOf(d.ticket(1001).id).empty());
        // His acknowledgement goes to him, not to the Reply-To he wrote.
        CHECK(d.outbox("acknowledgement").back().recipients == std::vector<std::string>{"mallory@evil.test"});
        auto toMallorysTicket = recipientsOf(d, 1002);
        CHECK(std::find(toMallorysTicket.begin(), toMallorysTicket.end(), "alice@customer.test") == toMallorysTicket.end());
        CHECK(answerRecipients(d) == std::vector<std::string>{"alice@customer.test"});
    }
}

TEST_CASE("attack: a bounce from a relay's postmaster attaches as a note and is copied on nothing") {
    Desk d;
    aliceTicket(d);
    const auto ack = d.outbox("acknowledgement").at(0).message_id;
    IntakeResult r;
    d.mail("MAILER-DAEMON@relay.example", "Undelivered Mail Returned to Sender",
           "This is the mail system at host relay.example.\r\n\r\n<alice@customer.test>: host said: 550 5.1.1 "
           "User unknown\r\n",
           "Auto-Submitted: auto-replied\r\nReferences: <" + ack + ">\r\n", &r);
    CHECK(r.outcome == "reply");
    CHECK(r.ticket_number == 1001);
    CHECK(d.store->tickets.participantsOf(d.ticket(1001).id).empty());
    CHECK(answerRecipients(d) == std::vector<std::string>{"alice@customer.test"});
    CHECK_FALSE(mailedTo(d, "mailer-daemon@relay.example"));
}

TEST_CASE("only the customer widens the audience: her Cc joins, a participant's Cc does not") {
    Desk d;
    d.mail("alice@customer.test", "Printer", "Bob knows.\r\n", "Cc: Bob <bob@customer.test>\r\n");
    CHECK(d.store->tickets.participantsOf(d.ticket(1001).id) == std::vector<std::string>{"bob@customer.test"});
    // Bob (a participant) may write, but whom he copies does not join.
    IntakeResult r;
    d.mail("bob@customer.test", "Re: [Ticket#1001] Printer", "Third floor.\r\n", "Cc: dave@customer.test\r\n", &r);
    CHECK(r.outcome == "reply");
    CHECK(d.store->tickets.participantsOf(d.ticket(1001).id) == std::vector<std::string>{"bob@customer.test"});
    // Alice's own reply with carol in Cc: carol joins.
    d.mail("alice@customer.test", "Re: [Ticket#1001] Printer", "Carol too.\r\n", "Cc: carol@customer.test\r\n");
    CHECK(d.store->tickets.participantsOf(d.ticket(1001).id) ==
          std::vector<std::string>{"bob@customer.test", "carol@customer.test"});
    CHECK(contains(d.events(1001), "customer:alice@customer.test participant: +carol@customer.test"));
    // An agent's #cc / #uncc.
    d.reply("anna@acme.test", "Re: [Ticket#1001] Printer", "#uncc bob@customer.test\r\n#cc erin@customer.test\r\n");
    CHECK(d.store->tickets.participantsOf(d.ticket(1001).id) ==
          std::vector<std::string>{"carol@customer.test", "erin@customer.test"});
    CHECK(answerRecipients(d) ==
          std::vector<std::string>{"alice@customer.test", "carol@customer.test", "erin@customer.test"});
}

TEST_CASE("attack: the acknowledgement is no relay — Reply-To and Cc of a new mail get nothing") {
    Desk d;
    std::string cc;
    for (int i = 0; i < 9; ++i) cc += std::string(i ? ", " : "") + "victim" + std::to_string(i) + "@other.test";
    IntakeResult r;
    d.mail("Mallory <mallory@evil.test>", "Cheap pills at http://spam.example", "Buy now.\r\n",
           "Reply-To: victim@other.test\r\nCc: " + cc + "\r\n", &r);
    REQUIRE(r.outcome == "new_ticket");
    auto acks = d.outbox("acknowledgement");
    REQUIRE(acks.size() == 1);
    CHECK(acks[0].recipients == std::vector<std::string>{"mallory@evil.test"});
    for (int i = 0; i < 9; ++i) CHECK_FALSE(mailedTo(d, "victim" + std::to_string(i) + "@other.test"));
    CHECK_FALSE(mailedTo(d, "victim@other.test"));
    // More than max_recipients (10 by default) addresses: held for review, nothing sent.
    IntakeResult held;
    d.mail("mallory@evil.test", "More pills", "Buy now.\r\n", "Cc: " + cc + ", a@other.test, b@other.test\r\n", &held);
    CHECK(held.outcome == "quarantined");
    CHECK(held.reason == "held: 12 recipients in To and Cc (limit 10)");
    CHECK(d.outbox("acknowledgement").size() == 1);
}

TEST_CASE("rate limits count every recipient of every automatic mail") {
    Desk d("", "limits: { auto_replies_per_hour: 3 }\n");
    d.mail("alice@customer.test", "Printer", "Bob knows.\r\n", "Cc: bob@customer.test\r\n");  // ack: 1
    d.reply("anna@acme.test", "Re: [Ticket#1001] Printer", "#pending\r\n");                   // alice + bob: 3
    CHECK(d.outbox("status_changed").at(0).recipients.size() == 2);
    IntakeResult r;
    d.mail("carol@customer.test", "Other", "x\r\n", "", &r);
    CHECK(r.outcome == "new_ticket");  // the ticket is made: nothing is lost
    CHECK(d.outbox("acknowledgement").size() == 1);
    bool suppressed = false;
    for (const auto& e : d.events(1002))
        suppressed |= e.find("suppressed: acknowledgement to carol@customer.test: limit of 3 automatic mails per hour") !=
                      std::string::npos;
    CHECK(suppressed);
}

TEST_CASE("attack: a reused Message-ID does not make a mail vanish") {
    Desk d;
    IntakeResult first;
    const std::string raw = "From: alice@customer.test\r\nTo: support@acme.test\r\nSubject: Printer\r\n"
                            "Message-ID: <shared@client.test>\r\n\r\nThe printer is broken.\r\n";
    Intake intake(*d.runtime, *d.store, [&d] { return d.now; });
    d.store->transaction([&] { first = intake.process(MailOrigin{"pipe", 0, 0}, raw); });
    REQUIRE(first.outcome == "new_ticket");
    // The same mail again, by another route (another Received line): a duplicate.
    IntakeResult again;
    d.store->transaction([&] {
        again = intake.process(MailOrigin{"pipe", 0, 0}, "Received: from relay2 by mx\r\n" + raw);
    });
    CHECK(again.outcome == "duplicate");
    // Mallory sends another mail with that Message-ID: it is taken in, with the defect recorded.
    IntakeResult other;
    const std::string forged = "From: mallory@evil.test\r\nTo: support@acme.test\r\nSubject: Invoice\r\n"
                               "Message-ID: <shared@client.test>\r\n\r\nPlease pay.\r\n";
    d.store->transaction([&] { other = intake.process(MailOrigin{"pipe", 0, 0}, forged); });
    CHECK(other.outcome == "new_ticket");
    CHECK(other.ticket_number == 1002);
    bool defect = false;
    for (const auto& e : d.events(1002))
        defect |= e.find("system defect: Message-ID <shared@client.test> was used before by another mail from "
                         "alice@customer.test: stored as <no-id-") == 0;
    CHECK(defect);
    // The same text from alice but changed: also another mail.
    IntakeResult edited;
    d.store->transaction([&] {
        edited = intake.process(MailOrigin{"pipe", 0, 0},
                                "From: alice@customer.test\r\nTo: support@acme.test\r\nSubject: Printer\r\n"
                                "Message-ID: <shared@client.test>\r\n\r\nThe printer is broken. Also the scanner.\r\n");
    });
    CHECK(edited.outcome == "new_ticket");
    // And the intake log has a line for each of the four.
    auto log = d.store->intake.intakeLog("", "", 10);
    REQUIRE(log.size() == 4);
    CHECK(log[2].outcome == "duplicate");
    CHECK(log[1].detail.find("was used before") != std::string::npos);
}

TEST_CASE("a reply that starts with a digit is a reply: it reopens and the agents are told") {
    Desk d;
    d.mail("alice@customer.test", "Drucker", "Der Drucker zeigt Fehler 2.\r\n");
    d.reply("anna@acme.test", "Re: [Ticket#1001] Drucker", "#resolve\r\nNeuer Treiber.\r\n");
    REQUIRE(d.ticket(1001).status == "resolved");
    const auto notified = d.outbox("agent_notification").size();
    IntakeResult r;
    d.mail("alice@customer.test", "Re: [Ticket#1001] Gelöst: Drucker", "2 Drucker zeigen den Fehler immer noch\r\n", "",
           &r);
    CHECK(r.outcome == "reply");
    auto t = d.ticket(1001);
    CHECK(t.status == "open");
    CHECK_FALSE(t.rating);
    CHECK(t.reopened_count == 1);
    CHECK(d.outbox("rating_thanks").empty());
    CHECK(d.outbox("agent_notification").size() > notified);  // the agents hear of it
    CHECK(d.sent("agent_notification").back().text.find("wrote again") != std::string::npos);
    // A real rating afterwards still counts.
    d.reply("anna@acme.test", "Re: [Ticket#1001] Drucker", "#resolve\r\n");
    d.mail("alice@customer.test", "Re: [Ticket#1001] Gelöst: Drucker", "4 - danke\r\n", "", &r);
    CHECK(r.outcome == "rating");
    CHECK(d.ticket(1001).rating == 4);
}

TEST_CASE("a Reply-To of the sender's own domain is where she is answered, and may write on the ticket") {
    Desk d;
    d.mail("Alice <alice@customer.test>", "VPN down", "x\r\n", "Reply-To: IT Team <it-team@customer.test>\r\n");
    CHECK(d.outbox("acknowledgement").at(0).recipients == std::vector<std::string>{"it-team@customer.test"});
    auto t = d.ticket(1001);
    CHECK(t.customer_address == "alice@customer.test");  // her identity is From
    CHECK(t.reply_address == "it-team@customer.test");
    CHECK(d.store->tickets.participantsOf(t.id) == std::vector<std::string>{"it-team@customer.test"});
    IntakeResult r;
    d.mail("it-team@customer.test", "Re: [Ticket#1001] VPN down", "More from the team.\r\n", "", &r);
    CHECK(r.outcome == "reply");
    CHECK(r.ticket_number == 1001);
    d.reply("anna@acme.test", "Re: [Ticket#1001] VPN down", "Fixed.\r\n");
    CHECK(d.outbox("agent_reply").at(0).recipients == std::vector<std::string>{"it-team@customer.test"});
}
