// `deskgate parse --json` end to end: the JSON has exactly ParsedMail's field names.
#include <doctest/doctest.h>

#include "parsers/parsed_mail.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <sys/wait.h>

namespace {

std::string run(const std::string& command, int& status) {
    std::string out;
    FILE* pipe = popen(command.c_str(), "r");
    REQUIRE(pipe);
    std::array<char, 4096> buf{};
    while (std::size_t n = std::fread(buf.data(), 1, buf.size(), pipe)) out.append(buf.data(), n);
    status = pclose(pipe);
    return out;
}

}  // namespace

TEST_CASE("deskgate parse --json prints ParsedMail's fields") {
    const std::filesystem::path binary = DESKGATE_BINARY;
    if (!std::filesystem::exists(binary)) {
        // parsers_tests does not build the daemon; run `cmake --build … --target deskgate` first.
        MESSAGE("SKIPPED: " << binary << " not built; deskgate parse was not tested");
        return;
    }
    const auto dir = std::filesystem::temp_directory_path() / "deskgate-parse-test";
    std::filesystem::create_directories(dir);
    const auto mail = dir / "mail.eml";
    std::ofstream(mail, std::ios::binary)
        << "From: =?UTF-8?Q?J=C3=BCrgen?= <j@example.de>\r\nTo: support@example.com\r\n"
           "Subject: AW: [Ticket#1042] Drucker\r\nMessage-ID: <m1@example.de>\r\nAuto-Submitted: auto-replied\r\n"
           "Date: Tue, 1 Mar 2022 09:05:00 +0100\r\n\r\nGeht wieder.\r\n\r\nAm 01.03.2022 um 08:00 schrieb Support:\r\n> Bitte testen.\r\n";
    const auto empty = dir / "empty.eml";
    std::ofstream(empty, std::ios::binary) << "";

    int status = 0;
    std::string out = run(binary.string() + " parse --json " + mail.string(), status);
    CHECK(status == 0);
    auto j = nlohmann::json::parse(out);
    std::set<std::string> keys;
    for (const auto& [k, v] : j.items()) keys.insert(k);
    CHECK(keys == std::set<std::string>{"message_id", "date", "from", "reply_to", "to", "cc", "subject", "in_reply_to",
                                        "references", "text", "reply_text", "quoted", "attachments", "kind", "bounce",
                                        "auto_reply_reason", "token", "defects", "headers"});
    CHECK(j["from"][0]["name"] == "Jürgen");
    CHECK(j["token"] == 1042);
    CHECK(j["kind"] == "auto_reply");
    CHECK(j["reply_text"] == "Geht wieder.");
    CHECK(j["date"] == "2022-03-01T09:05:00+01:00");
    CHECK(j["bounce"].is_null());

    out = run(binary.string() + " parse --json " + empty.string() + " 2>/dev/null", status);
    CHECK(WEXITSTATUS(status) == 1);
    CHECK(nlohmann::json::parse(out)["error"]["code"] == "empty");
    out = run(binary.string() + " parse " + (dir / "missing.eml").string() + " 2>/dev/null", status);
    CHECK(WEXITSTATUS(status) == 2);
    std::filesystem::remove_all(dir);
}

// parse --json writes its JSON itself (not through nlohmann): every string must read back
// exactly as parseMail returned it, escapes and UTF-8 included.
TEST_CASE("deskgate parse --json: strings read back exactly as parseMail gave them") {
    const std::filesystem::path binary = DESKGATE_BINARY;
    if (!std::filesystem::exists(binary)) {
        MESSAGE("SKIPPED: " << binary << " not built; deskgate parse was not tested");
        return;
    }
    const auto dir = std::filesystem::temp_directory_path() / "deskgate-parse-json-test";
    std::filesystem::create_directories(dir);
    const auto path = dir / "mail.eml";
    const std::string raw =
        "From: \"Back\\\\slash \\\"Quote\\\"\" <b@example.com>\r\n"
        "To: =?UTF-8?B?S8O2bG4g8J+Mgg==?= <k@example.de>\r\n"
        "Subject: tab\there, bell\x07, \"quotes\", back\\slash, Gr\xC3\xBC\xC3\x9F" "e \xE2\x80\x94 \xF0\x9F\x93\x8E\r\n"
        "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
        "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nline 1\r\n\x01\x1F control\r\n\"end\"\r\n"
        "--b\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0K\r\n--b--\r\n";
    std::ofstream(path, std::ios::binary) << raw;
    auto expected = deskgate::parseMail(raw);
    REQUIRE(expected.has_value());
    int status = 0;
    std::string out = run(binary.string() + " parse --json " + path.string(), status);
    CHECK(status == 0);
    auto j = nlohmann::json::parse(out);
    CHECK(j["subject"] == expected->subject);
    CHECK(j["text"] == expected->text);
    REQUIRE(j["from"].size() == expected->from.size());
    CHECK(j["from"][0]["name"] == expected->from[0].name);
    CHECK(j["to"][0]["name"] == expected->to[0].name);
    REQUIRE(j["attachments"].size() == expected->attachments.size());
    CHECK(j["attachments"][0]["filename"] == expected->attachments[0].filename);
    CHECK(j["attachments"][0]["name_given"] == expected->attachments[0].name_given);
    CHECK(j["attachments"][0]["size"] == expected->attachments[0].size);
    REQUIRE(j["headers"].size() == expected->headers.size());
    for (std::size_t i = 0; i < expected->headers.size(); ++i) CHECK(j["headers"][i]["value"] == expected->headers[i].second);
    // The cases the writer escapes are really in there.
    CHECK(expected->subject.find('\t') != std::string::npos);
    CHECK(expected->text.find('\x01') != std::string::npos);
    CHECK(expected->from[0].name.find('"') != std::string::npos);
    std::filesystem::remove_all(dir);
}
