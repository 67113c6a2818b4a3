#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "templates/message_builder.hpp"
#include "tests/templates/mail_reader.hpp"

using namespace deskgate;
using namespace std::chrono;

namespace {

OutgoingMail baseMail() {
    OutgoingMail m;
    m.from = {"Example Support", "support@example.com"};
    m.to = {{"Anna Schmidt", "anna@customer.example"}};
    m.subject = "[Ticket#1042] Printer on fire";
    m.text = "Hello Anna,\nwe are on it.\n";
    m.message_id = "dg.t1042.abc@example.com";
    m.date = sys_days{2026y / November / 27} + 16h + 23min + 2s;
    return m;
}

std::set<std::string> fieldNames(const std::string& raw) {
    std::set<std::string> names;
    for (const auto& [n, v] : testmail::headers(raw)) names.insert(n);
    return names;
}

void checkLineLengths(const std::string& raw, std::size_t softLimit) {
    for (const std::string& line : testmail::headerLines(raw)) {
        INFO("line: " << line);
        CHECK(line.size() <= softLimit);
    }
    for (const std::string& line : testmail::rawLines(raw)) CHECK(line.size() <= 998);
}

}  // namespace

TEST_CASE("buildMessage: the header fields of a plain automatic reply") {
    OutgoingMail m = baseMail();
    m.in_reply_to = "CAF1234@mail.customer.example";
    m.references = {"CAF1234@mail.customer.example"};
    m.auto_submitted = "auto-replied";
    const std::string raw = buildMessage(m);

    CHECK(raw.find('\n') == raw.find("\r\n") + 1);  // CRLF line ends
    CHECK(raw.find("\n") != std::string::npos);
    for (std::size_t i = 0; i < raw.size(); ++i)
        if (raw[i] == '\n') REQUIRE(raw[i - 1] == '\r');

    CHECK(testmail::header(raw, "Date") == "Fri, 27 Nov 2026 16:23:02 +0000");
    CHECK(testmail::header(raw, "From") == "Example Support <support@example.com>");
    CHECK(testmail::header(raw, "To") == "Anna Schmidt <anna@customer.example>");
    CHECK(testmail::header(raw, "Subject") == "[Ticket#1042] Printer on fire");
    CHECK(testmail::header(raw, "Message-ID") == "<dg.t1042.abc@example.com>");
    CHECK(testmail::header(raw, "In-Reply-To") == "<CAF1234@mail.customer.example>");
    CHECK(testmail::header(raw, "References") == "<CAF1234@mail.customer.example>");
    CHECK(testmail::header(raw, "Auto-Submitted") == "auto-replied");
    CHECK(testmail::header(raw, "X-Auto-Response-Suppress") == "All");
    CHECK(testmail::header(raw, "X-Deskgate-Loop") == "support@example.com");
    CHECK(testmail::header(raw, "MIME-Version") == "1.0");
    CHECK(testmail::header(raw, "Content-Type") == "text/plain; charset=utf-8");
    CHECK(testmail::header(raw, "Content-Transfer-Encoding") == "quoted-printable");
    CHECK(testmail::header(raw, "Cc") == "<absent>");
    CHECK(testmail::header(raw, "Reply-To") == "<absent>");
    CHECK(testmail::bodyOf(raw) == "Hello Anna,\r\nwe are on it.\r\n");
}

TEST_CASE("buildMessage: relayed agent replies carry no automatic headers") {
    OutgoingMail m = baseMail();
    m.reply_to = Address{"", "support@example.com"};
    const std::string raw = buildMessage(m);
    CHECK(testmail::header(raw, "Auto-Submitted") == "<absent>");
    CHECK(testmail::header(raw, "X-Auto-Response-Suppress") == "<absent>");
    CHECK(testmail::header(raw, "X-Deskgate-Loop") == "<absent>");
    CHECK(testmail::header(raw, "Reply-To") == "support@example.com");
    CHECK(testmail::header(raw, "In-Reply-To") == "<absent>");
    CHECK(testmail::header(raw, "References") == "<absent>");
}

