// Attachment names: RFC 2231 / RFC 2047 parameters as macOS Mail, Outlook and Thunderbird
// write them (NFD accents, continuations, split escapes and base64 quanta), and a safe,
// unique name for every attachment (issue 14, classes 2 and 3).
#include <doctest/doctest.h>

#include "parsers/attachment_names.hpp"
#include "parsers/mime_entity.hpp"
#include "parsers/parsed_mail.hpp"

using namespace deskgate;

namespace {

// "Capture d’écran 2019-10-10 à 12.22.38.jpg" decomposed (NFD), as macOS names screenshots:
// e + U+0301 and a + U+0300.
const std::string kNfdName = "Capture d\u2019e\u0301cran 2019-10-10 a\u0300 12.22.38.jpg";

std::string mailWithPart(const std::string& part_headers) {
    return "From: a@example.com\nSubject: files\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n"
           "--b\nContent-Type: text/plain\n\nsee attached\n--b\n" +
           part_headers + "\nContent-Transfer-Encoding: base64\n\n/9j/4AAQ\n--b--\n";
}

}  // namespace

TEST_CASE("file names with decomposed accents in RFC 2231 and RFC 2047 parameters") {
    struct Case {
        const char* shape;
        std::string headers;
    };
    const Case cases[] = {
        {"macOS Mail: name as RFC 2047 Q, filename* as RFC 2231",
         "Content-Type: image/jpeg;\n\tx-unix-mode=0644;\n\tname=\"=?utf-8?Q?Capture_d=E2=80=99e=CC=81cran_2019-10-10_a=CC=80_12=2E22=2E38=2Ejpg?=\"\n"
         "Content-Disposition: inline;\n\tfilename*=utf-8''Capture%20d%E2%80%99e%CC%81cran%202019-10-10%20a%CC%80%2012.22.38.jpg"},
        {"RFC 2231 continuations, split between the bytes of U+0301",
         "Content-Type: image/jpeg;\n name*0*=utf-8''Capture%20d%E2%80%99e%CC;\n name*1*=%81cran%202019-10-10%20a%CC%80%2012.22.38.jpg"},
        {"RFC 2231 continuations, split inside a %XX escape",
         "Content-Type: image/jpeg;\n name*0*=utf-8''Capture%20d%E2%80%99e%C;\n name*1*=C%81cran%202019-10-10%20a%CC%80%2012.22.38.jpg"},
        {"RFC 2231: extended segment, then a plain quoted one (§4.1)",
         "Content-Type: image/jpeg;\n name*0*=utf-8''Capture%20d%E2%80%99e%CC%81cran%202019-10-10%20a%CC%80%2012.22.;\n name*1=\"38.jpg\""},
        {"RFC 2231 segments out of order",
         "Content-Type: image/jpeg;\n name*1*=%81cran%202019-10-10%20a%CC%80%2012.22.38.jpg;\n name*0*=utf-8''Capture%20d%E2%80%99e%CC"},
        {"RFC 2047 B, one word",
         "Content-Type: image/jpeg; name=\"=?UTF-8?B?Q2FwdHVyZSBk4oCZZcyBY3JhbiAyMDE5LTEwLTEwIGHMgCAxMi4yMi4zOC5qcGc=?=\""},
        {"RFC 2047 B, split at a quantum boundary",
         "Content-Type: image/jpeg; name=\"=?UTF-8?B?Q2FwdHVyZSBk4oCZZcyBY3JhbiAyMDE5LTEwLTEwIGHMgCAxMi4yMi4zOC5q?=\n"
         " =?UTF-8?B?cGc=?=\""},
        // The cut of issue 14 ("… 12.22.38.jp"): base64 split inside a 4-character quantum.
        {"RFC 2047 B, split inside a quantum",
         "Content-Type: image/jpeg; name=\"=?UTF-8?B?Q2FwdHVyZSBk4oCZZcyBY3JhbiAyMDE5LTEwLTEwIGHMgCAxMi4yMi4zOC5qc?=\n"
         " =?UTF-8?B?Gc=?=\""},
        {"RFC 2047 B, split inside a quantum and inside U+0301",
         "Content-Type: image/jpeg; name=\"=?UTF-8?B?Q2FwdHVyZSBk4oCZZc?= =?UTF-8?B?yBY3JhbiAyMDE5LTEwLTEwIGHMgCAxMi4yMi4zOC5qcGc=?=\""},
        {"RFC 2047 Q, split between the bytes of U+0300",
         "Content-Type: image/jpeg;\n name=\"=?utf-8?Q?Capture_d=E2=80=99e=CC=81cran_2019-10-10_a=CC?=\n =?utf-8?Q?=80_12.22.38.jpg?=\""},
    };
    for (const auto& c : cases) {
        CAPTURE(c.shape);
        auto m = parseMail(mailWithPart(c.headers));
        REQUIRE(m.has_value());
        REQUIRE(m->attachments.size() == 1);
        // NFD stays NFD: the name is the sender's bytes, not normalised (no cut, no change).
        CHECK(m->attachments[0].filename == kNfdName);
        CHECK(m->attachments[0].name_given);
        CHECK(m->defects.empty());
    }
}

