// `deskgate quarantine replay ID`: take a quarantined mail in again, e.g. after raising a
// limit or fixing a rule. It leaves the quarantine (or goes back with the new reason).
#include <iostream>

#include "daemon/cli/commands.hpp"
#include "daemon/desk/intake.hpp"
#include "daemon/text_format.hpp"
#include "daemon/runtime.hpp"

namespace deskgate {

void addQuarantineReplay(CLI::App* q) {
    auto* cmd = q->add_subcommand("replay", "Take a quarantined mail in again");
    auto config = std::make_shared<std::string>(kDefaultConfig);
    auto id = std::make_shared<std::int64_t>(0);
    cmd->add_option("id", *id, "Quarantine id (see `quarantine list`)")->required();
    cmd->add_option("-c,--config", *config, "Configuration file")->capture_default_str();
    cmd->callback([config, id] {
        auto runtime = loadRuntime(*config);
        if (!runtime) {
            for (const auto& e : runtime.error()) std::cerr << e << "\n";
            throw CLI::RuntimeError(1);
        }
        try {
            SociStore store(parseDatabaseUrl((*runtime)->config.database));
            auto record = store.intake.quarantined(*id);
            if (!record) {
                std::cerr << "no quarantined mail " << *id << "\n";
                throw CLI::RuntimeError(1);
            }
            Intake intake(**runtime, store, wallNow);
            IntakeResult result;
            store.transaction([&] { result = intake.replay(*record); });
            std::cout << describe(result) << "\n";
        } catch (const StorageUnavailable& e) {
            std::cerr << "database unavailable: " << e.what() << "\n";
            throw CLI::RuntimeError(75);
        }
        throw CLI::RuntimeError(0);
    });
}

}  // namespace deskgate
