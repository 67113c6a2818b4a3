// Replays every saved fuzz input (seeds and inputs that once crashed or hung the parser)
// through parseMail in the ordinary g++ build, so a regression fails `ctest -L unit`.
#include <doctest/doctest.h>

#include "parsers/agent_mail.hpp"
#include "parsers/parsed_mail.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

TEST_CASE("saved fuzz inputs parse without crashing") {
    namespace fs = std::filesystem;
    const fs::path dir = DESKGATE_FUZZ_INPUTS;
    REQUIRE_MESSAGE(fs::is_directory(dir), "missing fuzz input folder " << dir);
    std::size_t count = 0;
    for (const auto& entry : fs::directory_iterator(dir)) {
        if (!entry.is_regular_file()) continue;
        std::ifstream in(entry.path(), std::ios::binary);
        std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        CAPTURE(entry.path().filename().string());
        auto start = std::chrono::steady_clock::now();
        auto result = deskgate::parseMail(raw);
        auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        // Either outcome is fine; an error must say what was wrong.
        if (!result) CHECK_FALSE(result.error().code.empty());
        // What intake reads next, as the fuzz target runs it.
        if (result) {
            (void)deskgate::parseAgentCommands(result->reply_text);
            (void)deskgate::parseRating(result->reply_text);
            (void)deskgate::authenticatedFor(*result, "example.com", {"mx.example.com"});
        }
        (void)deskgate::parseAgentCommands(raw);
        CHECK(ms < 1000.0);
        ++count;
    }
    MESSAGE("replayed " << count << " saved fuzz inputs");
    CHECK(count >= 4);
}
