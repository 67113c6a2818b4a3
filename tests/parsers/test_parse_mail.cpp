// Whole messages through parseMail: structure, body choice, attachments, limits.
#include <doctest/doctest.h>

#include "parsers/parsed_mail.hpp"

#include <algorithm>
#include <string>

using namespace deskgate;

namespace {

ParsedMail parse(const std::string& raw, const ParseOptions& options = {}) {
    auto r = parseMail(raw, options);
    REQUIRE_MESSAGE(r.has_value(), (r ? std::string() : r.error().code + ": " + r.error().message));
    return *r;
}

}  // namespace

TEST_CASE("headers of a plain German mail (CRLF, QP, Latin-1, encoded words)") {
    std::string raw =
        "Return-Path: <hans@example.de>\r\n"
        "From: =?ISO-8859-1?Q?Hans_M=FCller?= <hans@example.de>\r\n"
        "To: \"Support\" <support@example.com>, ops@example.com\r\n"
        "Cc: Jane <jane@example.org>\r\n"
        "Reply-To: replies@example.de\r\n"
        "Subject: AW: [Ticket#1042] =?ISO-8859-1?Q?Drucker_gest=F6rt?=\r\n"
        "Date: Tue, 1 Mar 2022 09:05:00 +0100\r\n"
        "Message-ID: <abc.123@example.de>\r\n"
        "In-Reply-To: <ticket-1042@helpdesk.example.com>\r\n"
        "References: <first@x.example>\r\n"
        " <ticket-1042@helpdesk.example.com>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=ISO-8859-1\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n"
        "\r\n"
        "Der Drucker im 2. Stock ist gest=F6rt.\r\n"
        "Gr=FC=DFe\r\n";
    ParsedMail m = parse(raw);
    CHECK(m.from == std::vector<Address>{{"Hans Müller", "hans@example.de"}});
    CHECK(m.to == std::vector<Address>{{"Support", "support@example.com"}, {"", "ops@example.com"}});
    CHECK(m.cc == std::vector<Address>{{"Jane", "jane@example.org"}});
    CHECK(m.reply_to == std::vector<Address>{{"", "replies@example.de"}});
    CHECK(m.subject == "AW: [Ticket#1042] Drucker gestört");
    CHECK(m.token == 1042u);
    CHECK(m.date == "2022-03-01T09:05:00+01:00");
    CHECK(m.message_id == "abc.123@example.de");
    CHECK(m.in_reply_to == "ticket-1042@helpdesk.example.com");
    CHECK(m.references == std::vector<std::string>{"first@x.example", "ticket-1042@helpdesk.example.com"});
    CHECK(m.text == "Der Drucker im 2. Stock ist gestört.\nGrüße\n");
    CHECK(toString(m.kind) == std::string_view("normal"));
    REQUIRE(m.header("subject"));
    CHECK(*m.header("SUBJECT") == "AW: [Ticket#1042] Drucker gestört");
    CHECK(*m.header("References") == "<first@x.example> <ticket-1042@helpdesk.example.com>");
    CHECK(m.headers.size() == 13);
    CHECK(m.defects.empty());
}

TEST_CASE("multipart/alternative prefers text/plain; HTML-only mail becomes text") {
    std::string alt =
        "From: a@x.com\nSubject: alt\nContent-Type: multipart/alternative; boundary=\"b1\"\n\n"
        "preamble\n--b1\nContent-Type: text/plain; charset=utf-8\n\nPlain version\n"
        "--b1\nContent-Type: text/html; charset=utf-8\n\n<p>HTML version</p>\n--b1--\nepilogue\n";
    CHECK(parse(alt).text == "Plain version");

    std::string html =
        "From: a@x.com\nSubject: html\nContent-Type: text/html; charset=windows-1252\n"
        "Content-Transfer-Encoding: quoted-printable\n\n"
        "<html><head><style>p{color:red}</style><title>T</title></head><body>"
        "<p>Hallo =93Welt=94</p><p>Zweiter<br>Absatz</p>"
        "<ul><li>eins</li><li>zwei</li></ul>"
        "<p>Siehe <a href=3D\"https://example.com/faq\">FAQ</a> oder <a href=3D\"mailto:s@x.com\">s@x.com</a></p>"
        "<table><tr><td>A</td><td>B</td></tr><tr><td>1</td><td>2</td></tr></table>"
        "<script>alert(1)</script></body></html>\n";
    CHECK(parse(html).text ==
          "Hallo “Welt”\n\nZweiter\nAbsatz\n\n- eins\n- zwei\n\nSiehe FAQ <https://example.com/faq> oder s@x.com\n\n"
          "A | B\n1 | 2");
}

