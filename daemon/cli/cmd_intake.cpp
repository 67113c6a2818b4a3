// `deskgate intake log`: what became of every incoming mail — the ticket it made or joined, a
// duplicate of what, quarantined why. Nothing vanishes: each mail has its line here.
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "daemon/cli/commands.hpp"
#include "daemon/text_format.hpp"
#include "storage/store.hpp"

namespace deskgate {

void addIntakeCommand(CLI::App& app) {
    auto* intake = app.add_subcommand("intake", "What became of incoming mail");
    intake->require_subcommand(1);
    auto config = std::make_shared<std::string>(kDefaultConfig);
    auto asJson = std::make_shared<bool>(false);
    auto mailbox = std::make_shared<std::string>();
    auto outcome = std::make_shared<std::string>();
    auto limit = std::make_shared<int>(100);
    auto* log = intake->add_subcommand("log", "The intake log, newest first");
    log->add_option("-c,--config", *config, "Configuration file")->capture_default_str();
    log->add_flag("--json", *asJson, "Print JSON");
    log->add_option("--mailbox", *mailbox, "Only mail from this mailbox (or 'ingest')");
    log->add_option("--outcome", *outcome,
                    "Only this outcome (new_ticket, reply, agent_reply, note, rating, command_error, reply_too_large, "
                    "duplicate, quarantined, fetch_failed, missing)");
    log->add_option("-n,--limit", *limit, "At most this many lines")->capture_default_str()->check(CLI::Range(1, 1000000));
    log->callback([config, asJson, mailbox, outcome, limit] {
        auto store = openStore(*config);
        auto rows = store->intake.intakeLog(*mailbox, *outcome, *limit);
        if (*asJson) {
            auto out = nlohmann::ordered_json::array();
            for (const auto& r : rows)
                out.push_back({{"at", isoTime(r.at)}, {"mailbox", r.mailbox}, {"uidvalidity", r.uidvalidity},
                               {"uid", r.uid}, {"message_id", r.message_id}, {"outcome", r.outcome},
                               {"ticket", r.ticket_number ? nlohmann::ordered_json(*r.ticket_number) : nullptr},
                               {"detail", r.detail}});
            std::cout << out.dump(2) << "\n";
        } else {
            for (const auto& r : rows)
                std::cout << fmt::format("{}  {}:{}  {:<13} {:>7}  {}{}\n", isoTime(r.at), r.mailbox, r.uid, r.outcome,
                                         r.ticket_number ? std::to_string(*r.ticket_number) : "-", r.message_id,
                                         r.detail.empty() ? "" : "  (" + r.detail + ")");
            std::cout << rows.size() << (rows.size() == 1 ? " mail\n" : " mails\n");
        }
        throw CLI::RuntimeError(0);
    });
}

}  // namespace deskgate
