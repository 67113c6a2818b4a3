// `deskgate check`: runs exactly the daemon's load path and reports every error.
#include <iostream>

#include "daemon/cli/commands.hpp"
#include "daemon/runtime.hpp"

namespace deskgate {

void addCheckCommand(CLI::App& app) {
    auto* cmd = app.add_subcommand("check", "Validate the configuration, rules and templates; exit 1 on errors");
    auto config = std::make_shared<std::string>(kDefaultConfig);
    cmd->add_option("-c,--config", *config, "Configuration file")->capture_default_str();
    cmd->callback([config] {
        auto loaded = loadRuntime(*config);
        if (!loaded) {
            for (const auto& e : loaded.error()) std::cerr << e << "\n";
            std::cerr << loaded.error().size() << (loaded.error().size() == 1 ? " error" : " errors") << " in "
                      << *config << "\n";
            throw CLI::RuntimeError(1);
        }
        const auto& c = (*loaded)->config;
        for (const auto& w : configWarnings(c)) std::cout << *config << ": warning: " << w << "\n";
        std::string templates;
        for (const auto& dir : c.templates_dirs) templates += (templates.empty() ? "" : " + ") + dir.string();
        std::cout << *config << ": OK (" << c.mailboxes.size() << " mailboxes, " << c.agents.size() << " agents, "
                  << (*loaded)->rules->rules.size() << " routing rules from " << c.rules_dir.string() << ", templates "
                  << templates << ")\n";
        throw CLI::RuntimeError(0);
    });
}

}  // namespace deskgate
