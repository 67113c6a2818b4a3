// `deskgate explain mail.eml`: a dry run of the rules for one mail (changes nothing), and
// `deskgate rules stats`: how often each rule matched (counted in the database).
#include <fstream>
#include <iostream>
#include <iterator>

#include <fmt/format.h>

#include "daemon/cli/commands.hpp"
#include "daemon/runtime.hpp"
#include "rules/assignment.hpp"
#include "rules/router.hpp"
#include "storage/store.hpp"

namespace deskgate {

namespace {

std::shared_ptr<const Runtime> loadOrExit(const std::string& path) {
    auto runtime = loadRuntime(path);
    if (!runtime) {
        for (const auto& e : runtime.error()) std::cerr << e << "\n";
        throw CLI::RuntimeError(1);
    }
    return *runtime;
}

}  // namespace

void addExplainCommand(CLI::App& app) {
    auto* cmd = app.add_subcommand("explain", "Show which rules a mail matches and what they would do (dry run)");
    auto config = std::make_shared<std::string>(kDefaultConfig);
    auto file = std::make_shared<std::string>();
    auto mailbox = std::make_shared<std::string>();
    auto all = std::make_shared<bool>(false);
    cmd->add_option("mail", *file, "The mail (.eml)")->required()->check(CLI::ExistingFile);
    cmd->add_option("-c,--config", *config, "Configuration file")->capture_default_str();
    cmd->add_option("-m,--mailbox", *mailbox, "Mailbox the mail arrives through (default: the first)");
    cmd->add_flag("--all", *all, "Also explain the rules that did not match");
    cmd->callback([config, file, mailbox, all] {
        auto runtime = loadOrExit(*config);
        std::ifstream in(*file, std::ios::binary);
        std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        ParseOptions options;
        options.limits = runtime->config.limits;
        options.token_format = runtime->config.identity.token_format;
        auto mail = parseMail(raw, options);
        if (!mail) {
            std::cout << "This mail would be quarantined: " << mail.error().code << ": " << mail.error().message << "\n";
            throw CLI::RuntimeError(0);
        }
        std::string mb = !mailbox->empty()                     ? *mailbox
                         : runtime->config.mailboxes.empty() ? std::string("ingest")
                                                             : runtime->config.mailboxes.front().name;
        auto now = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
        auto decision = route(*runtime->rules, *mail, RouteContext{mb, now, ""}, RouteOptions{true, *all, false});
        ExplainOptions explain;
        explain.created = now;
        explain.show_hits = false;
        if (!decision.agent && decision.team) {
            if (const Team* team = runtime->rules->team(*decision.team)) {
                AssignmentInput input;
                // Read the round-robin position and open counts when the database is reachable.
                try {
                    SociStore store(parseDatabaseUrl(runtime->config.database));
                    input.last_agent = store.counters.lastAssigned(team->name);
                    input.open_tickets = store.counters.openTicketsOf(team->agents);
                } catch (const std::exception&) {
                }
                auto pick = pickAgent(*team, input);
                if (pick.agent) explain.assigned_agent = *pick.agent + " (" + pick.reason + ")";
            }
        }
        std::cout << "Mail: " << mail->subject << "\n  from "
                  << (mail->from.empty() ? std::string("?") : mail->from[0].address) << ", kind "
                  << toString(mail->kind) << "\n\n"
                  << formatDecision(*runtime->rules, decision, explain);
        throw CLI::RuntimeError(0);
    });
}

void addRulesCommand(CLI::App& app) {
    auto* rules = app.add_subcommand("rules", "Rule statistics");
    rules->require_subcommand(1);
    auto config = std::make_shared<std::string>(kDefaultConfig);
    auto* stats = rules->add_subcommand("stats", "How often each rule matched a new ticket");
    stats->add_option("-c,--config", *config, "Configuration file")->capture_default_str();
    stats->callback([config] {
        auto runtime = loadOrExit(*config);
        std::map<std::string, std::int64_t> hits;
        try {
            SociStore store(parseDatabaseUrl(runtime->config.database));
            for (const auto& [name, n] : store.counters.ruleHits()) hits[name] = n;
        } catch (const std::exception& e) {
            std::cerr << "cannot open the database: " << e.what() << "\n";
            throw CLI::RuntimeError(75);
        }
        std::cout << fmt::format("{:>8}  {:<40} {}\n", "HITS", "RULE", "WHERE");
        for (const auto& r : runtime->rules->rules)
            std::cout << fmt::format("{:>8}  {:<40} {}:{}\n", hits.count(r.name) ? hits[r.name] : 0, r.name, r.file,
                                     r.line);
        throw CLI::RuntimeError(0);
    });
}

}  // namespace deskgate
