#include "daemon/runtime.hpp"

namespace deskgate {

std::expected<std::shared_ptr<const Runtime>, std::vector<std::string>> loadRuntime(const std::filesystem::path& file) {
    std::vector<std::string> errors;
    auto config = loadConfig(file);
    if (!config) {
        for (const auto& e : config.error()) errors.push_back(e.str());
        return std::unexpected(errors);
    }
    TemplateSetOptions options;
    auto templates = TemplateSet::load(config->templates_dir, options);
    if (!templates) {
        for (const auto& e : templates.error()) errors.push_back(e.str());
        return std::unexpected(errors);
    }
    return std::make_shared<const Runtime>(Runtime{std::move(*config), std::move(*templates)});
}

}  // namespace deskgate