TEST_CASE("buildMessage: German umlauts in subject, names and body survive a decode") {
    OutgoingMail m = baseMail();
    m.from = {"Kundendienst Müller & Söhne", "support@example.com"};
    m.to = {{"Jürgen Weiß", "juergen@customer.example"}, {"Zoë", "zoe@customer.example"}};
    m.subject = "[Ticket#1042] Eingangsbestätigung: Drucker spuckt Grüße aus – größer als gedacht";
    m.text = "Guten Tag Jürgen Weiß,\n\nvielen Dank für Ihre Nachricht. Schöne Grüße, Ihr Team.\n"
             "Eine lange Zeile mit Umlauten äöü ÄÖÜ ß, die weit über sechsundsiebzig Zeichen hinausgeht und "
             "daher weich umbrochen werden muss.\n";
    m.auto_submitted = "auto-replied";
    const std::string raw = buildMessage(m);

    // Headers are 7-bit: everything non-ASCII is in encoded words.
    for (const std::string& line : testmail::headerLines(raw))
        for (unsigned char c : line) REQUIRE(c < 0x80);
    checkLineLengths(raw, 78);

    CHECK(testmail::decodeWords(testmail::header(raw, "Subject")) == m.subject);
    CHECK(testmail::header(raw, "Subject").starts_with("[Ticket#1042] "));  // the token stays readable
    CHECK(testmail::decodeWords(testmail::header(raw, "From")) == "Kundendienst Müller & Söhne <support@example.com>");
    CHECK(testmail::decodeWords(testmail::header(raw, "To")) ==
          "Jürgen Weiß <juergen@customer.example>, Zoë <zoe@customer.example>");

    const auto parts = testmail::parts(raw);
    REQUIRE(parts.size() == 1);
    CHECK(parts[0].content_type == "text/plain");
    CHECK(parts[0].text == m.text);  // mimetic returns LF line ends
    for (const std::string& line : testmail::rawLines(testmail::bodyOf(raw))) CHECK(line.size() <= 76);
}

TEST_CASE("buildMessage: no header can be injected through any value") {
    OutgoingMail m = baseMail();
    m.from = {"Evil\r\nBcc: x@y", "support@example.com"};
    m.to = {{"Evil\r\nBcc: x@y", "anna@customer.example\r\nBcc: x@y"}, {"Evil\nBcc: x@y", "b@c.example"}};
    m.cc = {{"Evil\rBcc: x@y", "c@d.example"}};
    m.reply_to = Address{"Evil\r\n\r\nbody", "r@e.example"};
    m.subject = "Evil\r\nBcc: x@y";
    m.message_id = "id@x\r\nBcc: x@y";
    m.in_reply_to = "p@x>\r\nBcc: x@y";
    m.references = {"a@x\r\nBcc: x@y"};
    m.auto_submitted = "auto-replied\r\nBcc: x@y";
    m.extra_headers = {{"X-Ok", "fine\r\nBcc: x@y"}, {"X-Bad\r\nBcc", "x@y"}, {"Bcc", "x@y"}, {"From", "x@y"}};
    const std::string raw = buildMessage(m);

    for (const std::string& line : testmail::headerLines(raw)) {
        INFO(line);
        CHECK_FALSE(line.starts_with("Bcc"));
    }
    const std::set<std::string> expected = {"Date", "From", "Reply-To", "To", "Cc", "Subject", "Message-ID",
                                            "In-Reply-To", "References", "Auto-Submitted",
                                            "X-Auto-Response-Suppress", "X-Deskgate-Loop", "X-Ok", "MIME-Version",
                                            "Content-Type", "Content-Transfer-Encoding"};
    CHECK(fieldNames(raw) == expected);
    CHECK(testmail::values(raw, "From").size() == 1);
    CHECK(testmail::decodeWords(testmail::header(raw, "Subject")) == "Evil Bcc: x@y");
    CHECK(testmail::header(raw, "To") == "\"Evil Bcc: x@y\" <anna@customer.exampleBccx@y>, \"Evil Bcc: x@y\" <b@c.example>");
    // Every field name is a proper RFC 5322 name and the body starts after one empty line.
    for (const auto& [name, value] : testmail::headers(raw)) {
        CHECK_FALSE(name.empty());
        CHECK(name.find(' ') == std::string::npos);
    }
    CHECK(testmail::bodyOf(raw) == "Hello Anna,\r\nwe are on it.\r\n");
}

TEST_CASE("buildMessage: display names are quoted or encoded as RFC 5322 requires") {
    struct Row {
        std::string name, expected;
    };
    const Row rows[] = {
        {"Anna Schmidt", "Anna Schmidt <a@x.example>"},
        {"", "a@x.example"},
        {"a@x.example", "a@x.example"},
        {"Schmidt, Anna", "\"Schmidt, Anna\" <a@x.example>"},
        {"Anna \"Annie\" Schmidt", "\"Anna \\\"Annie\\\" Schmidt\" <a@x.example>"},
        {"Back\\slash", "\"Back\\\\slash\" <a@x.example>"},
        {"Dr. Anna", "\"Dr. Anna\" <a@x.example>"},
        {"  lots   of   space  ", "lots of space <a@x.example>"},
        {"=?UTF-8?B?Zm9v?=", "=?UTF-8?B?PT9VVEYtOD9CP1ptOXY/PQ==?= <a@x.example>"},
    };
    for (const Row& row : rows) {
        CAPTURE(row.name);
        CHECK(formatAddressField("To", {{row.name, "a@x.example"}}) == "To: " + row.expected);
    }
    CHECK(testmail::decodeWords(formatAddressField("To", {{"Jürgen", "j@x.example"}}).substr(4)) == "Jürgen <j@x.example>");
}

