#include "rules/rule_set.hpp"

namespace deskgate {

std::string_view toString(Priority p) {
    switch (p) {
        case Priority::low: return "low";
        case Priority::normal: return "normal";
        case Priority::high: return "high";
        case Priority::urgent: return "urgent";
    }
    return "normal";
}

std::optional<Priority> parsePriority(std::string_view s) {
    if (s == "low") return Priority::low;
    if (s == "normal") return Priority::normal;
    if (s == "high") return Priority::high;
    if (s == "urgent") return Priority::urgent;
    return std::nullopt;
}

Priority raised(Priority p) {
    switch (p) {
        case Priority::low: return Priority::normal;
        case Priority::normal: return Priority::high;
        case Priority::high:
        case Priority::urgent: return Priority::urgent;
    }
    return p;
}

std::string_view toString(AssignMode m) {
    switch (m) {
        case AssignMode::none: return "none";
        case AssignMode::round_robin: return "round_robin";
        case AssignMode::least_open: return "least_open";
    }
    return "none";
}

std::string_view toString(SlaTarget t) {
    return t == SlaTarget::first_response ? "first_response" : "resolution";
}

std::string RuleSet::summary() const {
    auto n = [](std::size_t count, const char* one, const char* many) {
        return std::to_string(count) + " " + (count == 1 ? one : many);
    };
    return n(rules.size(), "rule", "rules") + ", " + n(teams.size(), "team", "teams") + ", " +
           n(calendars.size(), "calendar", "calendars") + ", " + n(sla.size(), "SLA policy", "SLA policies") + ", " +
           n(escalation.size(), "escalation step", "escalation steps");
}

const Team* RuleSet::team(std::string_view name) const {
    auto it = teams.find(name);
    return it == teams.end() ? nullptr : &it->second;
}

const SlaPolicy* RuleSet::slaPolicy(std::string_view name) const {
    auto it = sla.find(name);
    return it == sla.end() ? nullptr : &it->second;
}

const Calendar* RuleSet::calendar(std::string_view name) const {
    auto it = calendars.find(name);
    return it == calendars.end() ? nullptr : &it->second;
}

void RuleSet::buildIndex() {
    std::vector<Condition*> conditions;
    for (auto& r : rules)
        if (r.when) conditions.push_back(&*r.when);
    index_ = std::make_unique<MatchIndex>();
    index_->build(std::move(conditions));
}

void RuleSet::initCounters() {
    hits_ = std::make_unique<std::atomic<std::uint64_t>[]>(rules.size());
    for (std::size_t i = 0; i < rules.size(); ++i) hits_[i].store(0, std::memory_order_relaxed);
}

void RuleSet::countHit(std::size_t rule) const {
    if (hits_ && rule < rules.size()) hits_[rule].fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t RuleSet::hits(std::size_t rule) const {
    return hits_ && rule < rules.size() ? hits_[rule].load(std::memory_order_relaxed) : 0;
}

std::vector<RuleStat> RuleSet::stats() const {
    std::vector<RuleStat> out;
    out.reserve(rules.size());
    for (std::size_t i = 0; i < rules.size(); ++i)
        out.push_back({rules[i].name, rules[i].file, rules[i].line, hits(i)});
    return out;
}

}  // namespace deskgate
