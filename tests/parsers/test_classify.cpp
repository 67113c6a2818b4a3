// Bounces, auto-replies, lists, feedback reports; reply/quote splitting.
#include <doctest/doctest.h>

#include "parsers/parsed_mail.hpp"
#include "parsers/reply_split.hpp"

using namespace deskgate;

namespace {

std::string kindName(MailKind k) { return std::string(toString(k)); }

ParsedMail parse(const std::string& raw) {
    auto r = parseMail(raw);
    REQUIRE(r.has_value());
    return *r;
}

}  // namespace

TEST_CASE("auto-replies, lists and normal mail") {
    struct Case {
        std::string headers;
        MailKind kind;
        const char* reason;
    };
    const Case cases[] = {
        {"Auto-Submitted: auto-replied\nSubject: Re: hi\n", MailKind::auto_reply, "Auto-Submitted: auto-replied"},
        {"Auto-Submitted: auto-generated (vacation)\n", MailKind::auto_reply, "Auto-Submitted: auto-generated (vacation)"},
        {"Auto-Submitted: no\nSubject: hi\n", MailKind::normal, ""},
        {"X-Autoreply: yes\n", MailKind::auto_reply, "X-Autoreply: yes"},
        {"X-Autorespond: Out of office\n", MailKind::auto_reply, "X-Autorespond: Out of office"},
        {"Precedence: bulk\n", MailKind::auto_reply, "Precedence: bulk"},
        {"Precedence: junk\n", MailKind::auto_reply, "Precedence: junk"},
        {"X-Auto-Response-Suppress: All\nSubject: Meeting\n", MailKind::auto_reply, "X-Auto-Response-Suppress: all"},
        {"Subject: Out of Office: Re: printer\n", MailKind::auto_reply, "Subject: Out of Office: Re: printer"},
        {"Subject: Automatische Antwort: Rechnung\n", MailKind::auto_reply, "Subject: Automatische Antwort: Rechnung"},
        {"Subject: Abwesenheitsnotiz: Rechnung\n", MailKind::auto_reply, "Subject: Abwesenheitsnotiz: Rechnung"},
        {"Subject: Automatic reply: help\n", MailKind::auto_reply, "Subject: Automatic reply: help"},
        {"List-Id: <dev.lists.example.org>\n", MailKind::list, ""},
        {"Precedence: list\n", MailKind::list, ""},
        {"Subject: My printer is out of toner\n", MailKind::normal, ""},
    };
    for (const auto& c : cases) {
        CAPTURE(c.headers);
        ParsedMail m = parse("From: someone@example.com\n" + c.headers + "\nbody\n");
        CHECK(kindName(m.kind) == kindName(c.kind));
        CHECK(m.auto_reply_reason == c.reason);
    }
}

TEST_CASE("RFC 3464 delivery status notification") {
    std::string raw =
        "From: MAILER-DAEMON@mx.example.com (Mail Delivery System)\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        "Auto-Submitted: auto-replied\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\n\n"
        "--R\nContent-Type: text/plain\n\nI'm sorry to have to inform you...\n"
        "--R\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.example.com\nArrival-Date: Mon, 29 Apr 2013 23:45:32 +0900\n\n"
        "Final-Recipient: rfc822; nobody@example.org\nOriginal-Recipient: rfc822;nobody@example.org\n"
        "Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 <nobody@example.org>: User unknown\n"
        "--R\nContent-Type: message/rfc822\n\n"
        "From: support@helpdesk.example.com\nMessage-ID: <ticket-7@helpdesk.example.com>\nSubject: x\n\nbody\n"
        "--R--\n";
    ParsedMail m = parse(raw);
    CHECK(kindName(m.kind) == "bounce");
    REQUIRE(m.bounce);
    CHECK(m.bounce->status == "5.1.1");
    CHECK(m.bounce->permanent);
    CHECK(m.bounce->failed_recipient == "nobody@example.org");
    CHECK(m.bounce->original_message_id == "ticket-7@helpdesk.example.com");
}

