// Working by mail, without servers: the real Intake on a real SQLite file with an injected
// clock; what deskgate would send is read back from the outbox with deskgate's own parser.
// The same paths over real IMAP/SMTP and on PostgreSQL: tests/integration/agent_mail_test.cpp.
#include <doctest/doctest.h>

#include "daemon/desk/intake.hpp"
#include "parsers/ascii.hpp"
#include "tests/daemon/desk/desk_fixture.hpp"

using namespace deskgate;
using test::writeFile;

using test::Desk;
using test::addresses;
using test::contains;

TEST_CASE("a new ticket notifies the assigned agent with Reply-To support and the original mail attached") {
    Desk d;
    IntakeResult r;
    d.mail("Alice <alice@customer.test>", "VPN down", "It does not connect.\r\n", "", &r);
    REQUIRE(r.outcome == "new_ticket");
    CHECK(r.queued_mails == 2);
    auto notes = d.sent("agent_notification");
    REQUIRE(notes.size() == 1);
    const auto& n = notes[0];
    CHECK(addresses(n.to) == "anna@acme.test");
    CHECK(addresses(n.reply_to) == "support@acme.test");
    CHECK(n.subject == "[Ticket#1001] VPN down");
    CHECK(n.text.find("New ticket from Alice <alice@customer.test>") != std::string::npos);
    CHECK(n.text.find("It does not connect.") != std::string::npos);
    CHECK(n.text.find("Priority:  normal") != std::string::npos);
    CHECK(n.header("Auto-Submitted") != nullptr);
    auto raw = d.outbox("agent_notification")[0].raw;
    CHECK(raw.find("Content-Type: message/rfc822") != std::string::npos);
    CHECK(raw.find("filename=\"ticket-1001.eml\"") != std::string::npos);
    // The customer's acknowledgement is separate and does not name the agent's address.
    auto acks = d.sent("acknowledgement");
    REQUIRE(acks.size() == 1);
    CHECK(addresses(acks[0].to) == "alice@customer.test");
}

TEST_CASE("an agent's reply is relayed from the support address, threaded, commands applied and removed") {
    Desk d;
    auto first = d.mail("Alice <alice@customer.test>", "VPN down", "It does not connect.\r\n");
    auto ackId = d.sent("acknowledgement").at(0).message_id;
    auto notificationId = d.sent("agent_notification").at(0).message_id;
    IntakeResult r;
    d.mail("Anna <anna@acme.test>", "Re: [Ticket#1001] VPN down",
           "#priority high\r\n#tag vpn\r\n\r\nHello Alice,\r\nplease restart the client.\r\n\r\n"
           "Anna Schmidt | Anna@ACME.test | +49 30 1234\r\n\r\n"
           "On Wed, Support wrote:\r\n> It does not connect.\r\n",
           "", &r, notificationId);
    CHECK(r.outcome == "agent_reply");
    auto relayed = d.sent("agent_reply");
    REQUIRE(relayed.size() == 1);
    const auto& m = relayed[0];
    CHECK(addresses(m.from) == "support@acme.test");
    CHECK(addresses(m.to) == "alice@customer.test");
    CHECK(m.subject == "Re: [Ticket#1001] VPN down");
    CHECK(m.text.find("please restart the client.") != std::string::npos);
    CHECK(m.text.find("Anna Schmidt") != std::string::npos);  // signed with the agent's name
    CHECK(m.text.find("#priority") == std::string::npos);
    CHECK(m.text.find("> It does not connect.") == std::string::npos);  // quoted history not relayed
    CHECK(m.header("Auto-Submitted") == nullptr);                        // a person's answer
    auto raw = d.outbox("agent_reply")[0].raw;
    CHECK(lower(raw).find("anna@acme.test") == std::string::npos);  // not even in her signature
    CHECK(m.text.find("Anna Schmidt | support@acme.test | +49 30 1234") != std::string::npos);
    // One conversation for the customer's client: it answers our acknowledgement, the root
    // is the customer's first mail.
    CHECK(m.in_reply_to == ackId);
    REQUIRE_FALSE(m.references.empty());
    CHECK(m.references.front() == first);

    auto t = d.ticket(1001);
    CHECK(t.priority == "high");
    CHECK(t.tags == "vpn");
    CHECK(t.first_response_at);
    auto ev = d.events(1001);
    CHECK(contains(ev, "agent:anna priority: normal -> high"));
    CHECK(contains(ev, "agent:anna tag: +vpn"));
    CHECK(contains(ev, "agent:anna first_response: "));
    // The stored copy of the relay is the agent's, for reports.
    bool relayStored = false;
    for (const auto& msg : d.store->tickets.messagesOf(t.id))
        if (msg.kind == "agent_reply") relayStored = msg.author == "agent:anna" && msg.direction == "out";
    CHECK(relayStored);
}

