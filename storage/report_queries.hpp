// The queries behind `deskgate report`: counts are SQL aggregates in the database
// (COUNT/SUM/GROUP BY), the same SQL on SQLite and PostgreSQL. Durations need the single
// values: one typed pass reads the period's tickets (a few columns) and the percentiles
// (nearest-rank), histogram, per-agent medians, business time under each ticket's calendar
// (through ReportCalendars, so storage does not depend on the rules library) and the
// first-response SLA are computed from it here; so are the split of space-separated tags and
// the local hours of a time zone.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "storage/report_data.hpp"

namespace deskgate {

class SociDatabase;

// What the queries need to know about SLA policies and calendars; the daemon implements it
// over the RuleSet (daemon/report_runner.cpp), tests may implement it by hand.
struct ReportCalendars {
    // Business seconds in [from, to) under the calendar of SLA policy `sla`; nullopt when
    // the policy is unknown (the ticket is then left out of business-time figures).
    std::function<std::optional<std::int64_t>(const std::string& sla, std::int64_t from, std::int64_t to)>
        business_seconds;
    // The policy's first-response target in business seconds for a ticket of `priority`.
    std::function<std::optional<std::int64_t>(const std::string& sla, const std::string& priority)>
        first_response_target;
    // Local hour (0..23) and weekday (0 = Monday) of a UTC instant in the report's zone.
    std::function<std::pair<int, int>(std::int64_t utc)> local_hour_weekday;
    std::string timezone = "UTC";
};

struct ReportRequest {
    ReportFilter filter;
    std::int64_t now = 0;          // backlog and at-risk are "as of now"
    std::int64_t at_risk_hours = 4;
    std::size_t at_risk_limit = 100;  // rows listed (the count is not capped)
    // Called before each section with its name ("volumes", ...); for progress on stderr.
    std::function<void(std::string_view)> progress;
};

// Runs every section. Throws StorageError / StorageUnavailable.
ReportData queryReport(SociDatabase& store, const ReportRequest& request, const ReportCalendars& calendars);

// The kind of a quarantine reason, for grouping: "mail_loop", "no_sender", "held_by_rule",
// "foreign_token", "unmatched_bounce", "error", a parse error code ("too_deep"), or "other".
std::string quarantineReasonKind(std::string_view reason);

// Nearest-rank percentile position: the 0-based index of the q-quantile among n sorted values.
std::int64_t nearestRankIndex(std::int64_t n, double q);

}  // namespace deskgate

namespace deskgate {

// Scheduled reports (table report_runs): the last due time each report was queued for.
std::optional<std::int64_t> lastReportRun(SociDatabase& store, const std::string& name);
// Records `due` as handled for `name` unless it (or a later one) already is; true when this
// call recorded it — the caller then queues the mail in the same transaction, so a report is
// queued once per due time even with restarts or several daemons on one database.
bool claimReportRun(SociDatabase& store, const std::string& name, std::int64_t due, std::int64_t now);

}  // namespace deskgate