TEST_CASE("a base64 word without padding before another word still decodes alone") {
    // "cGc" lacks its '=' but the next word starts a new quantum of its own text.
    Params params;
    parseParams("image/jpeg; name=\"=?UTF-8?B?YWJj?= =?UTF-8?B?ZGVm?=\"", params, nullptr);
    REQUIRE(findParam(params, "name"));
    CHECK(*findParam(params, "name") == "abcdef");
}

TEST_CASE("safe file names: path parts and control characters removed") {
    struct Case {
        const char* in;
        const char* out;
    };
    const Case cases[] = {
        {"Rechnung 2024.pdf", "Rechnung 2024.pdf"},
        {"../../etc/passwd", "passwd"},
        {"C:\\Users\\ksmith\\Desktop\\Angebot.docx", "Angebot.docx"},
        {"/tmp/x.sh", "x.sh"},
        {"bad\x01name\x7F.txt", "badname.txt"},
        {"tab\there.txt", "tabhere.txt"},
        {"line\r\nbreak.txt", "linebreak.txt"},
        {"c1\xC2\x85" "control.txt", "c1control.txt"},
        {"  spaced.txt  ", "spaced.txt"},
        {"..", ""},
        {"dir/", ""},
        {".htaccess", ".htaccess"},
        {"Grüße.txt", "Grüße.txt"},
    };
    for (const auto& c : cases) {
        std::string in = c.in;
        CAPTURE(in);
        CHECK(safeFileName(c.in) == c.out);
    }
    // 255 bytes at most, whole UTF-8 characters, the extension kept.
    std::string longName;
    for (int i = 0; i < 200; ++i) longName += "ä";
    std::string safe = safeFileName(longName + ".pdf");
    CHECK(safe.size() <= 255);
    CHECK(safe.ends_with("ä.pdf"));
}

TEST_CASE("every attachment has a unique name; whether the mail gave it is kept") {
    std::string raw =
        "From: a@example.com\nSubject: names\nContent-Type: multipart/mixed; boundary=o\n\n"
        "--o\nContent-Type: multipart/related; boundary=r\n\n"
        "--r\nContent-Type: text/html\n\n<p>hi <img src=\"cid:i1\"><img src=\"cid:i2\"></p>\n"
        "--r\nContent-Type: image/jpeg\nContent-ID: <i1>\nContent-Transfer-Encoding: base64\n\n/9j/4AAQ\n"
        "--r\nContent-Type: image/png\nContent-ID: <i2>\nContent-Transfer-Encoding: base64\n\niVBORw0K\n"
        "--r--\n"
        "--o\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\nAAEC\n"
        "--o\nContent-Type: application/pdf; name=\"report.pdf\"\n\n%PDF-1.4\n"
        "--o\nContent-Type: application/pdf\nContent-Disposition: attachment; filename=\"Report.PDF\"\n\n%PDF-1.5\n"
        "--o\nContent-Type: application/octet-stream; name=\"../../.ssh/authorized_keys\"\n\nssh-ed25519 AAAA\n"
        "--o\nContent-Type: application/octet-stream; name=\"..\"\n\nx\n"
        "--o\nContent-Type: message/rfc822\n\nFrom: b@example.com\n\nno subject\n"
        "--o--\n";
    auto m = parseMail(raw);
    REQUIRE(m.has_value());
    struct Expected {
        const char* name;
        bool given;
    };
    const Expected expected[] = {
        {"image-1.jpg", false}, {"image-2.png", false}, {"attachment-1.bin", false}, {"report.pdf", true},
        {"Report-2.PDF", true},  // unique ignoring case: case-insensitive file systems
        {"authorized_keys", true}, {"attachment-2.bin", false}, {"message-1.eml", false},
    };
    REQUIRE(m->attachments.size() == std::size(expected));
    for (std::size_t i = 0; i < std::size(expected); ++i) {
        CAPTURE(i);
        CHECK(m->attachments[i].filename == expected[i].name);
        CHECK(m->attachments[i].name_given == expected[i].given);
    }
}

TEST_CASE("bounce parts are attachments with names from their type") {
    std::string raw =
        "From: MAILER-DAEMON@mx.example.com\nSubject: Undelivered Mail Returned to Sender\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=R\n\n"
        "--R\nContent-Type: text/plain\n\nI'm sorry to have to inform you...\n"
        "--R\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.com\n\n"
        "Final-Recipient: rfc822; nobody@example.org\nAction: failed\nStatus: 5.1.1\n"
        "--R\nContent-Type: text/rfc822-headers\n\nFrom: support@example.com\nMessage-ID: <t-7@example.com>\n"
        "--R--\n";
    auto m = parseMail(raw);
    REQUIRE(m.has_value());
    CHECK(toString(m->kind) == std::string_view("bounce"));
    REQUIRE(m->attachments.size() == 2);
    CHECK(m->attachments[0].filename == "delivery-status.txt");
    CHECK(m->attachments[0].content_type == "message/delivery-status");
    CHECK_FALSE(m->attachments[0].name_given);
    CHECK(m->attachments[1].filename == "rfc822-headers.txt");
    REQUIRE(m->bounce);
    CHECK(m->bounce->original_message_id == "t-7@example.com");
}