TEST_CASE("non-standard bounces") {
    struct Case {
        std::string raw;
        const char* status;
        const char* recipient;
        bool permanent;
    };
    const Case cases[] = {
        // qmail
        {"From: MAILER-DAEMON@mx.example.net\nSubject: failure notice\n\n"
         "Hi. This is the qmail-send program at mx.example.net.\n"
         "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
         "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
         "<kijitora@example.jp>:\n192.0.2.1 does not like recipient.\nRemote host said: 550 5.1.1 <kijitora@example.jp>... User Unknown\n",
         "5.1.1", "kijitora@example.jp", true},
        // Exim with X-Failed-Recipients and no enhanced code
        {"From: Mail Delivery System <Mailer-Daemon@mx.example.org>\nSubject: Mail delivery failed: returning message to sender\n"
         "X-Failed-Recipients: user@example.com\nAuto-Submitted: auto-replied\n\n"
         "This message was created automatically by mail delivery software.\n\n"
         "A message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent error.\n\n"
         "  user@example.com\n    SMTP error from remote mail server after RCPT TO:<user@example.com>:\n"
         "    host mx.example.com [192.0.2.2]: 550 No such user\n",
         "5.1.1", "user@example.com", true},  // no code given: "No such user" is x.1.1
        // Delay warning
        {"From: MAILER-DAEMON@mx.example.org\nSubject: Warning: could not send message for past 4 hours\n\n"
         "The original message was received at ...\n   ----- Transcript of session follows -----\n"
         "<a@example.com>... Deferred: Connection timed out; will retry\n",
         "4.4.7", "a@example.com", false},  // "timed out": x.4.7
    };
    for (const auto& c : cases) {
        CAPTURE(std::string(c.status));
        ParsedMail m = parse(c.raw);
        CHECK(kindName(m.kind) == "bounce");
        REQUIRE(m.bounce);
        CHECK(m.bounce->status == c.status);
        CHECK(m.bounce->failed_recipient == c.recipient);
        CHECK(m.bounce->permanent == c.permanent);
    }
}

TEST_CASE("Hotmail JMRP complaint and Amazon SES complaint are feedback reports") {
    CHECK(kindName(parse("From: staff@hotmail.com\nSubject: complaint about message from 192.0.2.1\n\nx\n").kind) == "feedback_report");
    CHECK(kindName(parse("From: no-reply@sns.amazonaws.com\nSubject: AWS Notification Message\n\n"
                         "{\"notificationType\":\"Complaint\",\"complaint\":{}}\n").kind) == "feedback_report");
    ParsedMail ses = parse("From: no-reply@sns.amazonaws.com\nSubject: AWS Notification Message\n\n"
                           "{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":\"Permanent\",\"bouncedRecipients\":"
                           "[{\"emailAddress\":\"bounce@simulator.amazonses.com\",\"status\":\"5.1.1\"}]}}\n");
    CHECK(kindName(ses.kind) == "bounce");
    REQUIRE(ses.bounce);
    CHECK(ses.bounce->status == "5.1.1");
    CHECK(ses.bounce->failed_recipient == "bounce@simulator.amazonses.com");
}

TEST_CASE("ARF feedback report") {
    std::string raw =
        "From: abuse@example.net\nSubject: complaint\n"
        "Content-Type: multipart/report; report-type=feedback-report; boundary=F\n\n"
        "--F\nContent-Type: text/plain\n\nThis is an abuse report\n"
        "--F\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nUser-Agent: x/1\nVersion: 1\n"
        "--F--\n";
    CHECK(kindName(parse(raw).kind) == "feedback_report");
}

