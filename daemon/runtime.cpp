#include "daemon/runtime.hpp"

#include <system_error>

#include "rules/rule_loader.hpp"
#include "templates/template_catalog.hpp"

namespace deskgate {

std::expected<std::shared_ptr<const Runtime>, std::vector<std::string>> loadRuntime(const std::filesystem::path& file,
                                                                                    const InstallPaths& paths) {
    std::vector<std::string> errors;
    auto config = loadConfig(file, paths);
    if (!config) {
        for (const auto& e : config.error()) errors.push_back(e.str());
        return std::unexpected(errors);
    }
    auto templates = TemplateSet::load(config->templates_dirs, TemplateSetOptions{});
    if (!templates)
        for (const auto& e : templates.error()) errors.push_back(e.str());

    RuleEnvironment env;
    for (const auto& a : config->agents) env.agents.push_back({a.name, a.teams});
    for (const auto& name : requiredTemplateNames()) env.templates.push_back(std::string(name));
    for (const auto& mb : config->mailboxes) env.mailboxes.push_back(mb.name);
    const bool haveRules = config->rules_configured || std::filesystem::is_directory(config->rules_dir);
    auto rules = haveRules ? loadRuleDirectory(config->rules_dir.string(), env) : loadRuleSet({}, env);
    if (!rules)
        for (const auto& e : rules.error()) errors.push_back(e.str());
    else
        for (auto& e : checkReportSchedules(config->reports, **rules)) errors.push_back(std::move(e));
    if (!errors.empty()) return std::unexpected(errors);
    return std::make_shared<const Runtime>(Runtime{std::move(*config), std::move(*templates), std::move(*rules)});
}

std::filesystem::file_time_type configurationStamp(const Config& config) {
    // file_clock's epoch lies in the future on libstdc++: real times are negative, so start at min().
    auto newest = std::filesystem::file_time_type::min();
    std::error_code ec;
    auto consider = [&](const std::filesystem::path& p) {
        auto t = std::filesystem::last_write_time(p, ec);
        if (!ec && t > newest) newest = t;
    };
    consider(config.file);
    std::vector<std::filesystem::path> dirs = config.templates_dirs;
    dirs.push_back(config.rules_dir);
    for (const auto& dir : dirs) {
        if (!std::filesystem::is_directory(dir, ec)) continue;
        consider(dir);
        for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
             !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec))
            consider(it->path());
    }
    return newest;
}

}  // namespace deskgate
