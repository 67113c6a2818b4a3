// Helpers for the rules tests: the agents of the sample config, mails and UTC instants.
#pragma once

#include <string>
#include <vector>

#include <date/date.h>
#include <doctest/doctest.h>

#include "rules/rule_loader.hpp"

// deskgate::toString(enum) returns string_view and doctest would find it by ADL when it
// prints an operand, so tests compare enums through name() instead.
namespace deskgate::test {

inline RuleEnvironment sampleEnvironment() {
    RuleEnvironment env;
    env.agents = {{"anna", {}}, {"ben", {}}, {"carla", {}}, {"dora", {}}};
    env.templates = {"ack", "ack_vip", "closed_notice"};
    env.mailboxes = {"support", "billing"};
    return env;
}

// Loads one file, failing the test with all messages when it does not load.
inline std::shared_ptr<const RuleSet> load(const std::string& yaml, const RuleEnvironment& env = sampleEnvironment()) {
    auto r = loadRuleSet({{"test.yaml", yaml}}, env);
    if (!r) {
        std::string all;
        for (const auto& e : r.error()) all += e.str() + "\n";
        FAIL("rules did not load:\n" << all);
    }
    return *r;
}

// The error messages of a load that must fail.
inline std::vector<std::string> errorsOf(const std::vector<RuleFile>& files,
                                         const RuleEnvironment& env = sampleEnvironment()) {
    auto r = loadRuleSet(files, env);
    std::vector<std::string> out;
    if (r) return out;
    for (const auto& e : r.error()) out.push_back(e.str());
    return out;
}
inline std::vector<std::string> errorsOf(const std::string& yaml) { return errorsOf({{"r.yaml", yaml}}); }

// Lines joined, so that doctest prints both sides of a failed comparison.
inline std::string lines(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += s + "\n";
    return out;
}

// 2026-03-27 09:30 UTC as utc(2026, 3, 27, 9, 30).
inline SysSeconds utc(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
    return date::sys_days{date::year{y} / date::month{mo} / date::day{d}} + std::chrono::hours{h} +
           std::chrono::minutes{mi} + std::chrono::seconds{s};
}

template <typename E>
std::string name(E value) {
    return std::string(deskgate::toString(value));
}

inline Address addr(std::string a) { return Address{"", std::move(a)}; }

}  // namespace deskgate::test
