// YAML rule files → a validated, compiled RuleSet, with every error at file:line:col.
#pragma once

#include <expected>
#include <memory>
#include <string>
#include <vector>

#include "rules/rule_set.hpp"
#include "rules/yaml_check.hpp"

namespace deskgate {

struct RuleFile {
    std::string name;   // shown in errors (e.g. "etc/rules/routing.yaml")
    std::string text;   // YAML
};

using RuleSetResult = std::expected<std::shared_ptr<const RuleSet>, std::vector<ConfigError>>;

// Any section (teams, routing, calendars, sla, escalation, auto_close, reopen, limits) may be in
// any file; routing rules and escalation steps are taken in file order, then as written.
// All errors of all files are collected; the set is returned only when there are none.
RuleSetResult loadRuleSet(const std::vector<RuleFile>& files, const RuleEnvironment& environment);

// Reads every *.yaml / *.yml file of `directory` (sorted by name) and loads them.
// An unreadable directory or file is a ConfigError too.
RuleSetResult loadRuleDirectory(const std::string& directory, const RuleEnvironment& environment);

}  // namespace deskgate