TEST_CASE("#note reaches no customer; an invalid command answers the agent and changes nothing") {
    Desk d;
    d.mail("alice@customer.test", "VPN down", "It does not connect.\r\n");
    IntakeResult note;
    d.reply("anna@acme.test", "Re: [Ticket#1001] VPN down", "#note\r\nCustomer is on the old client, ask Ben.\r\n", &note);
    CHECK(note.outcome == "note");
    CHECK(d.sent("agent_reply").empty());
    CHECK_FALSE(d.ticket(1001).first_response_at);  // a note is no answer
    CHECK(contains(d.events(1001), "agent:anna note: mail m2@client.test"));

    IntakeResult bad;
    d.reply("anna@acme.test", "Re: [Ticket#1001] VPN down", "#priority soon\r\n#close\r\n\r\nDone, bye.\r\n", &bad);
    CHECK(bad.outcome == "command_error");
    auto errors = d.sent("command_error");
    REQUIRE(errors.size() == 1);
    CHECK(addresses(errors[0].to) == "anna@acme.test");
    CHECK(errors[0].text.find("#priority soon") != std::string::npos);
    CHECK(errors[0].text.find("unknown priority 'soon': use low, normal, high or urgent") != std::string::npos);
    auto t = d.ticket(1001);
    CHECK(t.status == "open");  // #close on the same mail was not applied either
    CHECK(t.priority == "normal");
    CHECK(d.sent("agent_reply").empty());
    CHECK(d.sent("resolved").empty());

    IntakeResult nobody;
    d.reply("anna@acme.test", "Re: [Ticket#1001] VPN down", "#assign zoe\r\n", &nobody);
    CHECK(nobody.outcome == "command_error");
    CHECK(nobody.reason == "#assign zoe: no agent is called 'zoe'");
}

TEST_CASE("a mail with only commands relays nothing; #assign tells the new agent; a status change is told") {
    Desk d;
    d.mail("alice@customer.test", "VPN down", "It does not connect.\r\n");
    d.reply("anna@acme.test", "Re: [Ticket#1001] VPN down", "#assign ben\r\n#queue network\r\n");
    CHECK(d.sent("agent_reply").empty());
    CHECK(d.sent("status_changed").empty());
    d.reply("anna@acme.test", "Re: [Ticket#1001] VPN down", "#pending\r\n");
    CHECK(d.sent("agent_reply").empty());
    auto updates = d.sent("status_changed");
    REQUIRE(updates.size() == 1);
    CHECK(addresses(updates[0].to) == "alice@customer.test");
    CHECK(updates[0].text.find("New status: waiting for your reply") != std::string::npos);
    CHECK(updates[0].header("Auto-Submitted") != nullptr);
    CHECK(d.sent("acknowledgement").size() == 1);
    auto t = d.ticket(1001);
    CHECK(t.assignee == "ben");
    CHECK(t.queue == "network");
    CHECK(t.status == "pending");
    auto notes = d.sent("agent_notification");
    REQUIRE(notes.size() == 2);
    CHECK(addresses(notes[1].to) == "ben@acme.test");
    CHECK(notes[1].text.find("assigned to ben") != std::string::npos);
    auto ev = d.events(1001);
    CHECK(contains(ev, "agent:anna assigned: ben (by anna, was anna)"));
    CHECK(contains(ev, "agent:anna queue: general -> network"));
    CHECK(contains(ev, "agent:anna status: open -> pending (by anna)"));
    // #assign me, with words: one status update carrying them, signed by nobody's address.
    d.reply("ben@acme.test", "Re: [Ticket#1001] VPN down", "#assign me\r\n#open\r\nI am on it now.\r\n");
    CHECK(d.ticket(1001).status == "open");
    updates = d.sent("status_changed");
    REQUIRE(updates.size() == 2);
    CHECK(updates[1].text.find("I am on it now.") != std::string::npos);
    CHECK(updates[1].text.find("being worked on") != std::string::npos);
    CHECK(d.outbox("status_changed")[1].raw.find("ben@acme.test") == std::string::npos);
    CHECK(d.ticket(1001).first_response_at);
    CHECK(d.sent("agent_notification").size() == 2);  // ben took it himself: no mail to ben
}

