// Encoded words, transfer encodings, charsets, RFC 2231 parameters.
#include <doctest/doctest.h>

#include "parsers/charset.hpp"
#include "parsers/decode.hpp"
#include "parsers/mime_entity.hpp"

using namespace deskgate;

TEST_CASE("RFC 2047 encoded words") {
    struct Case {
        const char* in;
        const char* out;
    };
    const Case cases[] = {
        {"=?ISO-8859-1?Q?Gr=FC=DFe?=", "Grüße"},
        {"=?iso-8859-1?q?this=20is=20some=20text?=", "this is some text"},
        {"=?UTF-8?B?w5xiZXJ3ZWlzdW5n?=", "Überweisung"},
        // RFC 2047 §8 examples: whitespace between adjacent words vanishes, not between word and text.
        {"(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)"},
        {"(=?ISO-8859-1?Q?a?=  \t =?ISO-8859-1?Q?b?=)", "(ab)"},
        {"(=?ISO-8859-1?Q?a?= b)", "(a b)"},
        {"(=?ISO-8859-1?Q?a_b?=)", "(a b)"},
        {"Re: =?utf-8?Q?Rechnung_M=C3=A4rz?= [Ticket#1042]", "Re: Rechnung März [Ticket#1042]"},
        // A multibyte character split across two words (common from Japanese MUAs).
        {"=?UTF-8?B?44GT44KT?= =?UTF-8?B?44Gr44Gh44Gv?=", "こんにちは"},
        {"=?UTF-8?B?4g==?= =?UTF-8?B?gqw=?=", "€"},
        {"=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=", "テスト"},
        {"=?ks_c_5601-1987?B?x9GxuQ==?=", "한국"},
        {"=?koi8-r?B?8NLJ18XU?=", "Привет"},
        {"=?windows-1252?Q?=93quoted=94?=", "“quoted”"},
        {"=?utf-8*de?Q?Gr=C3=BC=C3=9Fe?=", "Grüße"},  // RFC 2231 §5 language tag
        {"no words here", "no words here"},
        {"=?broken", "=?broken"},
        {"=?UTF-8?X?abc?=", "=?UTF-8?X?abc?="},
    };
    for (const auto& c : cases) {
        CAPTURE(c.in);
        CHECK(decodeEncodedWords(c.in, nullptr) == c.out);
    }
}

TEST_CASE("an unknown charset in an encoded word survives as text and is a defect") {
    std::vector<std::string> defects;
    std::string out = decodeEncodedWords("=?x-bogus-42?Q?abc?=", &defects);
    CHECK(out == "abc");
}

TEST_CASE("charset labels and aliases to UTF-8") {
    struct Case {
        std::string bytes;
        const char* charset;
        const char* out;
    };
    const Case cases[] = {
        {"Gr\xfc\xdf" "e", "iso-8859-1", "Grüße"},
        {"Gr\xfc\xdf" "e", "latin1", "Grüße"},
        {"\x93" "a" "\x94", "iso-8859-1", "“a”"},  // cp1252 quotes in "Latin-1" mail
        {"\xa4", "iso-8859-15", "€"},
        {"Gr\xc3\xbc\xc3\x9f" "e", "uft-8", "Grüße"},
        {"Gr\xc3\xbc\xc3\x9f" "e", "us-ascii", "Grüße"},  // mislabelled UTF-8
        {"Gr\xc3\xbc\xc3\x9f" "e", "", "Grüße"},
        {"\xf0\xd2\xc9\xd7\xc5\xd4", "koi8-r", "Привет"},
        {"\xc7\xd1\xb1\xb9", "ks_c_5601-1987", "한국"},
        {"+AGEAYgBj-", "utf-7", "abc"},
        {"\x83\x65\x83\x58\x83\x67", "shift_jis", "テスト"},
        {"\x1b$B%F%9%H\x1b(B", "iso-2022-jp", "テスト"},
        {"plain ascii", "x-unknown", "plain ascii"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.charset);
        std::vector<std::string> defects;
        CHECK(toUtf8(c.bytes, c.charset, &defects) == c.out);
    }
}

TEST_CASE("invalid bytes never leave invalid UTF-8 behind") {
    std::vector<std::string> defects;
    std::string out = toUtf8("abc\xff\xfe def", "utf-8", &defects);
    CHECK(isValidUtf8(out));
    CHECK_FALSE(defects.empty());
    CHECK(isValidUtf8(toUtf8("\x80\x81\x82", "bogus-charset", &defects)));
}

TEST_CASE("uchardet detects an unlabelled Latin-1 text") {
    std::string text = "Sehr geehrte Damen und Herren, die Gr\xf6\xdf" "e der Datei ist \xfc" "berschritten. M\xfc" "ller";
    CHECK(toUtf8(text, "", nullptr).find("Größe") != std::string::npos);
}

TEST_CASE("transfer encodings") {
    CHECK(decodeBase64("SGVsbG8sIFdvcmxkIQ==") == "Hello, World!");
    CHECK(decodeBase64("SGVs\nbG8s\r\nIFdv cmxkIQ") == "Hello, World!");  // line breaks, no padding
    CHECK(decodeQuotedPrintable("Gr=FC=DFe=\nweiter") == "Gr\xfc\xdf" "eweiter");
    CHECK(decodeQuotedPrintable("trailing   \nnext") == "trailing\nnext");  // RFC 2045 §6.7 (3)
    CHECK(decodeQuotedPrintable("a=ZZb") == "a=ZZb");                       // invalid escape kept
    CHECK(decodeQuotedPrintable("end=") == "end");
    CHECK(decodeUuencodeLines("#0V%T\n`\n") == "Cat");
}

TEST_CASE("RFC 2231 parameters") {
    struct Case {
        const char* value;
        const char* param;
        const char* expected;
    };
    const Case cases[] = {
        {"attachment; filename*0*=UTF-8''Rechnung_%C3%84%C3%96; filename*1*=%C3%9C_0.pdf", "filename", "Rechnung_ÄÖÜ_0.pdf"},
        {"attachment; filename*=iso-8859-1'de'Gr%FC%DFe.txt", "filename", "Grüße.txt"},
        {"attachment; filename*1=\"b.txt\"; filename*0=\"a\"", "filename", "ab.txt"},  // out of order
        {"attachment; filename=\"old.txt\"; filename*=UTF-8''new%20%E2%82%AC.txt", "filename", "new €.txt"},
        {"attachment; filename=\"=?UTF-8?B?w5xiZXJzaWNodC5wZGY=?=\"", "filename", "Übersicht.pdf"},  // RFC 2047 in a parameter
        {"text/plain; charset=\"utf-8\"; format=flowed", "charset", "utf-8"},
        {"attachment; filename=my file.pdf", "filename", "my file.pdf"},
        {"attachment; filename=\"quote\\\"d.txt\"", "filename", "quote\"d.txt"},
        {"multipart/mixed; BOUNDARY=\"=_abc\"", "boundary", "=_abc"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.value);
        Params params;
        parseParams(c.value, params, nullptr);
        const std::string* v = findParam(params, c.param);
        REQUIRE(v);
        CHECK(*v == c.expected);
    }
}
