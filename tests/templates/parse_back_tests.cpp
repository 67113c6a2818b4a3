// Our own mail read back with deskgate's parser, as intake sees it when a customer's client
// quotes it or a copy returns: subject, names, body, threading ids and the token survive.
#include <doctest/doctest.h>

#include <chrono>

#include "parsers/parsed_mail.hpp"
#include "templates/message_builder.hpp"
#include "templates/template_values.hpp"

using namespace deskgate;

TEST_CASE("buildMessage output parses back with parseMail") {
    OutgoingMail m;
    m.from = {"Kundendienst Müller & Söhne", "support@example.com"};
    m.to = {{"Weiß, Jürgen", "juergen@customer.example"}};
    m.cc = {{"Zoë \"Z\" Ärger", "zoe@customer.example"}};
    m.reply_to = Address{"", "support@example.com"};
    m.subject = "[Ticket#1042] Eingangsbestätigung: Größere Störung im dritten Stock, der Drucker "
                "druckt jede Seite doppelt und staut danach";
    m.text = "Guten Tag Jürgen Weiß,\n\nvielen Dank für Ihre Nachricht.\n\nFreundliche Grüße\n";
    m.message_id = makeMessageId("example.com", "t1042-o1");
    m.in_reply_to = "CAF1@customer.example";
    m.references = {"root@customer.example"};
    m.auto_submitted = "auto-replied";
    m.date = std::chrono::sys_days{std::chrono::year{2026} / 11 / 27};

    for (bool html : {false, true}) {
        CAPTURE(html);
        if (html) m.html = "<p>Guten Tag Jürgen Weiß,</p><p>vielen Dank für Ihre Nachricht.</p>";
        auto parsed = parseMail(buildMessage(m));
        REQUIRE(parsed);
        CHECK(parsed->subject == m.subject);
        CHECK(parsed->token == 1042u);
        REQUIRE(parsed->from.size() == 1);
        CHECK(parsed->from[0] == m.from);
        REQUIRE(parsed->to.size() == 1);
        CHECK(parsed->to[0] == m.to[0]);
        REQUIRE(parsed->cc.size() == 1);
        CHECK(parsed->cc[0] == m.cc[0]);
        CHECK(parsed->message_id == m.message_id);
        CHECK(parsed->in_reply_to == "CAF1@customer.example");
        CHECK(parsed->references == std::vector<std::string>{"root@customer.example", "CAF1@customer.example"});
        CHECK(parsed->text.find("vielen Dank für Ihre Nachricht.") != std::string::npos);
        CHECK(parsed->text.find("Guten Tag Jürgen Weiß,") != std::string::npos);
        CHECK(toString(parsed->kind) == std::string_view("auto_reply"));  // never answered automatically
        CHECK(parsed->defects.empty());
    }
}

TEST_CASE("formatToken writes what extractToken reads") {
    for (const char* format : {"[Ticket#{number}]", "[HD-{number}]", "(Ticket {number})", "#{number}"}) {
        CAPTURE(format);
        for (std::uint64_t n : {1ULL, 1042ULL, 18446744073709551ULL}) {
            const std::string subject = "AW: " + formatToken(format, n) + " Grüße";
            CHECK(extractToken(subject, format) == n);
        }
    }
    CHECK(formatToken("[Ticket#{number}]", 1042) == "[Ticket#1042]");
}

TEST_CASE("attachments: the original mail as message/rfc822 and a file in base64 parse back") {
    OutgoingMail m;
    m.from = {"Support", "support@example.com"};
    m.to = {{"", "agent1@example.com"}};
    m.subject = "[Ticket#1043] New ticket";
    m.text = "Ticket 1043\n";
    m.message_id = makeMessageId("example.com", "t1043-n1");
    m.date = std::chrono::sys_days{std::chrono::year{2026} / 11 / 27};
    // A stored customer mail with bare LF line ends and an umlaut in 8bit.
    const std::string original = "From: alice@customer.example\nSubject: Drucker\nMessage-ID: <orig@x>\n"
                                 "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
                                 "Der Drucker druckt doppelt. Grüße\n";
    m.attachments.push_back({"original.eml", "message/rfc822", original});
    std::string binary = "\x89PNG\r\n\x1a\n";
    binary += std::string("\0\x01\xff", 3);
    m.attachments.push_back({"Übersicht März.png", "image/png", binary});
    const std::string raw = buildMessage(m);
    CHECK(raw.find("Content-Type: multipart/mixed;") != std::string::npos);
    CHECK(raw.find("Content-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"original.eml\"\r\n"
                   "Content-Transfer-Encoding: 8bit") != std::string::npos);
    CHECK(raw.find("Subject: Drucker\r\n") != std::string::npos);  // the attached mail now in CRLF
    CHECK(raw.find("filename*=UTF-8''%C3%9Cbersicht%20M%C3%A4rz.png") != std::string::npos);
    auto parsed = parseMail(raw);
    REQUIRE(parsed);
    CHECK(parsed->text.find("Ticket 1043") != std::string::npos);
    bool sawPng = false;
    for (const auto& a : parsed->attachments) {
        if (a.content_type != "image/png") continue;
        sawPng = true;
        CHECK(a.filename == "Übersicht März.png");
        CHECK(a.size == binary.size());
    }
    CHECK(sawPng);

    // A line over 998 bytes cannot go as 8bit: the mail goes as a base64 file instead.
    m.attachments = {{"original.eml", "message/rfc822", "Subject: x\n\n" + std::string(1200, 'a') + "\n"}};
    const std::string raw2 = buildMessage(m);
    CHECK(raw2.find("Content-Type: application/octet-stream") != std::string::npos);
    CHECK(raw2.find("Content-Transfer-Encoding: base64") != std::string::npos);
}