TEST_CASE("#resolve sends the closing notice; the rating answer is stored and thanked once, nothing reopens") {
    Desk d;
    d.mail("alice@customer.test", "VPN down", "It does not connect.\r\n");
    d.reply("anna@acme.test", "Re: [Ticket#1001] VPN down", "#resolve\r\nThe new client fixes it.\r\n");
    auto t = d.ticket(1001);
    CHECK(t.status == "resolved");
    CHECK(t.resolved_at);
    CHECK(t.rating_requested_at);
    CHECK(t.first_response_at);  // closing words are an answer
    auto notices = d.sent("resolved");
    REQUIRE(notices.size() == 1);
    CHECK(addresses(notices[0].to) == "alice@customer.test");
    CHECK(notices[0].text.find("The new client fixes it.") != std::string::npos);
    CHECK(notices[0].text.find("number from 1 (not at all) to 5") != std::string::npos);

    IntakeResult r;
    d.mail("alice@customer.test", "Re: [Ticket#1001] Resolved: VPN down", "5 — danke\r\n\r\n> we have marked\r\n", "",
           &r);
    CHECK(r.outcome == "rating");
    t = d.ticket(1001);
    CHECK(t.rating == 5);
    CHECK(t.rating_comment == "danke");
    CHECK(t.status == "resolved");
    CHECK(t.reopened_count == 0);
    CHECK(d.sent("rating_thanks").size() == 1);
    // The same answer again (a second click): no second thanks, the first rating stays.
    d.mail("alice@customer.test", "Re: [Ticket#1001] Resolved: VPN down", "4\r\n");
    CHECK(d.sent("rating_thanks").size() == 1);
    CHECK(d.ticket(1001).rating == 5);
    CHECK(d.ticket(1001).status == "resolved");
    // Words that are no rating reopen it (within the reopen window), and the agent hears of it.
    d.mail("alice@customer.test", "Re: [Ticket#1001] Resolved: VPN down", "It broke again.\r\n");
    t = d.ticket(1001);
    CHECK(t.status == "open");
    CHECK(t.reopened_count == 1);
    CHECK(d.sent("agent_notification").back().text.find("wrote again") != std::string::npos);
    // #close after that: the notice says closed.
    d.reply("anna@acme.test", "Re: [Ticket#1001] VPN down", "#close\r\n");
    CHECK(d.ticket(1001).status == "closed");
    REQUIRE(d.sent("resolved").size() == 2);
    CHECK(d.sent("resolved")[1].text.find("as closed") != std::string::npos);
}

TEST_CASE("participants in Cc get what the customer gets, and may write on the ticket") {
    Desk d;
    d.mail("alice@customer.test", "Printer queue", "Carol knows more.\r\n", "Cc: Carol <carol@customer.test>\r\n");
    auto acks = d.sent("acknowledgement");
    REQUIRE(acks.size() == 1);
    CHECK(acks[0].cc.empty());  // the acknowledgement goes to the sender alone
    CHECK(d.outbox("acknowledgement")[0].recipients.size() == 1);
    CHECK(d.store->tickets.participantsOf(d.ticket(1001).id) == std::vector<std::string>{"carol@customer.test"});
    IntakeResult r;
    d.mail("carol@customer.test", "Re: [Ticket#1001] Printer queue", "It is the 3rd floor.\r\n", "", &r);
    CHECK(r.outcome == "reply");
    CHECK(r.ticket_number == 1001);  // the token is not trusted, but carol is a participant
    d.reply("anna@acme.test", "Re: [Ticket#1001] Printer queue", "Fixed the queue.\r\n");
    auto relayed = d.sent("agent_reply");
    REQUIRE(relayed.size() == 1);
    CHECK(addresses(relayed[0].cc) == "carol@customer.test");
}

