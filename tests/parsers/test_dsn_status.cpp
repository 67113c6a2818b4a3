// RFC 3463 status precision in bounces: a generic Status yields to the diagnostic's specific
// code, a nested quoted reply names the cause, and x.0.0 stays when nothing says more.
#include <doctest/doctest.h>

#include "parsers/classify.hpp"
#include "parsers/parsed_mail.hpp"
#include "parsers/status_code.hpp"

using namespace deskgate;

TEST_CASE("diagnostic texts: which enhanced code names the cause") {
    struct Case {
        const char* text;
        const char* code;
    };
    const Case cases[] = {
        {"smtp; 550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown", "5.1.1"},
        // Gmail giving up after retries: the reply it kept getting is quoted in <…>.
        {"smtp; 554 4.4.7 Message expired: unable to deliver in 840 minutes.<421 4.4.2 Connection timed out>", "4.4.2"},
        {"smtp; 550 5.7.1 Service unavailable (host said: 550-5.7.26 unauthenticated mail)", "5.7.26"},
        {"smtp; 550 5.1.1 user unknown (in reply to RCPT TO; 4.4.1 earlier)", "5.1.1"},
        {"smtp; 550 5.0.0 <u@example.net>: 5.1.1 mailbox unknown", "5.1.1"},
        {"smtp; 550 5.0.0 Mailbox unavailable", "5.0.0"},
        // Amazon SES quotes the remote server's reply in '…' after its own code.
        {"smtp; 5.1.0 - Unknown address error 550-'5.7.1 <0001@email-bounces.amazonses.com>... Access denied' (delivery attempts: 0)",
         "5.7.1"},
        {"smtp; 5.3.0 - Other mail system problem 550-'Unknown user nobody@docomo.ne.jp' (delivery attempts: 0)", "5.3.0"},
        {"smtp; 550 5.3.0 - Other mail system problem 554-'Message rejected'", "5.3.0"},
        {"smtp; 554 4.4.7 Message expired: unable to deliver in 840 minutes.", "4.4.7"},
        {"smtp; 250 2.0.0 OK then 452 4.2.2 mailbox full", "4.2.2"},
        {"no code here at all", ""},
        // The digits of the code occur earlier inside a longer number (found by the fuzzer).
        {"To: root@psuStatus: 5.1.1ketaro.example.jp\nRemote host said: 550 5.1.1 unknown", "5.1.1"},
    };
    for (const auto& c : cases) {
        std::string text = c.text;
        CAPTURE(text);
        CHECK(causeStatusCode(c.text) == c.code);
    }
}

TEST_CASE("DSN Status against Diagnostic-Code") {
    struct Case {
        const char* fields;  // one per-recipient block of message/delivery-status
        const char* status;
        bool permanent;
    };
    const Case cases[] = {
        // Exchange and Lotus send a generic Status and say more in the reply.
        {"Final-Recipient: rfc822; k.smith@example.de\nAction: failed\nStatus: 5.0.0\n"
         "Diagnostic-Code: smtp; 550 5.3.0 - Other mail system problem 554-'Message rejected'\n", "5.3.0", true},
        {"Final-Recipient: rfc822; k.smith@example.de\nAction: failed\nStatus: 5.0.0\n"
         "Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found\n", "5.1.10", true},
        // A folded Diagnostic-Code (RFC 5322 §2.2.3) with the code on the continuation line.
        {"Final-Recipient: rfc822; a@example.com\nAction: failed\nStatus: 5.0.0\n"
         "Diagnostic-Code: smtp; 550-Mailbox unavailable, see below\n    550 5.2.1 The email account that you tried to reach is disabled\n",
         "5.2.1", true},
        {"Final-Recipient: rfc822; a@example.com\nAction: failed\nStatus: 4.4.7\n"
         "Diagnostic-Code: smtp; 554 4.4.7 Message expired: unable to deliver in 840 minutes.<421 4.4.2 Connection timed out>\n",
         "4.4.2", false},
        // A specific Status stands against an unrelated code of another class.
        {"Final-Recipient: rfc822; a@example.com\nAction: failed\nStatus: 5.1.1\n"
         "Diagnostic-Code: smtp; 550 5.1.1 user unknown (in reply to RCPT TO; 4.4.1 earlier)\n", "5.1.1", true},
        // Generic Status, the diagnostic says a different class: the Status's class stands.
        {"Final-Recipient: rfc822; a@example.com\nAction: failed\nStatus: 5.0.0\n"
         "Diagnostic-Code: smtp; 421 4.4.1 try later\n", "5.0.0", true},
        // Nothing more specific anywhere: the x.0.0 fallback stays.
        {"Final-Recipient: rfc822; a@example.com\nAction: failed\nStatus: 5.0.0\nDiagnostic-Code: X-Notes; User not listed\n",
         "5.0.0", true},
        {"Final-Recipient: rfc822; a@example.com\nAction: failed\nStatus: 550\n", "5.0.0", true},
        {"Final-Recipient: rfc822; a@example.com\nAction: failed\nDiagnostic-Code: smtp; 552 5.2.2 Mailbox full\n", "5.2.2", true},
    };
    for (const auto& c : cases) {
        std::string fields = c.fields;
        CAPTURE(fields);
        BounceInfo info = parseDeliveryStatus("Reporting-MTA: dns; mx.example.com\n\n" + fields);
        CHECK(info.status == c.status);
        CHECK(info.permanent == c.permanent);
    }
}

TEST_CASE("bounce status from the whole mail: DSN, SMTP reply in the text, fallback") {
    auto dsnMail = [](const std::string& human, const std::string& status_block) {
        return "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\nSubject: Undeliverable: Angebot\n"
               "Content-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\n\n"
               "--R\nContent-Type: text/plain\n\n" + human +
               "\n--R\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.com\n\n" + status_block +
               "--R--\n";
    };
    struct Case {
        std::string raw;
        const char* status;
    };
    const Case cases[] = {
        // Generic Status, no Diagnostic-Code: the human-readable part quotes the reply.
        {dsnMail("Remote server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'",
                 "Final-Recipient: rfc822; x@example.org\nAction: failed\nStatus: 5.0.0\n"), "5.1.1"},
        {dsnMail("Delivery failed.", "Final-Recipient: rfc822; x@example.org\nAction: failed\nStatus: 5.0.0\n"), "5.0.0"},
        // No DSN: qmail-style text with a nested reply.
        {"From: MAILER-DAEMON@mx.example.com\nSubject: failure notice\n\n"
         "Hi. This is the qmail-send program at mx.example.com.\n"
         "<x@example.org>:\nRemote host said: 554 4.4.7 Message expired <421 4.4.2 Connection timed out>\n", "4.4.2"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.raw);
        auto m = parseMail(c.raw);
        REQUIRE(m.has_value());
        REQUIRE(m->bounce);
        CHECK(m->bounce->status == c.status);
    }
}
