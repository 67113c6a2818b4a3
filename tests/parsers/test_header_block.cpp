// Header blocks as relays leave them: Exchange's unindented continuation lines, and bodies
// that start without the blank separator line (issue 14, class 1).
#include <doctest/doctest.h>

#include "parsers/parsed_mail.hpp"

#include <algorithm>

using namespace deskgate;

namespace {

bool hasDefect(const ParsedMail& m, std::string_view text) {
    return std::any_of(m.defects.begin(), m.defects.end(), [&](const std::string& d) { return d.find(text) != std::string::npos; });
}

}  // namespace

TEST_CASE("unindented continuation lines inside the header block") {
    struct Case {
        const char* name;
        std::string raw;
        const char* received;  // unfolded first Received field ("" to skip)
        const char* body;
    };
    const Case cases[] = {
        {"Exchange-wrapped Received, then the real fields",
         "Received: from EX01.corp.example.com (10.1.2.3) by\n"
         "edge1.example.com (195.232.244.48) with Microsoft SMTP Server (TLS) id\n"
         " 15.0.1497.2; Tue, 8 Mar 2022 10:11:12 +0100\n"
         "From: \"Smith, Karoline, Example DE\" <karoline.smith@example.de>\n"
         "To: support@example.com\nSubject: Drucker im 2. OG\nMIME-Version: 1.0\n"
         "Content-Type: text/plain; charset=utf-8\n\nDer Drucker druckt nicht.\n",
         "from EX01.corp.example.com (10.1.2.3) by edge1.example.com (195.232.244.48) with Microsoft SMTP Server (TLS) id "
         "15.0.1497.2; Tue, 8 Mar 2022 10:11:12 +0100",
         "Der Drucker druckt nicht.\n"},
        {"two wrapped lines in a row, CRLF, X- field after",
         "Received: from mail.example.net (mail.example.net [192.0.2.7])\r\n"
         "by EX02.corp.example.com (10.1.2.4) with Microsoft SMTP Server\r\n"
         "(version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.1.2375.7\r\n"
         "X-MS-Exchange-Organization-AuthSource: EX02.corp.example.com\r\n"
         "From: Karoline Smith <karoline.smith@example.de>\r\nTo: support@example.com\r\nSubject: Drucker im 2. OG\r\n"
         "\r\nDer Drucker druckt nicht.\r\n",
         "from mail.example.net (mail.example.net [192.0.2.7]) by EX02.corp.example.com (10.1.2.4) with Microsoft SMTP "
         "Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.1.2375.7",
         "Der Drucker druckt nicht.\n"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.name);
        auto m = parseMail(c.raw);
        REQUIRE(m.has_value());
        CHECK(m->from.size() == 1);
        CHECK(m->from.front().address == "karoline.smith@example.de");
        CHECK(m->to.size() == 1);
        CHECK(m->subject == "Drucker im 2. OG");
        REQUIRE(m->header("Received"));
        CHECK(*m->header("Received") == c.received);
        CHECK(m->text == c.body);
        CHECK(hasDefect(*m, "header continuation line without leading whitespace"));
    }
}

TEST_CASE("a body that starts without the blank line still is the body") {
    struct Case {
        const char* name;
        std::string raw;
        const char* subject;
        const char* body;
    };
    const Case cases[] = {
        {"plain text right after the header",
         "From: a@example.com\nSubject: no separator\nHello team,\nthe printer is broken.\n\nRegards\n", "no separator",
         "Hello team,\nthe printer is broken.\n\nRegards\n"},
        // "Note: …" looks like a field, but is no header a mail program writes.
        {"body line that looks like a field",
         "From: a@example.com\nSubject: no separator\nHello team,\nNote: the printer is broken.\n", "no separator",
         "Hello team,\nNote: the printer is broken.\n"},
        // A quoted mail's header in the text: From and Subject are already in the header.
        {"text quoting another mail's header",
         "From: a@example.com\nSubject: no separator\nsee below\nFrom: b@example.com\nSubject: original\n", "no separator",
         "see below\nFrom: b@example.com\nSubject: original\n"},
        {"a MIME boundary right after the header",
         "From: a@example.com\nSubject: multipart\nContent-Type: multipart/mixed; boundary=\"b\"\n--b\n"
         "Content-Type: text/plain\n\ninside\n--b--\n",
         "multipart", "inside"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.name);
        auto m = parseMail(c.raw);
        REQUIRE(m.has_value());
        CHECK(m->subject == c.subject);
        CHECK(m->text == c.body);
        CHECK(hasDefect(*m, "missing blank line between header and body"));
    }
}