TEST_CASE("participants are not notified when the configuration says so") {
    Desk d("participants: { notify: false }\n");
    d.mail("alice@customer.test", "Printer queue", "Carol knows more.\r\n", "Cc: carol@customer.test\r\n");
    d.reply("anna@acme.test", "Re: [Ticket#1001] Printer queue", "Fixed the queue.\r\n");
    REQUIRE(d.sent("agent_reply").size() == 1);
    CHECK(d.sent("agent_reply").at(0).cc.empty());
}

TEST_CASE("language: a rule's, then the customer's earlier one; fallback English") {
    Desk d;
    d.mail("Jürgen Weiß <juergen@kunde.test>", "Drucker druckt doppelt", "Hilfe\r\n");
    auto ack = d.sent("acknowledgement").at(0);
    CHECK(d.ticket(1001).language == "de");
    CHECK(ack.text.find("vielen Dank") != std::string::npos);
    // The next ticket of the same customer, about something no rule maps: still German.
    d.mail("juergen@kunde.test", "Noch etwas", "Frage\r\n");
    CHECK(d.ticket(1002).language == "de");
    CHECK(d.sent("acknowledgement").at(1).text.find("vielen Dank") != std::string::npos);
    // Somebody else: English.
    d.mail("bob@customer.test", "Question", "Hi\r\n");
    CHECK(d.ticket(1003).language.empty());
    CHECK(d.sent("acknowledgement").at(2).text.find("thank you for your message") != std::string::npos);
}

TEST_CASE("a valid token from an unrelated sender does not land on that ticket") {
    Desk d;
    d.mail("alice@customer.test", "VPN down", "It does not connect.\r\n");
    IntakeResult r;
    d.mail("mallory@evil.test", "Re: [Ticket#1001] VPN down", "#close\r\nplease close\r\n", "", &r);
    CHECK(r.outcome == "new_ticket");
    CHECK(r.ticket_number == 1002);
    CHECK(d.ticket(1002).follows_number == 1001);
    CHECK(d.ticket(1001).status == "open");
    CHECK(d.store->tickets.messagesOf(d.ticket(1001).id).size() == 3);  // mail, ack, notification: nothing of mallory's
}

TEST_CASE("an agent is proven by the reply key of the notification they answer; a forged From changes nothing") {
    Desk d;
    d.mail("alice@customer.test", "VPN down", "It does not connect.\r\n");
    const auto notification = d.outbox("agent_notification").at(0);
    CHECK(carriesReplyKey(notification.message_id, d.composerSecret(), 1001, "anna"));
    CHECK_FALSE(carriesReplyKey(notification.message_id, d.composerSecret(), 1001, "ben"));  // anna's alone
    CHECK_FALSE(carriesReplyKey(notification.message_id, d.composerSecret(), 1002, "anna"));  // this ticket's alone

    // Mallory writes anna's address into From: the token names the ticket, nothing proves her.
    IntakeResult forged;
    d.mail("anna@acme.test", "Re: [Ticket#1001] VPN down", "#close\r\nclosing\r\n", "", &forged);
    CHECK(forged.outcome == "new_ticket");  // an outsider's mail naming a ticket: a new, linked one
    CHECK(d.ticket(1001).status == "open");
    CHECK(d.sent("resolved").empty());
    CHECK(d.sent("agent_reply").empty());
    bool explained = false;
    for (const auto& e : d.events(1001))
        explained |= e.find("system agent_unproven: mail m2@client.test from agent anna's address was handled as an "
                            "outsider's: it does not answer a mail deskgate sent you about the ticket") == 0;
    CHECK(explained);
    // The agent is told, once a day however often it happens.
    REQUIRE(d.sent("agent_unproven").size() == 1);
    CHECK(addresses(d.sent("agent_unproven")[0].to) == "anna@acme.test");
    d.mail("anna@acme.test", "Re: [Ticket#1001] VPN down", "#close\r\n");
    CHECK(d.sent("agent_unproven").size() == 1);
    // A made-up key, or ben's notification answered from anna's address: no proof either.
    auto tampered = notification.message_id;
    tampered[tampered.find('@') - 1] = tampered[tampered.find('@') - 1] == 'a' ? 'b' : 'a';
    d.mail("anna@acme.test", "Re: [Ticket#1001] VPN down", "#close\r\n", "", nullptr, tampered);
    CHECK(d.ticket(1001).status == "open");

    // Anna presses Reply on her notification: it is hers.
    IntakeResult real;
    d.reply("anna@acme.test", "Re: [Ticket#1001] VPN down", "#priority urgent\r\nOn it.\r\n", &real);
    CHECK(real.outcome == "agent_reply");
    CHECK(d.ticket(1001).priority == "urgent");
    CHECK(d.sent("agent_reply").size() == 1);
}