TEST_CASE("buildMessage: long subjects fold at 78 characters and decode to the original") {
    const std::string subjects[] = {
        "[Ticket#1042] " + std::string(
            "The printer on the third floor prints every page twice and then jams, which is quite annoying for everyone "
            "who works there and needs their documents before the meeting starts at ten"),
        "[Ticket#1042] Größere Störung: Die Drucker im dritten Stock drucken jede Seite doppelt aus und danach "
        "staut sich das Papier, was für alle ärgerlich ist, die ihre Unterlagen vor der Besprechung brauchen",
        "[Ticket#1042] ÄÖÜäöüßÄÖÜäöüßÄÖÜäöüßÄÖÜäöüßÄÖÜäöüßÄÖÜäöüßÄÖÜäöüßÄÖÜäöüßÄÖÜäöüßÄÖÜäöüß",
        "[Ticket#1042] https://example.com/a/very/long/url/that/has/no/spaces/at/all/and/goes/on/and/on/index.html?q=1",
        "日本語の件名はとても長くなることがあります。日本語の件名はとても長くなることがあります。日本語の件名はとても長くなることがあります。",
        "Short",
        "",
        "[Ticket#1042] a bb ccc dddd 😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀 x 😀",
        "[Ticket#1042] xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx 😀😀 y",
    };
    for (const std::string& subject : subjects) {
        CAPTURE(subject);
        OutgoingMail m = baseMail();
        m.subject = subject;
        const std::string raw = buildMessage(m);
        checkLineLengths(raw, 78);
        CHECK(testmail::decodeWords(testmail::header(raw, "Subject")) == subject);
        for (const std::string& line : testmail::headerLines(raw)) {
            // Encoded words are at most 75 characters (RFC 2047 §2).
            for (std::size_t p = line.find("=?"); p != std::string::npos; p = line.find("=?", p + 2)) {
                const auto e = line.find("?=", p + 10);
                REQUIRE(e != std::string::npos);
                CHECK(e + 2 - p <= 75);
                p = e;
            }
        }
    }
}

TEST_CASE("buildMessage: References keep the thread root and the most recent ids") {
    OutgoingMail m = baseMail();
    for (int i = 0; i < 30; ++i) m.references.push_back("id" + std::to_string(i) + "@x.example");
    m.in_reply_to = "parent@x.example";
    const std::string raw = buildMessage(m);
    checkLineLengths(raw, 78);
    const std::string refs = testmail::header(raw, "References");
    std::vector<std::string> ids;
    for (std::size_t p = refs.find('<'); p != std::string::npos; p = refs.find('<', p + 1))
        ids.push_back(refs.substr(p + 1, refs.find('>', p) - p - 1));
    REQUIRE(ids.size() == kMaxReferences);
    CHECK(ids.front() == "id0@x.example");
    CHECK(ids[1] == "id12@x.example");
    CHECK(ids.back() == "parent@x.example");
    CHECK(testmail::headerLines(raw).size() > testmail::headers(raw).size());  // folded
}

TEST_CASE("buildMessage: an HTML alternative makes multipart/alternative") {
    OutgoingMail m = baseMail();
    m.text = "Grüße\n";
    m.html = "<p>Grüße &amp; mehr</p>\n";
    const std::string raw = buildMessage(m);
    CHECK(testmail::header(raw, "Content-Type").starts_with("multipart/alternative; boundary=\"=_deskgate_"));
    const auto parts = testmail::parts(raw);
    REQUIRE(parts.size() == 2);
    CHECK(parts[0].content_type == "text/plain");
    CHECK(parts[0].text == "Grüße\n");
    CHECK(parts[1].content_type == "text/html");
    CHECK(parts[1].text == "<p>Grüße &amp; mehr</p>\n");
    checkLineLengths(raw, 78);
}

TEST_CASE("formatDate follows RFC 5322 §3.3") {
    CHECK(formatDate(sys_days{2026y / November / 27} + 16h + 23min + 2s) == "Fri, 27 Nov 2026 16:23:02 +0000");
    CHECK(formatDate(sys_days{2024y / February / 29}) == "Thu, 29 Feb 2024 00:00:00 +0000");
    CHECK(formatDate(sys_days{1970y / January / 1} + 23h + 59min + 59s + 999ms) == "Thu, 1 Jan 1970 23:59:59 +0000");
}

TEST_CASE("makeMessageId: deterministic per seed, distinct across seeds, a valid msg-id") {
    const std::string a = makeMessageId("Example.COM", "t1042-o17");
    CHECK(a == makeMessageId("example.com", "t1042-o17"));
    CHECK(a != makeMessageId("example.com", "t1042-o18"));
    CHECK(a.starts_with("dg.t1042-o17."));
    CHECK(a.ends_with("@example.com"));
    CHECK(makeMessageId("example.com", "a b") != makeMessageId("example.com", "a  b"));
    const std::string odd = makeMessageId("\r\nexa mple.com.", "<>\r\n..");
    CHECK(odd.ends_with("@example.com"));
    for (char c : odd) {
        const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '@' || c == '-' || c == '_';
        CHECK(ok);
    }
    CHECK(odd.find("..") == std::string::npos);
    CHECK(makeMessageId("", "x").ends_with("@deskgate.invalid"));
}
