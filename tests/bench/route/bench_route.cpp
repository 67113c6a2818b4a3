// bench_route: routes mails through 1,000 generated rules (a mix of sender-address lists,
// sender-domain lists, subject and body regexes, header and recipient matchers) and prints
// the time per mail. Goal: under 50 µs per mail.
//
//   cmake --build build --target bench_route && build/tests/bench/route/bench_route [rules] [mails]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "rules/router.hpp"
#include "rules/rule_loader.hpp"

using namespace deskgate;

namespace {

const char* kWords[] = {"invoice", "rechnung", "refund", "password", "login", "outage", "delivery", "contract",
                        "upgrade", "cancel", "license", "billing", "shipping", "warranty", "return", "account"};

std::string generateRules(int count, std::mt19937& rng) {
    std::string y = "teams:\n  t: { agents: [anna, ben, carla] }\n"
                    "calendars:\n  office: { timezone: Europe/Berlin, hours: { mon-fri: \"08:00-18:00\" } }\n"
                    "sla:\n  s: { calendar: office, first_response: 4h, resolution: 3d }\nrouting:\n";
    std::uniform_int_distribution<int> kind(0, 99), word(0, 15), num(0, 99999);
    for (int i = 0; i < count - 1; ++i) {
        y += "  - name: rule " + std::to_string(i) + "\n    when: ";
        const int k = kind(rng);
        if (k < 35) {  // sender address lists
            y += "{ from: [";
            for (int j = 0; j < 5; ++j) y += (j ? ", " : "") + std::string("user") + std::to_string(num(rng)) + "@customer" + std::to_string(i) + ".com";
            y += "] }\n";
        } else if (k < 65) {  // sender domain lists
            y += "{ from_domain: [";
            for (int j = 0; j < 3; ++j) y += (j ? ", " : "") + std::string("domain") + std::to_string(i) + "-" + std::to_string(j) + ".de";
            y += "] }\n";
        } else if (k < 85) {  // subject regexes
            y += "{ subject: '(?i)\\b(" + std::string(kWords[word(rng)]) + "|" + kWords[word(rng)] + ")\\s*#?" + std::to_string(num(rng)) + "\\b' }\n";
        } else if (k < 90) {  // body regexes
            y += "{ body: '(?i)\\border\\s+no\\.?\\s*" + std::to_string(num(rng)) + "\\b' }\n";
        } else if (k < 95) {  // recipient + subject
            y += "{ all: [ { to: [team" + std::to_string(i) + "@helpdesk.test] }, { subject: '(?i)" + kWords[word(rng)] + "' } ] }\n";
        } else {  // header
            y += "{ header: { name: X-Customer-Id, matches: '^C" + std::to_string(num(rng)) + "$' } }\n";
        }
        y += "    set: { queue: q" + std::to_string(i % 20) + ", team: t, tags: [r" + std::to_string(i) + "] }\n";
    }
    y += "  - name: default\n    set: { queue: general, team: t, sla: s }\n";
    return y;
}

std::vector<ParsedMail> generateMails(int count, std::mt19937& rng) {
    std::vector<ParsedMail> mails;
    std::uniform_int_distribution<int> pick(0, 999), word(0, 15);
    std::string para;
    for (int i = 0; i < 12; ++i)
        para += "Hello, we have a question about our " + std::string(kWords[word(rng)]) +
                " and the last order. Could you please have a look at it soon? ";
    for (int i = 0; i < count; ++i) {
        ParsedMail m;
        const int n = pick(rng);
        // Most senders are unknown (the mail goes through all rules); some hit a domain rule.
        m.from.push_back({"Customer", n % 10 == 0 ? "someone@domain" + std::to_string(n) + "-1.de"
                                                  : "someone" + std::to_string(n) + "@gmail.com"});
        m.to.push_back({"", "support@helpdesk.test"});
        m.subject = "Re: Question about my " + std::string(kWords[word(rng)]) + " " + std::to_string(n);
        m.reply_text = para;   // ~1.2 KB of new text
        m.text = para + "\n> quoted\n";
        m.headers = {{"From", "someone"}, {"To", "support@helpdesk.test"}, {"Subject", m.subject},
                     {"Message-ID", "<x@y>"}, {"Date", "Fri, 27 Nov 2026 10:00:00 +0100"},
                     {"X-Customer-Id", "C" + std::to_string(n)}, {"Received", "from a by b"}};
        mails.push_back(std::move(m));
    }
    return mails;
}

double perMailMicros(const RuleSet& set, const std::vector<ParsedMail>& mails, const RouteOptions& options,
                     int rounds, std::size_t& checksum) {
    RouteContext ctx{"support", std::chrono::sys_seconds{std::chrono::seconds{1795856400}}, ""};
    const auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < rounds; ++r)
        for (const auto& m : mails) checksum += route(set, m, ctx, options).matched.size();
    const auto t1 = std::chrono::steady_clock::now();
    return std::chrono::duration<double, std::micro>(t1 - t0).count() / (double(rounds) * double(mails.size()));
}

}  // namespace

int main(int argc, char** argv) {
    const int ruleCount = argc > 1 ? std::atoi(argv[1]) : 1000;
    const int mailCount = argc > 2 ? std::atoi(argv[2]) : 200;
    std::mt19937 rng(42);
    const std::string yaml = generateRules(ruleCount, rng);
    RuleEnvironment env;
    env.agents = {{"anna", {}}, {"ben", {}}, {"carla", {}}};
    const auto l0 = std::chrono::steady_clock::now();
    auto loaded = loadRuleSet({{"bench.yaml", yaml}}, env);
    const auto l1 = std::chrono::steady_clock::now();
    if (!loaded) {
        for (const auto& e : loaded.error()) std::fprintf(stderr, "%s\n", e.str().c_str());
        return 1;
    }
    const RuleSet& set = **loaded;
    const auto mails = generateMails(mailCount, rng);
    std::size_t checksum = 0;
    perMailMicros(set, mails, {}, 2, checksum);   // warm-up
    const double traced = perMailMicros(set, mails, {.trace = true, .trace_misses = false, .count_hits = true}, 20, checksum);
    const double plain = perMailMicros(set, mails, {.trace = false, .trace_misses = false, .count_hits = true}, 20, checksum);
    std::printf("rules: %zu (yaml %zu bytes), loaded in %.1f ms\n", set.rules.size(), yaml.size(),
                std::chrono::duration<double, std::milli>(l1 - l0).count());
    std::printf("mails: %d x 20 rounds, ~%zu bytes of body each\n", mailCount, mails.front().reply_text.size());
    std::printf("route, with trace:    %8.2f us/mail\n", traced);
    std::printf("route, without trace: %8.2f us/mail\n", plain);
    std::printf("goal: < 50 us/mail -> %s (checksum %zu)\n", traced < 50.0 ? "met" : "NOT met", checksum);
    return traced < 50.0 ? 0 : 2;
}