TEST_CASE("authentication_results: our MTA's DKIM pass proves the agent; a field the sender wrote does not") {
    Desk d("agent_mail: { agent_proof: [authentication_results], trusted_servers: [mx.acme.test] }\n");
    d.mail("alice@customer.test", "VPN down", "It does not connect.\r\n");
    const std::string ourReceived =
        "Received: from laptop (laptop [192.0.2.9]) by mx.acme.test (Postfix) with ESMTPSA id 4Q; "
        "Mon, 30 Nov 2026 10:00:00 +0000\r\n";
    const std::string pass = "Authentication-Results: mx.acme.test; dkim=pass header.d=acme.test\r\n";
    IntakeResult forged;  // the field with our authserv-id is below our MTA's Received: the sender wrote it
    d.mail("anna@acme.test", "Re: [Ticket#1001] VPN down", "#close\r\n", ourReceived + pass, &forged);
    CHECK(forged.outcome == "new_ticket");
    CHECK(d.ticket(1001).status == "open");
    IntakeResult untrusted;  // above our Received, but by another server
    d.mail("anna@acme.test", "Re: [Ticket#1001] VPN down", "#close\r\n",
           "Authentication-Results: mx.evil.test; dkim=pass header.d=acme.test\r\n" + ourReceived, &untrusted);
    CHECK(untrusted.outcome == "new_ticket");
    CHECK(d.ticket(1001).status == "open");
    IntakeResult real;  // added by our MTA, above its Received: a proof even without a reply key
    d.mail("anna@acme.test", "Re: [Ticket#1001] VPN down", "#priority urgent\r\nOn it.\r\n", pass + ourReceived, &real);
    CHECK(real.outcome == "agent_reply");
    CHECK(d.ticket(1001).priority == "urgent");
    // With authentication_results alone, a reply key proves nothing.
    IntakeResult keyOnly;
    d.reply("anna@acme.test", "Re: [Ticket#1001] VPN down", "#close\r\n", &keyOnly);
    CHECK(keyOnly.outcome == "new_ticket");
}

