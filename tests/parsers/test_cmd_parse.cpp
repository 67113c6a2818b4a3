// `deskgate parse --json` end to end: the JSON has exactly ParsedMail's field names.
#include <doctest/doctest.h>

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
