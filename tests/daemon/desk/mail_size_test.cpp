// Mail deskgate sends stays under smtp.max_message_size; agents' files reach the customer; mail
// to an agent that fails for good is told to the team lead or the admins. Without servers: the
// real Intake on SQLite with an injected clock, the outbox read back with deskgate's parser. The
// same over real Postfix and Dovecot: tests/integration/attachments_test.cpp.
#include <doctest/doctest.h>

#include "daemon/desk/intake.hpp"
#include "templates/header_encoding.hpp"
#include "tests/daemon/desk/desk_fixture.hpp"
#include "tests/support/test_bytes.hpp"

using namespace deskgate;
using test::addresses;
using test::contains;
using test::Desk;

namespace {

struct File {
    std::string name, type, data;
    std::string disposition = "attachment";
    std::string content_id = {};
};

std::string bytes(std::size_t n, unsigned seed = 1, bool pdf = false) { return test::testBytes(n, seed, pdf); }

// A multipart/mixed mail as a mail client writes it: the text, then each file in base64.
std::string mimeMail(const std::string& from, const std::string& subject, const std::string& text,
                     const std::vector<File>& files, const std::string& id, const std::string& in_reply_to = "") {
    const std::string b = "=_test_boundary";
    std::string raw = "From: " + from + "\r\nTo: support@acme.test\r\nSubject: " + subject + "\r\nMessage-ID: <" + id +
                      ">\r\n" + (in_reply_to.empty() ? "" : "In-Reply-To: <" + in_reply_to + ">\r\n") +
                      "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"" + b + "\"\r\n\r\n--" + b +
                      "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n";
    for (const auto& f : files) {
        raw += "--" + b + "\r\nContent-Type: " + f.type + "; name=\"" + f.name + "\"\r\nContent-Disposition: " +
               f.disposition + "; filename=\"" + f.name + "\"\r\n" +
               (f.content_id.empty() ? "" : "Content-ID: <" + f.content_id + ">\r\n") +
               "Content-Transfer-Encoding: base64\r\n\r\n";
        const std::string encoded = base64(f.data);
        for (std::size_t i = 0; i < encoded.size(); i += 76) raw += encoded.substr(i, 76) + "\r\n";
    }
    return raw + "--" + b + "--\r\n";
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The decoded bytes of every attachment of a mail deskgate queued, by name.
std::map<std::string, std::string> filesOf(const OutboxRecord& o) {
    auto parsed = parseMail(o.raw);
    REQUIRE(parsed);
    std::vector<std::size_t> all;
    for (std::size_t i = 0; i < parsed->attachments.size(); ++i) all.push_back(i);
    auto contents = attachmentContents(o.raw, all);
    REQUIRE(contents);
    std::map<std::string, std::string> out;
    for (auto& c : *contents) out[c.attachment.filename] = std::move(c.data);
    return out;
}

}  // namespace

TEST_CASE("a notification whose original is over smtp.max_message_size goes without it and says how to get the files") {
    Desk d("", "", ", max_message_size: 1MB");
    const std::size_t budget = 1'000'000 - kRelayHeadroom;
    const std::string manual = bytes(800'000, 1, true);
    auto r = d.take(mimeMail("Alice <alice@customer.test>", "Manual", "The manual is attached.",
                             {{"manual.pdf", "application/pdf", manual}}, "big1@customer.test"));
    REQUIRE(r.outcome == "new_ticket");
    auto notes = d.outbox("agent_notification");
    REQUIRE(notes.size() == 1);
    CHECK(notes[0].raw.size() <= budget);
    CHECK_FALSE(has(notes[0].raw, "message/rfc822"));
    const auto n = d.sent("agent_notification").at(0);
    CHECK(addresses(n.to) == "anna@acme.test");
    CHECK(has(n.text, "The manual is attached."));
    CHECK(has(n.text, "Attachment: manual.pdf (application/pdf, 781 KB)"));
    CHECK(has(n.text, "The customer's mail (1.0 MB) is not attached"));
    CHECK(has(n.text, "mail server takes (945 KB)"));
    // The admin's command names this configuration (not the default one); the name as shown.
    CHECK(has(n.text, "  deskgate tickets attachment 1001 manual.pdf --config " + (d.dir / "deskgate.yaml").string() +
                          " > manual.pdf"));
    CHECK(d.sent("acknowledgement").size() == 1);
    // What the command reads: the stored mail holds the file, byte for byte.
    auto messages = d.store->tickets.messagesOf(d.ticket(1001).id, true);
    auto parsed = parseMail(messages.at(0).raw);
    REQUIRE(parsed);
    auto at = findAttachment(*parsed, "MANUAL.pdf");
    REQUIRE(at);
    auto contents = attachmentContents(messages.at(0).raw, {*at});
    REQUIRE(contents);
    REQUIRE(contents->size() == 1);
    CHECK(contents->front().data == manual);

    // The second received mail of the ticket: the command says which mail, names are quoted.
    d.take(mimeMail("alice@customer.test", "Re: [Ticket#1001] Manual", "And the invoice.",
                    {{"Rechnung März.pdf", "application/pdf", bytes(750'000, 2, true)}}, "big2@customer.test"));
    auto second = d.sent("agent_notification").at(1);
    CHECK(has(second.text, "deskgate tickets attachment 1001 'Rechnung März.pdf' --message 2 --config " +
                               (d.dir / "deskgate.yaml").string() + " > 'Rechnung März.pdf'"));

    // A small file: the original goes along as before, and no command is shown.
    d.take(mimeMail("bob@customer.test", "Screenshot", "See picture.", {{"screen.png", "image/png", bytes(20'000, 3)}},
                    "small@customer.test"));
    auto small = d.outbox("agent_notification").back();
    CHECK(has(small.raw, "Content-Type: message/rfc822"));
    CHECK_FALSE(has(d.sent("agent_notification").back().text, "deskgate tickets attachment"));
}

TEST_CASE("a customer text larger than the limit is cut in the notification rather than losing the notification") {
    Desk d("", "", ", max_message_size: 1MB");
    std::string text;
    while (text.size() < 1'200'000) text += "Zeile mit Umlauten: äöü ß — and more words to fill the line.\r\n";
    IntakeResult r;
    d.mail("alice@customer.test", "Log", text, "", &r);
    REQUIRE(r.outcome == "new_ticket");
    auto notes = d.outbox("agent_notification");
    REQUIRE(notes.size() == 1);
    CHECK(notes[0].raw.size() <= 1'000'000 - kRelayHeadroom);
    CHECK(has(d.sent("agent_notification").at(0).text, "[…]"));
}

TEST_CASE("an agent's files go to the customer with the reply; the pictures of an HTML signature stay behind") {
    Desk d;
    d.mail("Alice <alice@customer.test>", "VPN down", "It does not connect.\r\n");
    const std::string pdf = bytes(300'000, 4, true), csv = "name;value\r\nvpn;on\r\n";
    IntakeResult r = d.take(mimeMail(
        "Anna <anna@acme.test>", "Re: [Ticket#1001] VPN down", "Hello Alice,\r\nthe manual is attached.\r\n",
        {{"manual.pdf", "application/pdf", pdf},
         {"logo.png", "image/png", bytes(3'000, 5), "inline", "logo@acme.test"},  // her signature's logo
         {"settings.csv", "text/csv", csv, "inline"}},  // Apple Mail marks attached files inline too
        "anna1@acme.test", d.lastSentTo(1001, "anna@acme.test")));
    CHECK(r.outcome == "agent_reply");
    auto relayed = d.outbox("agent_reply");
    REQUIRE(relayed.size() == 1);
    CHECK(relayed[0].recipients == std::vector<std::string>{"alice@customer.test"});
    auto files = filesOf(relayed[0]);
    REQUIRE(files.size() == 2);
    CHECK(files["manual.pdf"] == pdf);
    CHECK(files["settings.csv"] == csv);
    CHECK(files.count("logo.png") == 0);
    CHECK(has(d.sent("agent_reply").at(0).text, "the manual is attached."));
    CHECK(d.ticket(1001).first_response_at);

    // A file with no words is an answer too; with #resolve the closing notice carries it.
    d.take(mimeMail("anna@acme.test", "Re: [Ticket#1001] VPN down", "#resolve\r\n",
                    {{"report.pdf", "application/pdf", bytes(5'000, 6, true)}}, "anna2@acme.test",
                    d.lastSentTo(1001, "anna@acme.test")));
    auto closing = d.outbox("resolved");
    REQUIRE(closing.size() == 1);
    CHECK(filesOf(closing[0]).count("report.pdf") == 1);
    CHECK(d.ticket(1001).status == "resolved");
}

TEST_CASE("an agent's reply too large for the relay: nothing is applied or relayed, the agent is told why") {
    Desk d("", "", ", max_message_size: 1MB");
    d.mail("alice@customer.test", "VPN down", "It does not connect.\r\n");
    const std::string notification = d.lastSentTo(1001, "anna@acme.test");
    IntakeResult r = d.take(mimeMail("anna@acme.test", "Re: [Ticket#1001] VPN down",
                                     "#priority high\r\n\r\nThe manual is attached.\r\n",
                                     {{"manual.pdf", "application/pdf", bytes(900'000, 7, true)}}, "anna3@acme.test",
                                     notification));
    CHECK(r.outcome == "reply_too_large");
    CHECK(d.outbox("agent_reply").empty());
    auto t = d.ticket(1001);
    CHECK(t.priority == "normal");
    CHECK_FALSE(t.first_response_at);
    auto told = d.sent("reply_too_large");
    REQUIRE(told.size() == 1);
    CHECK(addresses(told[0].to) == "anna@acme.test");
    CHECK(told[0].subject == "[Ticket#1001] Reply not sent: too large with its attachments");
    CHECK(has(told[0].text, "with\nits attachments it would be 1.2 MB, and the mail server takes\nat most 945 KB."));
    CHECK(has(told[0].text, "manual.pdf (application/pdf, 879 KB)"));
    bool event = false;
    for (const auto& e : d.events(1001)) event |= e.starts_with("agent:anna reply_too_large: the reply with its attachments");
    CHECK(event);
    CHECK(d.store->intake.intakeLog("", "reply_too_large", 10).size() == 1);
    // The agent's mail is kept on the ticket, marked.
    bool kept = false;
    for (const auto& m : d.store->tickets.messagesOf(t.id)) kept |= m.message_id == "anna3@acme.test" && m.kind == "too_large";
    CHECK(kept);

    // Sent again with a smaller file, it goes through, commands and all.
    d.take(mimeMail("anna@acme.test", "Re: [Ticket#1001] VPN down", "#priority high\r\n\r\nThe manual is attached.\r\n",
                    {{"manual.pdf", "application/pdf", bytes(200'000, 8, true)}}, "anna4@acme.test", notification));
    CHECK(d.outbox("agent_reply").size() == 1);
    CHECK(d.ticket(1001).priority == "high");
}

TEST_CASE("a mail to an agent that fails for good: an event, the team lead is told once an hour, a failed notice tells nobody") {
    Desk d("", "", "", "first: { agents: [anna, ben], assign: round_robin, lead: ben }");
    d.mail("alice@customer.test", "VPN down", "It does not connect.\r\n");
    auto ticket = d.ticket(1001);
    auto notification = d.outbox("agent_notification").at(0);
    REQUIRE(notification.recipients == std::vector<std::string>{"anna@acme.test"});
    MailComposer composer(*d.runtime, *d.store, [&d] { return d.now; });
    const std::string refused = "552 5.3.4 Message size exceeds fixed limit";
    bool told = false;
    d.store->transaction([&] { told = composer.queueDeliveryFailure(ticket, notification, refused); });
    CHECK(told);
    auto notices = d.sent("agent_delivery_failed");
    REQUIRE(notices.size() == 1);
    CHECK(addresses(notices[0].to) == "ben@acme.test");
    CHECK(notices[0].subject == "[Ticket#1001] Not delivered to anna: VPN down");
    CHECK(has(notices[0].text, "agent anna (anna@acme.test)"));
    CHECK(has(notices[0].text, "agent_notification: [Ticket#1001] VPN down"));
    CHECK(has(notices[0].text, refused));
    CHECK(contains(d.events(1001), "system agent_not_reached: agent_notification to anna@acme.test: " + refused +
                                       "; told ben (team lead)"));
    // ben's notice carries ben's reply key: his answer to it reaches the customer as his.
    CHECK(carriesReplyKey(d.outbox("agent_delivery_failed").at(0).message_id, d.composerSecret(), 1001, "ben"));

    // anna's mailbox keeps refusing: within the hour, the lead is not told again.
    d.now += 600;
    d.store->transaction([&] { told = composer.queueDeliveryFailure(ticket, notification, refused); });
    CHECK_FALSE(told);
    CHECK(d.sent("agent_delivery_failed").size() == 1);
    CHECK(contains(d.events(1001), "system agent_not_reached: agent_notification to anna@acme.test: " + refused +
                                       " (not told again within the hour)"));

    // The notice itself fails (ben's mailbox is gone too): nobody is told of that.
    auto notice = d.outbox("agent_delivery_failed").at(0);
    d.store->transaction([&] { told = composer.queueDeliveryFailure(ticket, notice, "550 5.1.1 user unknown"); });
    CHECK_FALSE(told);
    CHECK(d.sent("agent_delivery_failed").size() == 1);
    CHECK(contains(d.events(1001), "system agent_not_reached: agent_delivery_failed to ben@acme.test: 550 5.1.1 user "
                                       "unknown (a failure notice: nobody is told of it)"));
}

TEST_CASE("no lead to tell: agent_mail.failure_notice_to is told; with neither, the event says nobody was") {
    {
        Desk d("agent_mail: { failure_notice_to: [admin@acme.test] }\n");
        d.mail("alice@customer.test", "VPN down", "x\r\n");
        MailComposer composer(*d.runtime, *d.store, [&d] { return d.now; });
        bool told = false;
        d.store->transaction([&] {
            told = composer.queueDeliveryFailure(d.ticket(1001), d.outbox("agent_notification").at(0), "550 5.2.2 full");
        });
        CHECK(told);
        auto notices = d.sent("agent_delivery_failed");
        REQUIRE(notices.size() == 1);
        CHECK(addresses(notices[0].to) == "admin@acme.test");
        CHECK(contains(d.events(1001), "system agent_not_reached: agent_notification to anna@acme.test: 550 5.2.2 full; "
                                           "told admin@acme.test (agent_mail.failure_notice_to)"));
    }
    {
        // The lead is the agent who was not reached: telling her would fail too.
        Desk d("", "", "", "first: { agents: [anna, ben], assign: round_robin, lead: anna }");
        d.mail("alice@customer.test", "VPN down", "x\r\n");
        MailComposer composer(*d.runtime, *d.store, [&d] { return d.now; });
        bool told = true;
        d.store->transaction([&] {
            told = composer.queueDeliveryFailure(d.ticket(1001), d.outbox("agent_notification").at(0), "550 5.2.2 full");
        });
        CHECK_FALSE(told);
        CHECK(d.sent("agent_delivery_failed").empty());
        CHECK(contains(d.events(1001), "system agent_not_reached: agent_notification to anna@acme.test: 550 5.2.2 full "
                                           "(nobody told: the ticket's team has no other lead and "
                                           "agent_mail.failure_notice_to is not set)"));
    }
}