TEST_CASE("agent_proof: the old setting and a misconfigured list are configuration errors with their place") {
    auto dir = test::freshDirectory("agent-mail-config");
    auto load = [&](const std::string& agentMail) {
        writeFile(dir / "deskgate.yaml", "identity: { address: support@acme.test }\nsmtp: { url: smtp://127.0.0.1:1 }\n"
                                         "templates: " + std::string(DESKGATE_SOURCE_DIR) + "/etc/templates\n"
                                         "agent_mail:\n" + agentMail);
        return loadConfig(dir / "deskgate.yaml");
    };
    auto old = load("  require_authenticated: true\n");
    REQUIRE_FALSE(old);
    CHECK(old.error().front().str().find("deskgate.yaml:5:26: 'require_authenticated' was replaced by 'agent_proof'") !=
          std::string::npos);
    auto mixed = load("  agent_proof: [reply_key, from_address]\n");
    REQUIRE_FALSE(mixed);
    CHECK(mixed.error().front().str().find("deskgate.yaml:5:16: from_address trusts the From address alone") !=
          std::string::npos);
    auto unknown = load("  agent_proof: [dkim]\n");
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().front().str().find("unknown agent proof 'dkim'") != std::string::npos);
    auto open = load("  agent_proof: [from_address]\n");
    REQUIRE(open);
    auto warnings = configWarnings(*open);
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].find("anyone who writes an agent's address into From can act as that agent") != std::string::npos);
    auto defaults = load("  attach_original: true\n");
    REQUIRE(defaults);
    CHECK(defaults->agent_mail.agent_proof ==
          std::vector<AgentProofMethod>{AgentProofMethod::reply_key, AgentProofMethod::authentication_results});
    CHECK(configWarnings(*defaults).empty());
}

TEST_CASE("rate limits: one address cannot trigger more automatic answers than allowed") {
    Desk d("", "limits: { auto_replies_per_address_per_hour: 2, max_recipients: 3 }\n");
    for (int i = 0; i < 4; ++i) d.mail("alice@customer.test", "Issue " + std::to_string(i), "x\r\n");
    CHECK(d.sent("acknowledgement").size() == 2);
    bool suppressed = false;
    for (const auto& e : d.events(1003))
        suppressed |= e.find("suppressed: acknowledgement to alice@customer.test: limit of 2 automatic mails per address") != std::string::npos;
    CHECK(suppressed);
    CHECK(d.store->tickets.countTickets() == 4);  // tickets are still made: nothing is lost
    // The next hour counts afresh.
    d.now += 3600;
    d.mail("alice@customer.test", "Issue 5", "x\r\n");
    CHECK(d.sent("acknowledgement").size() == 3);
    // Too many recipients: held for review.
    IntakeResult held;
    d.mail("bob@customer.test", "Spam", "x\r\n", "Cc: a@x.test, b@x.test, c@x.test\r\n", &held);
    CHECK(held.outcome == "quarantined");
    CHECK(held.reason == "held: 4 recipients in To and Cc (limit 3)");
}

namespace {
// The rate-limit uses counted for `address` ("*": the desk's) in every window.
long long usesOf(Desk& d, const std::string& address) {
    long long n = 0;
    soci::indicator ind = soci::i_null;
    d.store->session() << "SELECT SUM(uses) FROM address_usage WHERE address = :a", soci::use(address),
        soci::into(n, ind);
    return ind == soci::i_ok ? n : 0;
}
}  // namespace

TEST_CASE("rate limits: a mail the desk-wide limit refuses counts nowhere, and old windows are cleared") {
    Desk d("", "limits: { auto_replies_per_address_per_hour: 5, auto_replies_per_hour: 2 }\n");
    d.mail("alice@customer.test", "One", "x\r\n");
    d.mail("bob@customer.test", "Two", "x\r\n");
    d.mail("carol@customer.test", "Three", "x\r\n");  // the desk's third in the hour: refused
    CHECK(d.sent("acknowledgement").size() == 2);
    bool suppressed = false;
    for (const auto& e : d.events(1003))
        suppressed |= e.find("suppressed: acknowledgement to carol@customer.test: limit of 2 automatic mails per hour") !=
                      std::string::npos;
    CHECK(suppressed);
    CHECK(usesOf(d, "alice@customer.test") == 1);
    CHECK(usesOf(d, "carol@customer.test") == 0);  // given back: her refused mail is not held against her
    CHECK(usesOf(d, "*") == 2);
    // The next hour: carol is answered, and the last hour's counts are gone.
    d.now += 3600;
    d.mail("carol@customer.test", "Four", "x\r\n");
    CHECK(d.sent("acknowledgement").size() == 3);
    CHECK(usesOf(d, "alice@customer.test") == 0);
    CHECK(usesOf(d, "carol@customer.test") == 1);
}

