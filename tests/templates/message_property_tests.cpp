// Random values (control characters, quotes, non-ASCII, encoded-word look-alikes, long words)
// must never change the header structure of a built message.
#include <doctest/doctest.h>

#include <random>
#include <set>

#include "templates/header_encoding.hpp"
#include "templates/message_builder.hpp"
#include "tests/templates/mail_reader.hpp"

using namespace deskgate;

namespace {

std::string randomText(std::mt19937& rng, std::size_t maxLen) {
    static const std::vector<std::string> pieces = {
        "a", "Z", " ", "  ", "\r", "\n", "\r\n", "\t", "\"", "\\", ",", ";", ":", "<", ">", "@", "(", ")", ".",
        "=?", "?=", "=?UTF-8?B?QQ==?=", "ä", "ß", "€", "日本", "😀", "\x01", "\x7f", "\xff", "Bcc: x@y",
        "Subject: evil", "[Ticket#1042]", "verylongwordwithoutanyspacesatallthatkeepsgoingandgoingandgoingandgoing",
        std::string(1200, 'L'),
    };
    std::string out;
    const std::size_t n = rng() % maxLen;
    for (std::size_t i = 0; i < n; ++i) out += pieces[rng() % pieces.size()];
    return out;
}

std::string collapseSpaces(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
        out += c;
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out;
}

std::string asciiOnly(std::string s) {
    std::erase_if(s, [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
    return s;
}

}  // namespace

TEST_CASE("buildMessage: random values never add, drop or break a header field") {
    std::mt19937 rng(1042);
    const std::set<std::string> expected = {"Date", "From", "Reply-To", "To", "Cc", "Subject", "Message-ID",
                                            "In-Reply-To", "References", "Auto-Submitted",
                                            "X-Auto-Response-Suppress", "X-Deskgate-Loop", "X-Custom",
                                            "MIME-Version", "Content-Type", "Content-Transfer-Encoding"};
    for (int round = 0; round < 500; ++round) {
        OutgoingMail m;
        m.from = {randomText(rng, 8), "support@example.com"};
        m.to = {{randomText(rng, 8), "a@example.com"}, {randomText(rng, 8), "b" + asciiOnly(randomText(rng, 3)) + "@example.com"}};
        m.cc = {{randomText(rng, 8), "c@example.com"}};
        m.reply_to = Address{randomText(rng, 5), "support@example.com"};
        m.subject = "x" + randomText(rng, 30);
        m.text = randomText(rng, 60);
        // (Non-ASCII addr-specs pass through as they are, for SMTPUTF8; not tested here.)
        m.message_id = "id" + randomText(rng, 4) + "@example.com";
        m.in_reply_to = "p" + randomText(rng, 4) + "@example.com";
        m.references = {"r" + randomText(rng, 4) + "@example.com"};
        m.auto_submitted = "auto-replied";
        m.extra_headers = {{"X-Custom", randomText(rng, 10)}, {randomText(rng, 3) + ":", "x"}};
        const std::string raw = buildMessage(m);
        CAPTURE(raw);

        std::set<std::string> names;
        for (const auto& [name, value] : testmail::headers(raw)) {
            names.insert(name);
        }
        REQUIRE(names == expected);
        REQUIRE(testmail::headers(raw).size() == expected.size());
        for (const std::string& line : testmail::headerLines(raw)) {
            for (unsigned char c : line) REQUIRE((c >= 0x20 && c < 0x7f));  // 7-bit, no controls
            REQUIRE(line.size() <= 998);
            REQUIRE(line.find_first_not_of(' ') != std::string::npos);  // no white-space-only line
        }
        // Every line ends in CRLF, no bare CR or LF anywhere.
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] == '\n') REQUIRE((i > 0 && raw[i - 1] == '\r'));
            if (raw[i] == '\r') REQUIRE((i + 1 < raw.size() && raw[i + 1] == '\n'));
        }
        for (const std::string& line : testmail::rawLines(testmail::bodyOf(raw))) REQUIRE(line.size() <= 76);
        // The subject decodes to what was given (control characters as spaces, runs of spaces as one).
        REQUIRE(collapseSpaces(testmail::decodeWords(testmail::header(raw, "Subject"))) ==
                collapseSpaces(sanitizeHeaderValue(m.subject)));
    }
}