TEST_CASE("reply and quote splitting for common clients") {
    struct Case {
        const char* client;
        const char* text;
        const char* reply;
        const char* quoted_start;
    };
    const Case cases[] = {
        {"Gmail", "Thanks, works now.\n\nOn Tue, Mar 1, 2022 at 9:05 AM Support <support@example.com> wrote:\n> Please restart.\n",
         "Thanks, works now.", "On Tue, Mar 1, 2022"},
        {"Gmail wrapped", "Yes.\n\nOn Tue, Mar 1, 2022 at 9:05 AM Support Team <\nsupport@example.com> wrote:\n\n> Hi\n",
         "Yes.", "On Tue, Mar 1, 2022"},
        {"Thunderbird DE", "Danke!\n\nAm 01.03.2022 um 09:05 schrieb Support:\n> Bitte neu starten.\n", "Danke!", "Am 01.03.2022"},
        {"Apple Mail DE", "Geht.\n\n> Am 01.03.2022 um 09:05 schrieb Support <s@x.com>:\n> \n> Test\n", "Geht.", "> Am 01.03.2022"},
        {"Outlook", "Done.\n\n-----Original Message-----\nFrom: Support\nSent: Tuesday\nSubject: x\n", "Done.", "-----Original Message-----"},
        {"Outlook DE", "Erledigt.\n\n-----Ursprüngliche Nachricht-----\nVon: Support\nGesendet: Dienstag\n", "Erledigt.",
         "-----Ursprüngliche Nachricht-----"},
        {"Outlook header block", "OK\n\n________________________________\nFrom: Support <s@x.com>\nSent: Tuesday, March 1, 2022 9:05 AM\nTo: me\n",
         "OK", "________________________________"},
        {"Outlook DE header block", "OK\n\nVon: Support <s@x.com>\nGesendet: Dienstag, 1. März 2022 09:05\nAn: ich\nBetreff: x\n", "OK",
         "Von: Support"},
        {"signature", "New text here.\n\n-- \nJane Doe\nACME\n", "New text here.", ""},
        {"signature then quote", "Fine.\n-- \nJane\n\nOn Mon, Jan 1, 2024 at 1:00 PM Bob <b@x.com> wrote:\n> q\n", "Fine.", "On Mon"},
        {"iPhone", "Sure\n\nSent from my iPhone\n\n> On Mar 1, 2022, at 09:05, Support <s@x.com> wrote:\n", "Sure", "> On Mar 1"},
        {"plain", "No quote at all.\nSecond line.", "No quote at all.\nSecond line.", ""},
        {"forward without new text", "-------- Forwarded Message --------\nSubject: x\nDate: y\n\nold body\n", "",
         "-------- Forwarded Message --------"},
        {"bottom-posting (Thunderbird)", "On 04/02/2012 06:26 PM, Megan One wrote:\n> Hi\n\nHello\n", "Hello", "On 04/02/2012"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.client);
        ReplySplit s = splitReply(c.text);
        CHECK(s.reply == c.reply);
        CHECK(std::string_view(s.quoted).starts_with(c.quoted_start));
        if (std::string_view(c.quoted_start).empty()) CHECK(s.quoted.empty());
    }
}

TEST_CASE("HTML quote containers split the reply") {
    struct Case {
        const char* client;
        const char* html;
    };
    const Case cases[] = {
        {"Gmail", "<div dir=\"ltr\">New answer</div><br><div class=\"gmail_quote\"><div class=\"gmail_attr\">On Tue wrote:</div>"
                  "<blockquote class=\"gmail_quote\">old text</blockquote></div>"},
        {"Apple Mail", "<div>New answer</div><div><br><blockquote type=\"cite\"><div>old text</div></blockquote></div>"},
        {"Outlook", "<div>New answer</div><div id=\"divRplyFwdMsg\"><b>From:</b> Support<br>old text</div>"},
        {"Yahoo", "<div>New answer</div><div class=\"yahoo_quoted\">old text</div>"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.client);
        ParsedMail m = parse(std::string("From: a@x.com\nContent-Type: text/html; charset=utf-8\n\n") + c.html);
        CHECK(m.reply_text == "New answer");
        CHECK(m.quoted.find("old text") != std::string::npos);
    }
}
