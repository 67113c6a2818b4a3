// Internal to the rule loader: shared state of one load and the section parsers.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "rules/rule_set.hpp"
#include "rules/yaml_check.hpp"

namespace deskgate::detail {

struct LoadContext {
    const RuleEnvironment& env;
    RuleSet& set;
    std::vector<std::string> agents;      // known agent names
    std::vector<std::string> teamNames;   // filled before rules are parsed
    std::vector<std::string> slaNames;
    std::vector<std::string> calendarNames;
};

// "unknown team 'x', did you mean 'y'?" when `name` is not in `known`; returns whether known.
bool checkReference(YamlChecker& check, const YAML::Node& at, std::string_view what, const std::string& name,
                    const std::vector<std::string>& known);

// "08:00" → 480; "24:00" only when allow24 (an interval's end).
std::optional<int> clockMinutes(std::string_view s, bool allow24);
// "mon-fri", "sat", "mon,wed,fri", "fri-mon" → weekday indices (0 = Sunday).
std::optional<std::vector<int>> parseDays(std::string_view spec);

// routing: [ {name, when, set, continue} ]
void parseRouting(YamlChecker& check, const YAML::Node& list, LoadContext& ctx);
// when: a condition map (several keys = all of them)
std::optional<Condition> parseCondition(YamlChecker& check, const YAML::Node& node, LoadContext& ctx);

}  // namespace deskgate::detail