TEST_CASE("attachments: names (RFC 2047/2231), types, sizes, SHA-256, inline, Content-ID") {
    std::string raw =
        "From: a@x.com\nSubject: files\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=outer\n\n"
        "--outer\nContent-Type: multipart/related; boundary=rel\n\n"
        "--rel\nContent-Type: text/html; charset=utf-8\n\n<p>See <img src=\"cid:logo@x\" alt=\"logo\"></p>\n"
        "--rel\nContent-Type: image/png\nContent-ID: <logo@x>\nContent-Transfer-Encoding: base64\n\naGVsbG8=\n"
        "--rel--\n"
        "--outer\nContent-Type: application/pdf; name=\"=?UTF-8?B?UmVjaG51bmfDpC5wZGY=?=\"\n"
        "Content-Disposition: attachment;\n filename*0*=UTF-8''Rechnung_%C3%84%C3%96;\n filename*1*=%C3%9C_0.pdf\n"
        "Content-Transfer-Encoding: base64\n\nSGVsbG8sIFdvcmxkIQ==\n"
        "--outer\nContent-Type: text/plain; name=notes.txt\nContent-Disposition: attachment\n\nfile body\n"
        "--outer--\n";
    ParsedMail m = parse(raw);
    CHECK(m.text == "See logo");
    REQUIRE(m.attachments.size() == 3);
    CHECK(m.attachments[0].content_type == "image/png");
    CHECK(m.attachments[0].size == 5);
    CHECK(m.attachments[0].sha256 == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    CHECK(m.attachments[0].is_inline);
    CHECK(m.attachments[0].content_id == "logo@x");
    CHECK(m.attachments[1].filename == "Rechnung_ÄÖÜ_0.pdf");
    CHECK(m.attachments[1].content_type == "application/pdf");
    CHECK(m.attachments[1].size == 13);
    CHECK(m.attachments[1].sha256 == "dffd6021bb2bd5b0af676290809ec3a53191dd81c7f70a4b28688a362182986f");
    CHECK_FALSE(m.attachments[1].is_inline);
    CHECK(m.attachments[2].filename == "notes.txt");
    CHECK(m.attachments[2].size == 9);
}

TEST_CASE("attached message/rfc822 and uuencoded files") {
    std::string raw =
        "From: a@x.com\nSubject: fwd\nContent-Type: multipart/mixed; boundary=b\n\n"
        "--b\nContent-Type: text/plain\n\nsee attached\n\nbegin 644 cat.txt\n#0V%T\n`\nend\nafter\n"
        "--b\nContent-Type: message/rfc822\n\nFrom: c@y.com\nSubject: =?UTF-8?Q?Original_=C3=BC?=\n\nInner body\n"
        "--b--\n";
    ParsedMail m = parse(raw);
    CHECK(m.text == "see attached\n\nafter");
    REQUIRE(m.attachments.size() == 2);
    CHECK(m.attachments[0].filename == "cat.txt");
    CHECK(m.attachments[0].size == 3);
    CHECK(m.attachments[1].content_type == "message/rfc822");
    CHECK(m.attachments[1].filename == "Original ü.eml");
}

TEST_CASE("format=flowed is unwrapped (RFC 3676)") {
    std::string raw =
        "From: a@x.com\nContent-Type: text/plain; charset=utf-8; format=flowed; delsp=no\n\n"
        "This is a long \nparagraph that was \nwrapped.\n\n> quoted \n> line\n-- \nsig\n";
    CHECK(parse(raw).text == "This is a long paragraph that was wrapped.\n\n> quoted line\n-- \nsig\n");
    std::string delsp = "From: a@x.com\nContent-Type: text/plain; format=flowed; delsp=yes\n\nab \ncd\n";
    CHECK(parse(delsp).text == "abcd\n");
}

TEST_CASE("defects: what was wrong but survived") {
    struct Case {
        std::string raw;
        const char* defect;
    };
    const Case cases[] = {
        {"From: a@x.com\nContent-Type: multipart/mixed; boundary=zz\n\n--zz\n\ntext\n", "missing closing boundary (truncated multipart)"},
        {"From: a@x.com\nContent-Type: multipart/mixed\n\nno boundary\n", "multipart without boundary parameter"},
        {"From: a@x.com\nDate: someday\n\nbody\n", "unparseable Date: someday"},
        {"From: M\xfcller <m@x.de>\nSubject: Gr\xfc\xdf" "e\n\nbody\n", "8-bit bytes in a header field"},
        {"From: a@x.com\nContent-Type: text/plain; charset=utf-8\n\nbad \xff byte\n", "invalid UTF-8 in a part labelled utf-8"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.defect);
        ParsedMail m = parse(c.raw);
        CHECK(std::find(m.defects.begin(), m.defects.end(), c.defect) != m.defects.end());
    }
    ParsedMail eight = parse(cases[3].raw);
    CHECK(eight.subject == "Grüße");
    CHECK(eight.from.front().name == "Müller");
}

TEST_CASE("LF, CRLF and bare CR line ends give the same result") {
    std::string lf = "From: a@x.com\nSubject: s\n\nline1\nline2\n";
    std::string crlf = "From: a@x.com\r\nSubject: s\r\n\r\nline1\r\nline2\r\n";
    std::string cr = "From: a@x.com\rSubject: s\r\rline1\rline2\r";
    CHECK(parse(lf).text == parse(crlf).text);
    CHECK(parse(lf).text == parse(cr).text);
    CHECK(parse(cr).subject == "s");
}

TEST_CASE("limits give clear errors") {
    struct Case {
        std::string raw;
        Limits limits;
        const char* code;
    };
    auto nested = [](int depth) {
        std::string s = "From: a@x.com\n";
        for (int i = 0; i < depth; ++i) s += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\n\n--b" + std::to_string(i) + "\n";
        return s + "\ninner\n";
    };
    std::string many_parts = "From: a@x.com\nContent-Type: multipart/mixed; boundary=b\n\n";
    for (int i = 0; i < 20; ++i) many_parts += "--b\n\npart\n";
    std::string many_headers;
    for (int i = 0; i < 30; ++i) many_headers += "X-H" + std::to_string(i) + ": v\n";
    const Case cases[] = {
        {"From: a@x.com\n\n" + std::string(2000, 'a'), Limits{.max_size = 1000}, "too_large"},
        {nested(30), Limits{}, "too_deep"},
        {many_parts, Limits{.max_parts = 10}, "too_many_parts"},
        {many_headers + "\nbody", Limits{.max_headers = 20}, "too_many_headers"},
        {"From: a@x.com\n\n" + std::string(5000, 'a'), Limits{.max_line_length = 1000}, "line_too_long"},
        {"", Limits{}, "empty"},
        {"\r\n\r\n", Limits{}, "empty"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.code);
        auto r = parseMail(c.raw, ParseOptions{.limits = c.limits});
        REQUIRE_FALSE(r.has_value());
        CHECK(r.error().code == c.code);
        CHECK_FALSE(r.error().message.empty());
    }
}

TEST_CASE("broken MIME still yields the text") {
    // No header/body separator (mime4j's missing-header-separator case).
    ParsedMail a = parse("From: a@x.com\nSubject: s\nthis line is body\n");
    CHECK(a.text == "this line is body\n");
    // Boundary announced but never used: the body is kept as text.
    ParsedMail b = parse("From: a@x.com\nContent-Type: multipart/mixed; boundary=nope\n\njust text\n");
    CHECK(b.text == "just text\n");
    // No headers at all.
    ParsedMail c = parse("\nonly a body\n");
    CHECK(c.text == "only a body\n");
    // A mbox "From " line in front.
    ParsedMail d = parse("From sender@x.com Mon Jan  1 00:00:00 2024\nFrom: s@x.com\nSubject: mbox\n\nbody\n");
    CHECK(d.subject == "mbox");
}

TEST_CASE("lenient MIME seen in real mail") {
    // Apache James: a parameter continued on the next line without folding whitespace.
    ParsedMail a = parse(
        "From: a@x.com\nContent-Type: multipart/alternative;\nboundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nhello\n--b--\n");
    CHECK(a.text == "hello");
    // A boundary parameter ending in spaces is matched as written (mime4j weird-boundary).
    ParsedMail b = parse("From: a@x.com\nContent-Type: multipart/mixed; boundary=\"ab  \"\n\n--ab  \n\ntext\n--ab \nstill body\n--ab  --\n");
    CHECK(b.text == "text\n--ab \nstill body");
    // message/rfc822 encoded in base64 with CRLF inside.
    ParsedMail c = parse("From: a@x.com\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
                         "U3ViamVjdDogaW5uZXINCg0KSW5uZXIgYm9keQ0K\n");
    REQUIRE(c.attachments.size() == 1);
    CHECK(c.attachments[0].filename == "inner.eml");
    // ISO-2022-JP label on 8-bit UTF-8 text.
    ParsedMail d = parse("From: a@x.com\nContent-Type: text/plain; charset=iso-2022-jp\nContent-Transfer-Encoding: 8bit\n\n"
                         "\xe3\x83\x86\xe3\x82\xb9\xe3\x83\x88\n");
    CHECK(d.text == "テスト\n");
}
