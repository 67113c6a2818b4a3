#include <doctest/doctest.h>

#include <random>

#include "templates/quoted_printable.hpp"
#include "tests/templates/mail_reader.hpp"

using namespace deskgate;

TEST_CASE("quoted-printable: table of encodings (RFC 2045 §6.7)") {
    struct Row {
        std::string in, out;
    };
    const Row rows[] = {
        {"plain", "plain\r\n"},
        {"a=b", "a=3Db\r\n"},
        {"Grüße", "Gr=C3=BC=C3=9Fe\r\n"},
        {"trailing space ", "trailing space=20\r\n"},
        {"trailing tab\t", "trailing tab=09\r\n"},
        {"From here", "=46rom here\r\n"},
        {".", "=2E\r\n"},
        {"a\r\nb\rc\n", "a\r\nb\r\nc\r\n"},
        {"", "\r\n"},
        {"x\n\n\n", "x\r\n"},
    };
    for (const Row& row : rows) {
        CAPTURE(row.in);
        CHECK(encodeQuotedPrintable(row.in) == row.out);
    }
}

TEST_CASE("quoted-printable: lines of at most 76 characters, soft breaks never inside =XX") {
    const std::string line(200, 'x');
    const std::string enc = encodeQuotedPrintable(line);
    for (const std::string& l : testmail::rawLines(enc)) CHECK(l.size() <= 76);
    CHECK(encodeQuotedPrintable(std::string(76, 'y')) == std::string(76, 'y') + "\r\n");
    CHECK(encodeQuotedPrintable(std::string(77, 'y')) == std::string(75, 'y') + "=\r\nyy\r\n");
    const std::string umlauts = encodeQuotedPrintable(std::string(60, 'a') + "äöüäöü");
    for (const std::string& l : testmail::rawLines(umlauts)) {
        CHECK(l.size() <= 76);
        const auto eq = l.rfind('=');
        if (eq != std::string::npos) CHECK((eq + 3 <= l.size() || eq + 1 == l.size()));
    }
}

TEST_CASE("quoted-printable: random text round-trips through mimetic's decoder and ours") {
    std::mt19937 rng(42);
    const std::string alphabet = std::string("abc XYZ=.\t\n\r-") + "ä€";
    for (int round = 0; round < 300; ++round) {
        std::string text;
        const int n = static_cast<int>(rng() % 300);
        for (int i = 0; i < n; ++i) text += alphabet[rng() % alphabet.size()];
        const std::string normal = normalizeLineEnds(text);
        const std::string enc = encodeQuotedPrintable(text);
        for (const std::string& l : testmail::rawLines(enc)) REQUIRE(l.size() <= 76);
        CHECK(testmail::qpDecode(enc) == normal);  // mimetic returns LF line ends
        CHECK(decodeQuotedPrintable(enc) == normal);
    }
}

TEST_CASE("quoted-printable: no line of the encoding starts with \"From \"") {
    for (std::size_t pad = 60; pad < 80; ++pad) {
        const std::string text = std::string(pad, 'x') + " From here on";
        const std::string enc = encodeQuotedPrintable(text);
        for (const std::string& l : testmail::rawLines(enc)) CHECK_FALSE(l.starts_with("From "));
        CHECK(decodeQuotedPrintable(enc) == text + "\n");
    }
}
