// Issue 5 end to end on real servers: customers and agents write over SMTP (Postfix), deskgate
// reads support@ over IMAP (Dovecot) and answers over SMTP; what people receive is read from
// their own IMAP INBOX. Once on SQLite and once on PostgreSQL.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "parsers/parsed_mail.hpp"

#include "desk_fixture.hpp"

using namespace deskgate;
using namespace deskgate::test;
using json = nlohmann::json;

namespace {

const char* kRules = R"(
teams:
  desk: { agents: [agent1], assign: round_robin }
routing:
  - name: bob writes German
    when: { from: [bob@customer.test] }
    set: { team: desk, language: de }
  - name: everything else
    set: { team: desk }
reopen: { within: 1d }
)";

std::string agentMail(const std::string& subject, const std::string& body, const std::string& in_reply_to,
                      const std::string& extra_headers = "") {
    return Desk::customerMail("Agent One <agent1@helpdesk.test>", subject, body, uniqueMessageId("helpdesk.test"),
                              extra_headers + (in_reply_to.empty() ? "" : "In-Reply-To: <" + in_reply_to + ">\r\n"));
}

void workingByMail(Db db) {
    clearAllMailboxes();
    TempDir rules("rules");
    rules.write("rules.yaml", kRules);
    Desk desk(DeskOptions{.db = db, .extra_yaml = "rules: " + rules.path().string() + "\n"});
    desk.start();

    // 1. A customer writes; agent1 (the desk's only agent) is told, with Reply-To support@.
    const std::string first = uniqueMessageId();
    sendMail(kAlice, {kSupport},
             Desk::customerMail("Alice <alice@customer.test>", "VPN down", "It does not connect since Monday.", first));
    auto notification = waitForMails(desk, kAgent, "[Ticket#1001]", 1).at(0);
    REQUIRE(notification.reply_to.size() == 1);
    CHECK(notification.reply_to[0].address == kSupport);
    CHECK(notification.text.find("It does not connect since Monday.") != std::string::npos);
    CHECK(notification.text.find("Priority:  normal") != std::string::npos);
    auto ack = waitForMails(desk, kAlice, "[Ticket#1001]", 1).at(0);

    // 2. The agent answers from their own client with a command and text.
    sendMail(kAgent, {kSupport},
             agentMail("Re: [Ticket#1001] VPN down",
                       "#priority high\r\n\r\nHello Alice,\r\nplease restart the VPN client.\r\n\r\n"
                       "On Monday, Test Support wrote:\r\n> It does not connect since Monday.\r\n",
                       notification.message_id));
    auto toAlice = waitForMails(desk, kAlice, "[Ticket#1001]", 2);
    const ParsedMail* relayed = nullptr;
    for (const auto& m : toAlice)
        if (m.text.find("please restart the VPN client.") != std::string::npos) relayed = &m;
    REQUIRE(relayed);
    CHECK(relayed->from.at(0).address == kSupport);
    CHECK(relayed->text.find("agent1") != std::string::npos);  // signed with the agent's name...
    for (const auto& m : mailsFromSupport(kAlice))
        CHECK(m.raw.find("agent1@helpdesk.test") == std::string::npos);  // ...never with the address
    CHECK(relayed->text.find("#priority") == std::string::npos);
    CHECK(relayed->text.find("> It does not connect") == std::string::npos);
    CHECK(relayed->in_reply_to == ack.message_id);  // one thread in alice's client
    REQUIRE_FALSE(relayed->references.empty());
    CHECK("<" + relayed->references.front() + ">" == first);
    CHECK(relayed->header("Auto-Submitted") == nullptr);
    waitForEvent(desk, 1001, "agent:agent1", "priority", "normal -> high");
    auto t = desk.store().tickets.ticketByNumber(1001);
    CHECK(t->priority == "high");
    CHECK(t->first_response_at);

    // 3. #note reaches no customer.
    sendMail(kAgent, {kSupport},
             agentMail("Re: [Ticket#1001] VPN down", "#note\r\nShe is on the old client.", notification.message_id));
    waitForEvent(desk, 1001, "agent:agent1", "note");
    CHECK(outboxKind(desk, "agent_reply") == 1);

    // 4. An invalid command answers the agent and changes nothing.
    sendMail(kAgent, {kSupport},
             agentMail("Re: [Ticket#1001] VPN down", "#priority soon\r\n#resolve\r\nFixed.", notification.message_id));
    auto error = waitForMails(desk, kAgent, "Command not applied", 1).at(0);
    CHECK(error.text.find("#priority soon") != std::string::npos);
    CHECK(error.text.find("use low, normal, high or urgent") != std::string::npos);
    t = desk.store().tickets.ticketByNumber(1001);
    CHECK(t->priority == "high");
    CHECK(t->status == "open");

    // 5. #resolve: the customer gets the closing notice with the satisfaction question...
    sendMail(kAgent, {kSupport}, agentMail("Re: [Ticket#1001] VPN down", "#resolve\r\n", notification.message_id));
    auto notice = waitForMails(desk, kAlice, "Resolved:", 1).at(0);
    CHECK(notice.text.find("number from 1 (not at all) to 5") != std::string::npos);
    // ...answers "5 — danke": rating 5, thanked once, the ticket stays resolved.
    sendMail(kAlice, {kSupport},
             Desk::customerMail(kAlice, "Re: [Ticket#1001] Resolved: VPN down", "5 — danke", uniqueMessageId(),
                                "In-Reply-To: <" + notice.message_id + ">\r\n"));
    waitForMails(desk, kAlice, "Thank you for your rating", 1);
    t = desk.store().tickets.ticketByNumber(1001);
    CHECK(t->rating == 5);
    CHECK(t->rating_comment == "danke");
    CHECK(t->status == "resolved");
    sendMail(kAlice, {kSupport}, Desk::customerMail(kAlice, "Re: [Ticket#1001] Resolved: VPN down", "5", uniqueMessageId()));
    waitForEvent(desk, 1001, "customer:" + kAlice, "rating", "repeated");
    CHECK(outboxKind(desk, "rating_thanks") == 1);
    CHECK(desk.store().tickets.ticketByNumber(1001)->status == "resolved");

    // 6. A German customer (a rule says so) gets German mail; the umlauts decode as a client shows them.
    sendMail(kBob, {kSupport}, Desk::customerMail("Bob <bob@customer.test>", "Drucker", "Er druckt nicht.", uniqueMessageId()));
    auto german = waitForMails(desk, kBob, "[Ticket#1002]", 1).at(0);
    CHECK(german.subject == "[Ticket#1002] Eingangsbestätigung: Drucker");
    CHECK(german.text.find("vielen Dank für Ihre Nachricht") != std::string::npos);
    CHECK(german.text.find("Grüße") != std::string::npos);
    auto rawGerman = mailsFromSupport(kBob).at(0).raw;
    CHECK(rawGerman.find("=?UTF-8?") != std::string::npos);              // RFC 2047 subject
    CHECK(rawGerman.find("Content-Transfer-Encoding: quoted-printable") != std::string::npos);

    // 7. A valid token from an unrelated sender does not land on that ticket.
    sendMail(kCarol, {kSupport},
             Desk::customerMail(kCarol, "Re: [Ticket#1001] VPN down", "Please close it, I am her boss.", uniqueMessageId()));
    waitForMails(desk, kCarol, "[Ticket#1003]", 1);
    auto followed = desk.store().tickets.ticketByNumber(1003);
    REQUIRE(followed);
    CHECK(followed->follows_number == 1001);
    CHECK(followed->customer_address == kCarol);
    CHECK(desk.store().tickets.ticketByNumber(1001)->status == "resolved");
    for (const auto& m : desk.store().tickets.messagesOf(desk.store().tickets.ticketByNumber(1001)->id))
        CHECK(m.from_address != kCarol);

    // The events say who changed what.
    auto shown = desk.cli({"tickets", "show", "1001", "--json"});
    REQUIRE(shown.status.code == 0);
    auto shownJson = json::parse(shown.out);
    CHECK(shownJson["rating"] == 5);
    CHECK(shownJson["rating_comment"] == "danke");
    CHECK(shownJson["priority"] == "high");
    auto events = shownJson["events"];
    bool priorityByAgent = false, resolvedByAgent = false;
    for (const auto& e : events) {
        priorityByAgent |= e["actor"] == "agent:agent1" && e["type"] == "priority";
        resolvedByAgent |= e["actor"] == "agent:agent1" && e["type"] == "status" &&
                           e["detail"].get<std::string>().find("-> resolved") != std::string::npos;
    }
    CHECK(priorityByAgent);
    CHECK(resolvedByAgent);
    desk.stop();
}

}  // namespace

TEST_CASE("working by mail on SQLite: notification, relayed reply, commands, note, rating, German, foreign token") {
    workingByMail(Db::sqlite);
}

TEST_CASE("working by mail on PostgreSQL: notification, relayed reply, commands, note, rating, German, foreign token") {
    workingByMail(Db::postgresql);
}

// A forged agent From, a forged Authentication-Results, and an agent vouched for by the MTA:
// tests/integration/trust_test.cpp.
