// Every message of ../shared/corpus (about 1,350 real mails from other mail software's test
// data) must parse or be rejected with a clear error, fast, into valid UTF-8.
#include <doctest/doctest.h>

#include "corpus_support.hpp"
#include "parsers/charset.hpp"
#include "parsers/parsed_mail.hpp"

#include <chrono>
#include <map>
#include <set>

using namespace deskgate;

namespace {

// Messages the parser rejects on purpose, with why. Anything else that fails is a bug.
const std::map<std::string, std::string> kExpectedErrors = {
    {"sisimai-set-of-emails/mailbox/size-0", "empty"},  // a 0-byte mbox
    {"sisimai-set-of-emails/mailbox/size-1", "empty"},  // a single newline
    {"flanker/messages/dkim/email.01", "empty"},        // a 0-byte file
    // A DoS-style sample: a multipart with 3,038 text/html parts, over Limits::max_parts (1000).
    {"flanker/messages/enclosed-endless.eml", "too_many_parts"},
};

bool allUtf8(const ParsedMail& m) {
    auto ok = [](const std::string& s) { return isValidUtf8(s); };
    bool good = ok(m.subject) && ok(m.text) && ok(m.reply_text) && ok(m.quoted) && ok(m.auto_reply_reason);
    for (const auto& list : {&m.from, &m.to, &m.cc, &m.reply_to})
        for (const auto& a : *list) good = good && ok(a.name) && ok(a.address);
    for (const auto& [n, v] : m.headers) good = good && ok(n) && ok(v);
    for (const auto& a : m.attachments) good = good && ok(a.filename);
    for (const auto& d : m.defects) good = good && ok(d);
    return good;
}

}  // namespace

TEST_CASE("corpus: every message parses or gives a clear error, in under 100 ms, as valid UTF-8") {
    if (!corpus::available()) return;
    auto files = corpus::messages();
    MESSAGE("corpus messages: " << files.size());
    CHECK(files.size() > 1100);

    std::map<std::string, int> kinds, errors;
    std::size_t parsed = 0, with_defects = 0;
    double slowest = 0;
    std::string slowest_file;
    for (const auto& path : files) {
        std::string rel = corpus::fs::relative(path, corpus::root()).generic_string();
        CAPTURE(rel);
        std::string raw = corpus::read(path);
        auto start = std::chrono::steady_clock::now();
        auto result = parseMail(raw);
        double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
        if (ms > slowest) slowest = ms, slowest_file = rel;
        CHECK(ms < 100.0);
        if (!result) {
            ++errors[result.error().code];
            auto expected = kExpectedErrors.find(rel);
            CHECK_MESSAGE(expected != kExpectedErrors.end(), "unexpected parse error " << result.error().code << ": "
                                                                                       << result.error().message);
            if (expected != kExpectedErrors.end()) CHECK(result.error().code == expected->second);
            CHECK_FALSE(result.error().message.empty());
            continue;
        }
        CHECK_MESSAGE(!kExpectedErrors.contains(rel), "expected an error for this file");
        ++parsed;
        ++kinds[std::string(toString(result->kind))];
        if (!result->defects.empty()) ++with_defects;
        CHECK(allUtf8(*result));
    }
    MESSAGE("parsed " << parsed << ", with defects " << with_defects << ", slowest " << slowest << " ms (" << slowest_file
                      << ")");
    for (const auto& [k, n] : kinds) MESSAGE("kind " << k << ": " << n);
    for (const auto& [k, n] : errors) MESSAGE("error " << k << ": " << n);
}