TEST_CASE("rate limits: a mail the address's limit refuses does not count against the desk") {
    // The desk-wide limit is taken first (in a flood, once it is used up, one statement per mail);
    // its use is given back when the address's own limit then refuses.
    Desk d("", "limits: { auto_replies_per_address_per_hour: 1, auto_replies_per_hour: 5 }\n");
    d.mail("alice@customer.test", "One", "x\r\n");
    d.mail("alice@customer.test", "Two", "x\r\n");  // her second in the hour: refused
    CHECK(d.sent("acknowledgement").size() == 1);
    bool suppressed = false;
    for (const auto& e : d.events(1002))
        suppressed |= e.find("limit of 1 automatic mails per address and hour reached") != std::string::npos;
    CHECK(suppressed);
    CHECK(usesOf(d, "alice@customer.test") == 1);
    CHECK(usesOf(d, "*") == 1);  // given back
    d.mail("bob@customer.test", "Three", "x\r\n");
    CHECK(d.sent("acknowledgement").size() == 2);
    CHECK(usesOf(d, "*") == 2);
}

TEST_CASE("automatic mail answers no automatic mail: an auto-reply on a ticket notifies nobody") {
    Desk d;
    d.mail("alice@customer.test", "VPN down", "It does not connect.\r\n");
    d.mail("alice@customer.test", "Out of office: [Ticket#1001] VPN down", "I am away.\r\n",
           "Auto-Submitted: auto-replied\r\n");
    CHECK(d.sent("agent_notification").size() == 1);
    CHECK(d.sent("acknowledgement").size() == 1);
    CHECK(d.ticket(1001).status == "open");
}

TEST_CASE("a failed mail to the customer is told to the agents; a failed mail to agents makes no second notice") {
    Desk d;
    d.mail("alice@customer.test", "VPN down", "It does not connect.\r\n");
    MailComposer composer(*d.runtime, *d.store, [&d] { return d.now; });
    auto ticket = d.ticket(1001);
    auto toCustomer = d.outbox("acknowledgement").at(0);
    auto toAgents = d.outbox("agent_notification").at(0);
    bool told = false, loop = true;
    d.store->transaction([&] {
        told = composer.queueDeliveryFailure(ticket, toCustomer, "550 5.1.1 <alice@customer.test>: user unknown");
        loop = composer.queueDeliveryFailure(ticket, toAgents, "550 5.1.1 <anna@acme.test>: user unknown");
    });
    CHECK(told);
    CHECK_FALSE(loop);
    auto notices = d.sent("delivery_failed");
    REQUIRE(notices.size() == 1);
    CHECK(addresses(notices[0].to) == "anna@acme.test");
    CHECK(notices[0].subject == "[Ticket#1001] Not delivered: VPN down");
    CHECK(notices[0].text.find("acknowledgement: [Ticket#1001] Received: VPN down") != std::string::npos);
    CHECK(notices[0].text.find("550 5.1.1 <alice@customer.test>: user unknown") != std::string::npos);
}

TEST_CASE("rate limits: the overall cap on automatic answers per hour") {
    Desk d("", "limits: { auto_replies_per_hour: 3 }\n");
    for (int i = 0; i < 5; ++i) d.mail("c" + std::to_string(i) + "@customer.test", "Issue", "x\r\n");
    CHECK(d.sent("acknowledgement").size() == 3);
    CHECK(d.store->tickets.countTickets() == 5);
    bool suppressed = false;
    for (const auto& e : d.events(1005))
        suppressed |= e.find("limit of 3 automatic mails per hour reached") != std::string::npos;
    CHECK(suppressed);
}

TEST_CASE("#assign matches agent names without case; queues keep the case they are written in") {
    Desk d;
    d.mail("alice@customer.test", "VPN down", "It does not connect.\r\n");
    d.reply("anna@acme.test", "Re: [Ticket#1001] VPN down", "#assign BEN\r\n#queue Network-DE\r\n");
    auto t = d.ticket(1001);
    CHECK(t.assignee == "ben");
    CHECK(t.queue == "Network-DE");
    d.reply("ben@acme.test", "Re: [Ticket#1001] VPN down", "#assign Me\r\n#assign Anna\r\n");
    CHECK(d.ticket(1001).assignee == "anna");
}
