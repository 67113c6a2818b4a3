// What the daemon runs with, swapped whole on reload: a new Runtime is built and validated
// first; if anything in it is wrong the old one stays.
#pragma once

#include <expected>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "daemon/config.hpp"
#include "rules/rule_set.hpp"
#include "templates/template_set.hpp"

namespace deskgate {

struct Runtime {
    Config config;
    TemplateSet templates;
    std::shared_ptr<const RuleSet> rules;  // never null (empty set when no rules are configured)
};

// Loads deskgate.yaml and everything it names (rules, templates), collecting all errors as
// "file:line:col: message" lines. `deskgate check` and the daemon both use exactly this.
std::expected<std::shared_ptr<const Runtime>, std::vector<std::string>> loadRuntime(
    const std::filesystem::path& file, const InstallPaths& paths = installPaths());

// Newest modification time of the configuration file, the rule files and the templates:
// the daemon reloads when it changes.
std::filesystem::file_time_type configurationStamp(const Config& config);

}  // namespace deskgate
