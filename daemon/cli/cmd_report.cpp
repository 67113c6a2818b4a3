// `deskgate report`: how the desk is doing — volumes, backlog, response and resolution
// times, SLA, agents, satisfaction, mail traffic and hygiene — as text, JSON, CSV or HTML.
#include <chrono>
#include <fstream>
#include <iostream>

#include <date/tz.h>

#include "daemon/cli/commands.hpp"
#include "daemon/schedule/report_runner.hpp"
#include "daemon/text_format.hpp"

namespace deskgate {

namespace {

struct ReportOptions {
    std::string config = kDefaultConfig;
    std::string since, until, queue, tz, output, now;
    std::string format = "text";
    std::int64_t at_risk_hours = 4;
    bool quiet = false;
};

[[noreturn]] void usageError(const std::string& message) {
    std::cerr << "deskgate report: " << message << "\n";
    throw CLI::RuntimeError(2);
}

std::int64_t timeOption(const char* option, const std::string& value, bool end_of_day = false) {
    auto t = parseReportTime(value, end_of_day);
    if (!t)
        usageError(std::string(option) + " '" + value +
                   "' is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM])");
    return *t;
}

ReportRequest requestFrom(const ReportOptions& o, std::int64_t now) {
    ReportRequest r;
    r.now = now;
    r.filter.until = now + 1;  // up to and including the current second
    if (!o.until.empty()) r.filter.until = timeOption("--until", o.until, true);
    r.filter.since = o.since.empty() ? r.filter.until - 30 * 86400  // default: the last 30 days
                                     : timeOption("--since", o.since);
    if (r.filter.since >= r.filter.until) usageError("--since must be before --until");
    if (o.at_risk_hours < 1 || o.at_risk_hours > 24 * 365) usageError("--at-risk-hours must be between 1 and 8760");
    r.filter.queue = o.queue;
    r.at_risk_hours = o.at_risk_hours;
    return r;
}

int runReport(const ReportOptions& o) {
    auto format = parseReportFormat(o.format);
    if (!format) usageError("--format must be text, json, csv or html, not '" + o.format + "'");
    ReportRequest request = requestFrom(o, o.now.empty() ? wallNow() : timeOption("--now", o.now));
    if (!o.tz.empty()) {
        try {
            date::locate_zone(o.tz);
        } catch (const std::exception&) {
            usageError("--tz '" + o.tz + "' is not a time zone (an IANA name like Europe/Berlin)");
        }
    }
    auto loaded = loadRuntime(o.config);
    if (!loaded) {
        for (const auto& e : loaded.error()) std::cerr << e << "\n";
        return 1;
    }
    const auto& runtime = **loaded;
    std::unique_ptr<SociStore> store;
    try {
        store = std::make_unique<SociStore>(parseDatabaseUrl(runtime.config.database));
    } catch (const std::exception& e) {
        std::cerr << "cannot open the database: " << e.what() << "\n";
        return 75;
    }
    const auto started = std::chrono::steady_clock::now();
    if (!o.quiet)
        request.progress = [started](std::string_view section) {
            auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
            std::cerr << "report: " << section << " (" << ms.count() << " ms)\n";
        };
    const std::string tz = o.tz.empty() ? defaultReportTimezone(*runtime.rules) : o.tz;
    ReportData data;
    try {
        data = queryReport(*store, request, reportCalendars(runtime.rules, tz));
    } catch (const StorageUnavailable& e) {
        std::cerr << e.what() << "\n";
        return 75;
    } catch (const std::exception& e) {
        std::cerr << e.what() << "\n";
        return 1;
    }
    const std::string out = renderReport(data, *format);
    if (!o.quiet) {
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        std::cerr << "report: done (" << ms.count() << " ms)\n";
    }
    if (o.output.empty() || o.output == "-") {
        std::cout << out;
        return 0;
    }
    std::ofstream file(o.output, std::ios::binary | std::ios::trunc);
    file << out;
    file.close();
    if (!file) {
        std::cerr << "cannot write " << o.output << "\n";
        return 1;
    }
    return 0;
}

}  // namespace

void addReportCommand(CLI::App& app) {
    auto* cmd = app.add_subcommand("report", "Report on the desk: volumes, backlog, times, SLA, agents, satisfaction");
    auto o = std::make_shared<ReportOptions>();
    cmd->add_option("-c,--config", o->config, "Configuration file")->capture_default_str();
    cmd->add_option("--since", o->since, "Start of the period, YYYY-MM-DD or ISO date-time (default: 30 days before --until)");
    cmd->add_option("--until", o->until, "End of the period; a date includes that day (default: now)");
    cmd->add_option("--queue", o->queue, "Only tickets of this queue");
    cmd->add_option("--format", o->format, "text, json, csv or html")->capture_default_str();
    cmd->add_option("-o,--output", o->output, "Write to this file instead of standard output");
    cmd->add_option("--tz", o->tz, "Time zone of the busiest hours (default: the default calendar's, else UTC)");
    cmd->add_option("--at-risk-hours", o->at_risk_hours, "Tickets due within this many hours are at risk")
        ->capture_default_str();
    cmd->add_option("--now", o->now, "Report as of this time (backlog, at risk); for reproducible reports");
    cmd->add_flag("-q,--quiet", o->quiet, "No progress on standard error");
    cmd->callback([o] { throw CLI::RuntimeError(runReport(*o)); });
}

}  // namespace deskgate
