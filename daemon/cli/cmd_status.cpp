// `deskgate status [--json]`: how the desk is doing, for an admin at the console or a monitoring
// check. Reads the database only: the daemon records each connection's state in service_status
// as it changes (daemon/service/desk_monitor.cpp), so the answer is there whether or not the
// daemon runs, and for every daemon sharing a PostgreSQL database.
// Exit: 0 healthy, 1 degraded, 2 database unreachable, 3 configuration unreadable (the Nagios
// plugin convention: OK, WARNING, CRITICAL, UNKNOWN).
#include <algorithm>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "daemon/cli/commands.hpp"
#include "daemon/config.hpp"
#include "daemon/text_format.hpp"
#include "storage/store.hpp"

namespace deskgate {

namespace {

using json = nlohmann::ordered_json;

// Mail waiting longer than this in the outbox means sending is stuck.
constexpr UnixTime kOutboxStuckAfter = 600;
constexpr std::int64_t kRiskWindow = 4 * 3600;  // as `deskgate report`'s default

json optTime(const std::optional<UnixTime>& t) { return t ? json(isoTime(*t)) : json(nullptr); }

std::string age(UnixTime seconds) {
    if (seconds < 0) seconds = 0;
    if (seconds < 120) return fmt::format("{}s", seconds);
    if (seconds < 7200) return fmt::format("{}m", seconds / 60);
    if (seconds < 172800) return fmt::format("{}h {}m", seconds / 3600, seconds / 60 % 60);
    return fmt::format("{}d {}h", seconds / 86400, seconds / 3600 % 24);
}

std::string ago(const std::optional<UnixTime>& t, UnixTime now) { return t ? age(now - *t) + " ago" : "never"; }

struct MailboxView {
    std::string name;
    std::string state;  // ok, not_connected, stale, never_connected
    const ServiceStatus* row = nullptr;
    std::optional<Checkpoint> checkpoint;
};

int runStatus(const std::string& configPath, bool asJson) {
    auto config = loadConfig(configPath);
    if (!config) {
        for (const auto& e : config.error()) std::cerr << e.str() << "\n";
        return 3;
    }
    const UnixTime now = wallNow();
    const auto url = parseDatabaseUrl(config->database);
    std::vector<ServiceStatus> services;
    std::vector<MailboxView> mailboxes;
    OutboxSummary outbox;
    std::int64_t quarantined = 0;
    TicketSummary tickets;
    std::unique_ptr<SociStore> store;
    try {
        store = std::make_unique<SociStore>(url);
        services = store->status.services();
        for (const auto& mb : config->mailboxes) {
            MailboxView v;
            v.name = mb.name;
            v.checkpoint = store->intake.checkpoint(mb.name);
            mailboxes.push_back(std::move(v));
        }
        outbox = store->status.outboxSummary();
        quarantined = store->status.quarantineCount();
        tickets = store->status.ticketSummary(now, kRiskWindow);
    } catch (const std::exception& e) {
        if (asJson)
            std::cout << json{{"state", "database_unreachable"}, {"database", url.redacted()}, {"error", e.what()}}.dump(2)
                      << "\n";
        else
            std::cout << "deskgate status: DATABASE UNREACHABLE (" << url.redacted() << "): " << e.what() << "\n";
        return 2;
    }

    bool degraded = false;
    const ServiceStatus* smtp = nullptr;
    for (const auto& s : services)
        if (s.kind == "smtp") smtp = &s;
    for (std::size_t i = 0; i < mailboxes.size(); ++i) {
        auto& v = mailboxes[i];
        const auto& mb = config->mailboxes[i];
        for (const auto& s : services)
            if (s.kind == "mailbox" && s.name == v.name) v.row = &s;
        // The daemon writes a contact at least every 30 s while the server answers, and the
        // server answers at least every poll_interval (IDLE is bounded by it).
        const UnixTime staleAfter = std::max<UnixTime>(3 * mb.poll_interval.count(), 120);
        if (!v.row)
            v.state = "never_connected";
        else if (!v.row->connected)
            v.state = "not_connected";
        else if (!v.row->last_contact_at || now - *v.row->last_contact_at > staleAfter)
            v.state = "stale";
        else
            v.state = "ok";
        if (v.state != "ok") degraded = true;
    }
    // The daemon marks SMTP not connected when the last attempt failed, connected when it sent.
    const bool smtpFailing = smtp && !smtp->connected && smtp->last_error_at;
    const bool outboxStuck = outbox.oldest_queued_at && now - *outbox.oldest_queued_at > kOutboxStuckAfter;
    if (smtpFailing || outboxStuck) degraded = true;
    const int rc = degraded ? 1 : 0;

    if (asJson) {
        json out = {{"state", degraded ? "degraded" : "healthy"}, {"at", isoTime(now)}, {"database", url.redacted()}};
        out["mailboxes"] = json::array();
        for (const auto& v : mailboxes) {
            json m = {{"name", v.name}, {"state", v.state}};
            m["connected"] = v.row && v.row->connected;
            m["last_contact"] = v.row ? optTime(v.row->last_contact_at) : json(nullptr);
            m["last_error"] = v.row && !v.row->last_error.empty() ? json(v.row->last_error) : json(nullptr);
            m["last_error_at"] = v.row ? optTime(v.row->last_error_at) : json(nullptr);
            m["daemon"] = v.row ? json(v.row->daemon) : json(nullptr);
            m["checkpoint"] = v.checkpoint ? json{{"uidvalidity", v.checkpoint->uidvalidity}, {"last_uid", v.checkpoint->last_uid}}
                                           : json(nullptr);
            out["mailboxes"].push_back(m);
        }
        out["smtp"] = {{"state", !smtp ? "unknown" : smtpFailing ? "failing" : "ok"},
                       {"last_send", smtp ? optTime(smtp->last_contact_at) : json(nullptr)},
                       {"last_error", smtp && !smtp->last_error.empty() ? json(smtp->last_error) : json(nullptr)},
                       {"last_error_at", smtp ? optTime(smtp->last_error_at) : json(nullptr)}};
        out["outbox"] = {{"queued", outbox.queued},
                         {"oldest_queued", optTime(outbox.oldest_queued_at)},
                         {"oldest_queued_age_seconds",
                          outbox.oldest_queued_at ? json(now - *outbox.oldest_queued_at) : json(nullptr)},
                         {"failed", outbox.failed},
                         {"last_error", outbox.last_error.empty() ? json(nullptr) : json(outbox.last_error)},
                         {"stuck", outboxStuck}};
        out["quarantine"] = {{"held", quarantined}};
        out["tickets"] = {{"open", tickets.open}, {"at_risk", tickets.at_risk}, {"breached", tickets.breached},
                          {"risk_window_seconds", kRiskWindow}};
        std::cout << out.dump(2) << "\n";
        return rc;
    }

    std::cout << "deskgate status: " << (degraded ? "DEGRADED" : "healthy") << " (" << url.redacted() << ", "
              << isoTime(now) << ")\n\nmailboxes\n";
    if (mailboxes.empty()) std::cout << "  (none configured)\n";
    for (const auto& v : mailboxes) {
        std::string line = fmt::format("  {:<14} {:<16}", v.name, v.state);
        line += " last contact " + (v.row ? ago(v.row->last_contact_at, now) : std::string("never"));
        if (v.checkpoint) line += fmt::format(", checkpoint uidvalidity {} uid {}", v.checkpoint->uidvalidity, v.checkpoint->last_uid);
        std::cout << line << "\n";
        if (v.row && !v.row->last_error.empty())
            std::cout << "  " << std::string(14, ' ') << " last error " << ago(v.row->last_error_at, now) << ": "
                      << v.row->last_error << "\n";
    }
    std::cout << "\nsmtp\n  ";
    if (!smtp)
        std::cout << "nothing sent yet\n";
    else {
        std::cout << (smtpFailing ? "FAILING" : "ok") << ", last sent " << ago(smtp->last_contact_at, now) << "\n";
        if (!smtp->last_error.empty())
            std::cout << "  last error " << ago(smtp->last_error_at, now) << ": " << smtp->last_error << "\n";
    }
    std::cout << "\noutbox\n  " << outbox.queued << " queued";
    if (outbox.oldest_queued_at) std::cout << ", oldest " << age(now - *outbox.oldest_queued_at) << (outboxStuck ? " (STUCK)" : "");
    std::cout << "; " << outbox.failed << " failed for good\n";
    if (!outbox.last_error.empty()) std::cout << "  last send error: " << outbox.last_error << "\n";
    std::cout << "\nquarantine\n  " << quarantined << " held (deskgate quarantine list)\n";
    std::cout << "\ntickets\n  " << tickets.open << " open, " << tickets.at_risk << " at risk (a deadline within "
              << kRiskWindow / 3600 << "h), " << tickets.breached << " breached\n";
    return rc;
}

}  // namespace

void addStatusCommand(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "status", "Health of the desk: mailboxes, SMTP, outbox, quarantine, deadlines (exit 0 healthy, 1 degraded)");
    cmd->footer("Exit status: 0 healthy, 1 degraded, 2 database unreachable, 3 configuration unreadable.");
    auto config = std::make_shared<std::string>(kDefaultConfig);
    auto asJson = std::make_shared<bool>(false);
    cmd->add_option("-c,--config", *config, "Configuration file")->capture_default_str();
    cmd->add_flag("--json", *asJson, "Print JSON");
    cmd->callback([config, asJson] { throw CLI::RuntimeError(runStatus(*config, *asJson)); });
}

}  // namespace deskgate
