#include <doctest/doctest.h>

#include "templates/header_encoding.hpp"
#include "tests/templates/mail_reader.hpp"

using namespace deskgate;

TEST_CASE("sanitizeHeaderValue: controls become spaces, ill-formed UTF-8 becomes U+FFFD") {
    CHECK(sanitizeHeaderValue("a\r\nBcc: x") == "a  Bcc: x");
    CHECK(sanitizeHeaderValue("tab\there\x7f") == "tab here ");
    CHECK(sanitizeHeaderValue("Gr\xfc\xdf") == "Gr\xEF\xBF\xBD\xEF\xBF\xBD");
    CHECK(sanitizeHeaderValue("Grüße") == "Grüße");
}

TEST_CASE("encodeHeaderText: ASCII as it is, anything else as encoded words of at most 75 characters") {
    CHECK(encodeHeaderText("Printer on fire") == "Printer on fire");
    CHECK(encodeHeaderText("Grüße") == "=?UTF-8?B?R3LDvMOfZQ==?=");
    const std::string longText(100, 'x');
    CHECK(encodeHeaderText(longText + "ä").find("\r\n ") != std::string::npos);
    for (const std::string& in : {std::string("Grüße aus Köln"), std::string(200, 'x') + "ä",
                                 std::string("日本語の件名はとても長くなることがあります。日本語の件名はとても長くなることがあります。"),
                                 std::string("\xff\xfe\xfd broken"), std::string(80, '\x80')}) {
        CAPTURE(in);
        const std::string enc = encodeHeaderText(in);
        for (const std::string& line : testmail::rawLines(enc + "\r\n")) {
            std::string word = line.starts_with(" ") ? line.substr(1) : line;
            CHECK(word.size() <= 75);
        }
        std::string unfolded;
        for (char c : enc)
            if (c != '\r' && c != '\n') unfolded += c;
        CHECK(testmail::decodeWords(unfolded) == sanitizeHeaderValue(in));
    }
}

TEST_CASE("formatUnstructuredField: plain words stay readable, encoded runs include their inner spaces") {
    CHECK(formatUnstructuredField("Subject", "[Ticket#1042] Printer") == "Subject: [Ticket#1042] Printer");
    CHECK(formatUnstructuredField("Subject", "[Ticket#1042] Grüße aus Köln") ==
          "Subject: [Ticket#1042] =?UTF-8?B?R3LDvMOfZQ==?= aus =?UTF-8?B?S8O2bG4=?=");
    CHECK(formatUnstructuredField("Subject", "Grüße Köln") == "Subject: =?UTF-8?B?R3LDvMOfZSBLw7Zsbg==?=");
    CHECK(formatUnstructuredField("Subject", "a =?x?B?QQ==?= b") == "Subject: a =?UTF-8?B?PT94P0I/UVE9PT89?= b");
}
