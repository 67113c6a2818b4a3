// `deskgate check`: runs exactly the daemon's load path and reports every error.
#include <filesystem>
#include <iostream>

#include "daemon/cli/check_connect.hpp"
#include "daemon/cli/commands.hpp"
#include "daemon/runtime.hpp"
#include "daemon/text_format.hpp"
#include "storage/store.hpp"

namespace deskgate {

namespace {

std::string shortDuration(std::chrono::seconds d) {
    const auto s = d.count();
    if (s % 86400 == 0) return std::to_string(s / 86400) + "d";
    if (s % 3600 == 0) return std::to_string(s / 3600) + "h";
    if (s % 60 == 0) return std::to_string(s / 60) + "m";
    return std::to_string(s) + "s";
}

std::string firstStartText(const MailboxConfig& mb) {
    switch (mb.first_start) {
    case MailboxConfig::FirstStart::new_only:
        return "first_start: new_only - mail already in " + mb.folder +
               " is left alone; intake starts with the next new mail (at UIDNEXT)";
    case MailboxConfig::FirstStart::since:
        return "first_start: since " + shortDuration(mb.first_start_since) + " - mail that reached " + mb.folder +
               " in the last " + shortDuration(mb.first_start_since) +
               " is taken in as usual (acknowledged, agents told); older mail is left alone";
    case MailboxConfig::FirstStart::all:
        return "first_start: all - every mail already in " + mb.folder +
               " is imported as a ticket, without acknowledgements or notifications; new mail after it as usual";
    }
    return {};
}

// What intake will do at the next start, per mailbox: continue after its checkpoint, or what
// first_start says. Reads the checkpoints only where the database already exists (check never
// creates a database file).
void printIntakeStart(const Config& c) {
    std::unique_ptr<SociStore> store;
    std::string why;
    try {
        auto url = parseDatabaseUrl(c.database);
        if (url.backend != Backend::sqlite || std::filesystem::exists(url.connect))
            store = std::make_unique<SociStore>(url);
        else
            why = "no database yet";
    } catch (const std::exception& e) {
        why = std::string("database not reachable: ") + e.what();
    }
    for (const auto& mb : c.mailboxes) {
        std::optional<Checkpoint> cp;
        if (store) {
            try {
                cp = store->intake.checkpoint(mb.name);
            } catch (const std::exception& e) {
                why = e.what();
            }
        }
        if (cp) {
            std::cout << "mailbox " << mb.name << ": intake continues after UID " << cp->last_uid << " (UIDVALIDITY "
                      << cp->uidvalidity << "); first_start does not apply\n";
        } else {
            std::cout << "mailbox " << mb.name << ": " << (store ? "first start" : "first start unless the database "
                                                                                     "says otherwise (" + why + ")")
                      << ": " << firstStartText(mb) << "\n";
        }
    }
}

}  // namespace

void addCheckCommand(CLI::App& app) {
    auto* cmd = app.add_subcommand("check", "Validate the configuration, rules and templates; exit 1 on errors");
    auto config = std::make_shared<std::string>(kDefaultConfig);
    auto connect = std::make_shared<bool>(false);
    cmd->add_option("-c,--config", *config, "Configuration file")->capture_default_str();
    cmd->add_flag("--connect", *connect,
                  "Also log in to every mailbox and to SMTP: greetings, capabilities, folder names on the server, "
                  "move_to (made when missing), message counts; exit 1 on any problem");
    cmd->callback([config, connect] {
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
        printIntakeStart(c);
        if (!*connect) {
            // Offline on purpose (ExecStartPre runs it); what the servers say is another question.
            std::cout << "connections not tried: deskgate check --connect logs in to every mailbox and to SMTP\n";
            throw CLI::RuntimeError(0);
        }
        throw CLI::RuntimeError(checkConnections(c, std::cout));
    });
}

}  // namespace deskgate
