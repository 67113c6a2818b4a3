// What the daemon runs with, swapped whole on reload: a new Runtime is built and validated
// first; if anything in it is wrong the old one stays.
#pragma once

#include <expected>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "daemon/config.hpp"
#include "templates/template_set.hpp"

namespace deskgate {

struct Runtime {
    Config config;
    TemplateSet templates;
};

// Loads deskgate.yaml and everything it names (templates), collecting all errors as
// "file:line:col: message" lines. `deskgate check` and the daemon both use exactly this.
std::expected<std::shared_ptr<const Runtime>, std::vector<std::string>> loadRuntime(const std::filesystem::path& file);

}  // namespace deskgate
