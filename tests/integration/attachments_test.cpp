// Issue 12, the desk's part, on real servers: a customer's 9 MB file through a relay that takes
// 10 MB (Postfix's default message_size_limit, the test Postfix's second listener) still
// notifies the agent, and an admin saves the file with `deskgate tickets attachment`; an
// agent's PDF reaches the customer byte for byte (and a reply too large for the relay is
// refused with a mail to the agent); a mail to an agent refused for good is told to the lead.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "parsers/parsed_mail.hpp"
#include "templates/header_encoding.hpp"

#include "desk_fixture.hpp"
#include "tests/support/test_bytes.hpp"

using namespace deskgate;
using namespace deskgate::test;

namespace {

const char* kRules = R"(
teams:
  desk: { agents: [agent1], assign: round_robin }
routing:
  - name: everything
    set: { team: desk }
)";

std::string pdfBytes(std::size_t n, unsigned seed) { return test::testBytes(n, seed, true); }

// A mail with a text and one file (base64), as mail clients write it.
std::string mailWithFile(const std::string& from, const std::string& subject, const std::string& text,
                         const std::string& filename, const std::string& data, const std::string& message_id,
                         const std::string& extra_headers = "") {
    const std::string b = "=_client_boundary";
    std::string raw = "From: " + from + "\r\nTo: Support <support@helpdesk.test>\r\nSubject: " + subject +
                      "\r\nMessage-ID: " + message_id + "\r\nDate: Fri, 27 Nov 2026 10:00:00 +0100\r\n" + extra_headers +
                      "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"" + b + "\"\r\n\r\n--" + b +
                      "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n--" + b +
                      "\r\nContent-Type: application/pdf; name=\"" + filename +
                      "\"\r\nContent-Disposition: attachment; filename=\"" + filename +
                      "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n";
    const std::string encoded = base64(data);
    for (std::size_t i = 0; i < encoded.size(); i += 76) raw += encoded.substr(i, 76) + "\r\n";
    return raw + "--" + b + "--\r\n";
}

// The decoded bytes of the attachment called `name` of a received mail ("" when none).
std::string fileOf(const Message& m, const std::string& name) {
    auto parsed = parseMail(m.raw);
    REQUIRE(parsed);
    auto at = findAttachment(*parsed, name);
    if (!at) return {};
    auto contents = attachmentContents(m.raw, {*at});
    REQUIRE(contents);
    return contents->empty() ? std::string() : contents->front().data;
}

