// The trust boundary over the real servers, on SQLite and on PostgreSQL, each step written as
// the attack it stops: carol plays Mallory (she has a mailbox, so we can see what reaches her),
// bob the victim of a relay. What people receive is read from their own IMAP INBOX.
#include <doctest/doctest.h>

#include "desk_fixture.hpp"

using namespace deskgate;
using namespace deskgate::test;

namespace {

const char* kRules = R"(
teams:
  desk: { agents: [agent1], assign: round_robin }
routing:
  - name: everything
    set: { team: desk }
reopen: { within: 1d }
)";

// Mails from support@ in `user`'s INBOX that name ticket `token` ("[Ticket#1001]").
std::size_t mailsAbout(const std::string& user, const std::string& token) { return received(user, token).size(); }

std::string mail(const std::string& from, const std::string& subject, const std::string& body,
                 const std::string& extra_headers = "", const std::string& message_id = uniqueMessageId()) {
    return Desk::customerMail(from, subject, body, message_id, extra_headers);
}

void trustAttacks(Db db) {
    clearAllMailboxes();
    TempDir rules("rules");
    rules.write("rules.yaml", kRules);
    Desk desk(DeskOptions{.db = db,
                          .extra_yaml = "rules: " + rules.path().string() +
                                        "\nagent_mail: { trusted_servers: [mx.helpdesk.test, imap.helpdesk.test] }\n"});
    desk.start();

    // Alice's ticket 1001; agent1 is told (the notification carries agent1's reply key).
    const std::string aliceFirst = uniqueMessageId();
    sendMail(kAlice, {kSupport}, mail("Alice <alice@customer.test>", "VPN down", "It does not connect.", "", aliceFirst));
    auto notification = waitForMails(desk, kAgent, "[Ticket#1001]", 1).at(0);
    auto ack = waitForMails(desk, kAlice, "[Ticket#1001]", 1).at(0);

    // 1. Mallory tries to get into alice's ticket: as an auto-reply, with Reply-To alice, with a
    //    LIKE pattern; and a relay's postmaster bounces a copy. None of them joins the ticket.
    sendMail(kCarol, {kSupport}, mail(kCarol, "Re: [Ticket#1001] VPN down", "Away.", "Auto-Submitted: auto-replied\r\n"));
    sendMail(kCarol, {kSupport}, mail(kCarol, "Re: [Ticket#1001] VPN down", "Me too.", "Reply-To: " + kAlice + "\r\n"));
    sendMail(kCarol, {kSupport}, mail(kCarol, "Re: [Ticket#1001] VPN down", "Me too.", "Reply-To: <%@%>\r\n"));
    sendMail("", {kSupport},
             mail("Mail Delivery System <MAILER-DAEMON@mx.customer.test>", "Undelivered Mail Returned to Sender",
                  "<alice-old@customer.test>: host said: 550 5.1.1 User unknown",
                  "Auto-Submitted: auto-replied\r\nReferences: <" + ack.message_id + ">\r\n"));
    REQUIRE_MESSAGE(waitFor([&] { return desk.ticketCount() == 3; }, 30s), desk.process().output());
    REQUIRE_MESSAGE(waitFor([&] {
                        return hasEvent(desk, 1001, "machine:mailer-daemon@mx.customer.test", "bounce") ||
                               hasEvent(desk, 1001, "machine:mailer-daemon@mx.customer.test", "auto_reply");
                    }, 30s),
                    desk.process().output());
    CHECK(hasEvent(desk, 1001, "machine:carol@customer.test", "auto_reply"));
    CHECK(desk.store().tickets.ticketByNumber(1002)->follows_number == 1001);
    CHECK(desk.store().tickets.ticketByNumber(1003)->follows_number == 1001);
    CHECK(desk.store().tickets.participantsOf(desk.store().tickets.ticketByNumber(1001)->id).empty());
    // The agent answers alice: it reaches alice, and no one of them.
    sendMail(kAgent, {kSupport},
             Desk::customerMail("Agent One <agent1@helpdesk.test>", "Re: [Ticket#1001] VPN down",
                                "Please restart the client.", uniqueMessageId("helpdesk.test"),
                                "In-Reply-To: <" + notification.message_id + ">\r\n"));
    auto answers = waitForMails(desk, kAlice, "[Ticket#1001]", 2);
    CHECK(answers.back().cc.empty());
    for (const auto& m : received(kCarol, "")) {  // her own tickets' acknowledgements, nothing of alice's
        CHECK(m.text.find("It does not connect") == std::string::npos);
        CHECK(m.text.find("Please restart the client") == std::string::npos);
        CHECK(m.subject.find("[Ticket#1001]") != 0);
    }

    // 2. Mallory writes agent1's address into From, with alice's thread ids (alice has them) and an
    //    Authentication-Results field with our MTA's name: nothing of it is believed.
    sendMail(kCarol, {kSupport},
             Desk::customerMail("Agent One <agent1@helpdesk.test>", "Re: [Ticket#1001] VPN down", "#close\r\nClosed.",
                                uniqueMessageId("evil.test"),
                                "In-Reply-To: <" + ack.message_id + ">\r\nReferences: <" + aliceFirst + ">\r\n"
                                "Authentication-Results: mx.helpdesk.test; dkim=pass header.d=helpdesk.test\r\n"));
    waitForEvent(desk, 1001, "system", "agent_unproven");
    waitForMails(desk, kAgent, "not accepted as yours", 1);
    CHECK(desk.store().tickets.ticketByNumber(1001)->status == "open");
    CHECK(desk.store().tickets.ticketByNumber(1004)->follows_number == 1001);  // an outsider's mail, on its own
    CHECK(outboxKind(desk, "resolved") == 0);
    // agent1 logs in to our MTA, which vouches for it (auth=pass above its Received): accepted
    // without a reply key.
    sendMail(kAgent, {kSupport},
             Desk::customerMail("Agent One <agent1@helpdesk.test>", "Re: [Ticket#1001] VPN down", "#priority high",
                                uniqueMessageId("helpdesk.test")),
             SmtpOptions{.username = kAgent, .password = servers().password});
    waitForEvent(desk, 1001, "agent:agent1", "priority", "-> high");

    // 3. Mallory uses the acknowledgement as a relay: Reply-To names a victim elsewhere, Cc bob
    //    and others. Only she hears back.
    sendMail(kCarol, {kSupport},
             mail(kCarol, "Cheap pills", "Buy now.",
                  "Reply-To: victim@other.test\r\nCc: " + kBob + ", x1@customer.test, x2@customer.test\r\n"));
    waitForMails(desk, kCarol, "Cheap pills", 1);
    for (const auto& o : desk.store().outbox.listOutbox("sent"))
        if (o.kind == "acknowledgement" && o.ticket_id == desk.store().tickets.ticketByNumber(1005)->id)
            CHECK(o.recipients == std::vector<std::string>{kCarol});
    // 4. ...and reuses alice's Message-ID for another mail: it does not vanish.
    sendMail(kBob, {kSupport}, mail(kBob, "Printer", "The printer is on fire.", "", aliceFirst));
    REQUIRE_MESSAGE(waitFor([&] { return desk.ticketCount() == 6; }, 30s), desk.process().output());
    CHECK(desk.store().tickets.ticketByNumber(1006)->customer_address == kBob);
    CHECK(hasEvent(desk, 1006, "system", "defect", "was used before by another mail from alice@customer.test"));
    waitForMails(desk, kBob, "Printer", 1);
    CHECK(mailsAbout(kBob, "Cheap pills") == 0);  // the relay attempt reached nobody but mallory

    // 5. A reply that starts with a digit is no rating: it reopens, and the agent is told.
    sendMail(kAgent, {kSupport},
             Desk::customerMail("Agent One <agent1@helpdesk.test>", "Re: [Ticket#1001] VPN down", "#resolve\r\nDone.",
                                uniqueMessageId("helpdesk.test"), "In-Reply-To: <" + notification.message_id + ">\r\n"));
    waitForMails(desk, kAlice, "Resolved:", 1);
    const auto told = received(kAgent, "[Ticket#1001]").size();
    sendMail(kAlice, {kSupport},
             mail(kAlice, "Re: [Ticket#1001] Resolved: VPN down", "2 Drucker zeigen den Fehler immer noch"));
    waitForEvent(desk, 1001, "customer:alice@customer.test", "status", "resolved -> open");
    CHECK_FALSE(desk.store().tickets.ticketByNumber(1001)->rating);
    waitForMails(desk, kAgent, "[Ticket#1001]", told + 1);

    // 6. Alice copies a colleague whose address no longer exists: one dead address does not fail
    //    the mail for alice, and is not tried again for this ticket.
    sendMail(kAlice, {kSupport},
             mail(kAlice, "Re: [Ticket#1001] VPN down", "Copying a colleague.", "Cc: gone@customer.test\r\n"));
    waitForEvent(desk, 1001, "customer:alice@customer.test", "participant", "+gone@customer.test");
    const auto before = mailsAbout(kAlice, "[Ticket#1001]");
    auto latest = received(kAgent, "[Ticket#1001]").back();
    sendMail(kAgent, {kSupport},
             Desk::customerMail("Agent One <agent1@helpdesk.test>", "Re: [Ticket#1001] VPN down", "Try the new client.",
                                uniqueMessageId("helpdesk.test"), "In-Reply-To: <" + latest.message_id + ">\r\n"));
    auto withCopy = waitForMails(desk, kAlice, "[Ticket#1001]", before + 1);
    CHECK(withCopy.back().text.find("Try the new client.") != std::string::npos);
    waitForEvent(desk, 1001, "system", "recipient_refused", "gone@customer.test");
    CHECK(desk.store().outbox.listOutbox("failed").empty());
    sendMail(kAgent, {kSupport},
             Desk::customerMail("Agent One <agent1@helpdesk.test>", "Re: [Ticket#1001] VPN down", "And now?",
                                uniqueMessageId("helpdesk.test"), "In-Reply-To: <" + latest.message_id + ">\r\n"));
    waitForMails(desk, kAlice, "[Ticket#1001]", before + 2);
    auto relays = desk.store().outbox.listOutbox("sent");
    CHECK(relays.back().recipients == std::vector<std::string>{kAlice});
    desk.stop();
}

}  // namespace

TEST_CASE("trust on SQLite: strangers stay out, agents are proven, no relay, nothing vanishes, partial delivery") {
    trustAttacks(Db::sqlite);
}

TEST_CASE("trust on PostgreSQL: strangers stay out, agents are proven, no relay, nothing vanishes, partial delivery") {
    trustAttacks(Db::postgresql);
}