std::string readAll(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

TEST_CASE("a 9 MB attachment through a relay that takes 10 MB still notifies the agent; the admin saves the file") {
    clearAllMailboxes();
    TempDir rules("rules");
    rules.write("rules.yaml", kRules);
    const auto& s = servers();
    // deskgate sends through the listener that takes Postfix's default 10240000 bytes; its own
    // smtp.max_message_size is left at the same default.
    Desk desk(DeskOptions{.extra_yaml = "rules: " + rules.path().string() + "\n", .smtp_url = s.smtpLimitedUrl()});
    const std::string pdf = pdfBytes(9u * 1024 * 1024, 1);
    const std::string mail = mailWithFile("Alice <alice@customer.test>", "Contract", "The signed contract is attached.",
                                          "contract.pdf", pdf, uniqueMessageId());
    REQUIRE(mail.size() > static_cast<std::size_t>(s.smtpLimitedSize));
    // That relay refuses a mail of this size for good: what the notification with the customer's
    // mail attached used to run into, so the agent never heard of the ticket.
    auto refused = trySendMail(kSupport, {kAgent}, mail, SmtpOptions{.url = s.smtpLimitedUrl()});
    CHECK_FALSE(refused.ok());
    CHECK(refused.responseCode == 552);
    // The customer's own relay takes it (the main listener, 50 MB).
    sendMail(kAlice, {kSupport}, mail);
    desk.start();

    auto notification = waitForMails(desk, kAgent, "[Ticket#1001]", 1).at(0);
    CHECK(notification.text.find("The signed contract is attached.") != std::string::npos);
    CHECK(notification.text.find("Attachment: contract.pdf (application/pdf, 9.0 MB)") != std::string::npos);
    CHECK(notification.text.find("The customer's mail (12.") != std::string::npos);
    CHECK(notification.text.find("is not attached") != std::string::npos);
    const std::string command = "deskgate tickets attachment 1001 contract.pdf --config " + desk.configPath() +
                                " > contract.pdf";
    CHECK_MESSAGE(notification.text.find("  " + command + "\n") != std::string::npos, notification.text);
    const auto agentMails = mailsFromSupport(kAgent);
    REQUIRE(agentMails.size() == 1);
    CHECK(agentMails[0].raw.size() < static_cast<std::size_t>(s.smtpLimitedSize));
    CHECK(agentMails[0].raw.find("message/rfc822") == std::string::npos);
    waitForMails(desk, kAlice, "[Ticket#1001]", 1);
    CHECK_FALSE(hasEvent(desk, 1001, "system", "send_failed"));

    // What the notification tells the admin to run: the file, byte for byte.
    auto saved = desk.cli({"tickets", "attachment", "1001", "contract.pdf"});
    CHECK(saved.status.code == 0);
    CHECK(saved.out.size() == pdf.size());
    CHECK(saved.out == pdf);
    TempDir out("attachment-out");
    auto toFile = desk.cli({"tickets", "attachment", "1001", "CONTRACT.PDF", "-o", (out.path() / "c.pdf").string()});
    CHECK(toFile.status.code == 0);
    CHECK(readAll(out.path() / "c.pdf") == pdf);
    auto listed = desk.cli({"tickets", "attachment", "1001"});
    CHECK(listed.status.code == 0);
    CHECK(listed.out.find("mail 1 ") != std::string::npos);
    CHECK(listed.out.find("contract.pdf") != std::string::npos);
    CHECK(listed.out.find("1 attachment in 1 mail") != std::string::npos);
    auto missing = desk.cli({"tickets", "attachment", "1001", "invoice.pdf"});
    CHECK(missing.status.code == 1);
    CHECK(missing.err.find("ticket 1001 has no attachment called 'invoice.pdf'; it has:\n  contract.pdf") !=
          std::string::npos);
    auto noTicket = desk.cli({"tickets", "attachment", "4711", "contract.pdf"});
    CHECK(noTicket.status.code == 1);
    CHECK(noTicket.err.find("no ticket 4711") != std::string::npos);
    auto help = runDeskgate({"tickets", "attachment", "--help"});
    CHECK(help.status.code == 0);
    CHECK(help.out.find("--message") != std::string::npos);
    desk.stop();
}

namespace {

void agentsFiles(Db db) {
    clearAllMailboxes();
    TempDir rules("rules");
    rules.write("rules.yaml", kRules);
    Desk desk(DeskOptions{.db = db, .extra_yaml = "rules: " + rules.path().string() + "\n",
                          .extra_smtp_yaml = "  max_message_size: 1MB\n"});
    desk.start();
    sendMail(kAlice, {kSupport},
             Desk::customerMail("Alice <alice@customer.test>", "Printer manual", "Where is the manual?", uniqueMessageId()));
    auto notification = waitForMails(desk, kAgent, "[Ticket#1001]", 1).at(0);
    waitForMails(desk, kAlice, "[Ticket#1001]", 1);
    const std::string answerTo = "In-Reply-To: <" + notification.message_id + ">\r\n";

    // Too large for what the relay takes (1 MB here): nothing happens but a mail to the agent.
    sendMail(kAgent, {kSupport},
             mailWithFile("Agent One <agent1@helpdesk.test>", "Re: [Ticket#1001] Printer manual",
                          "#priority high\r\n\r\nThe manual is attached.", "manual.pdf", pdfBytes(1'100'000, 2),
                          uniqueMessageId("helpdesk.test"), answerTo));
    auto tooLarge = waitForMails(desk, kAgent, "Reply not sent", 1).at(0);
    CHECK(tooLarge.text.find("manual.pdf (application/pdf, 1.0 MB)") != std::string::npos);
    waitForEvent(desk, 1001, "agent:agent1", "reply_too_large");
    CHECK(desk.store().tickets.ticketByNumber(1001)->priority == "normal");
    CHECK(outboxKind(desk, "agent_reply") == 0);

    // The agent sends it again, smaller: the customer gets the reply with the PDF, byte for byte.
    const std::string pdf = pdfBytes(300'000, 3);
    sendMail(kAgent, {kSupport},
             mailWithFile("Agent One <agent1@helpdesk.test>", "Re: [Ticket#1001] Printer manual",
                          "#priority high\r\n\r\nHello Alice,\r\nthe manual is attached.", "manual.pdf", pdf,
                          uniqueMessageId("helpdesk.test"), answerTo));
    waitForMails(desk, kAlice, "[Ticket#1001]", 2);
    const Message* relayed = nullptr;
    auto toAlice = mailsFromSupport(kAlice);
    for (const auto& m : toAlice)
        if (m.raw.find("manual.pdf") != std::string::npos) relayed = &m;
    REQUIRE(relayed);
    CHECK(fileOf(*relayed, "manual.pdf") == pdf);
    CHECK(parsed(*relayed).text.find("the manual is attached.") != std::string::npos);
    CHECK(relayed->raw.find("agent1@helpdesk.test") == std::string::npos);
    waitForEvent(desk, 1001, "agent:agent1", "priority", "normal -> high");
    desk.stop();
}

}  // namespace

TEST_CASE("an agent's PDF reaches the customer byte for byte; too large for the relay, the agent is told (SQLite)") {
    agentsFiles(Db::sqlite);
}

TEST_CASE("an agent's PDF reaches the customer byte for byte; too large for the relay, the agent is told (PostgreSQL)") {
    agentsFiles(Db::postgresql);
}

TEST_CASE("a mail to an agent refused for good is an event on the ticket and told to the team lead") {
    clearAllMailboxes();
    TempDir rules("rules");
    // ghost's address has no mailbox: Postfix refuses it (550 5.1.1), for good.
    rules.write("rules.yaml", R"(
teams:
  desk: { agents: [ghost, agent1], assign: round_robin, lead: agent1 }
routing:
  - name: everything
    set: { team: desk }
)");
    Desk desk(DeskOptions{.extra_yaml = "rules: " + rules.path().string() + "\n",
                          .extra_agents_yaml = "  - { name: ghost, address: ghost@helpdesk.test }\n"});
    desk.start();
    sendMail(kAlice, {kSupport}, Desk::customerMail(kAlice, "VPN down", "It does not connect.", uniqueMessageId()));
    auto notice = waitForMails(desk, kAgent, "Not delivered to ghost", 1).at(0);
    CHECK(notice.subject == "[Ticket#1001] Not delivered to ghost: VPN down");
    CHECK(notice.text.find("agent_notification: [Ticket#1001] VPN down") != std::string::npos);
    CHECK(notice.text.find("550 5.1.1") != std::string::npos);
    waitForEvent(desk, 1001, "system", "agent_not_reached", "told agent1 (team lead)");
    CHECK(hasEvent(desk, 1001, "system", "send_failed", "agent_notification to ghost@helpdesk.test"));
    CHECK(desk.store().tickets.ticketByNumber(1001)->assignee == "ghost");
    desk.stop();
}
