// Glue between the report's parts, shared by `deskgate report` and the scheduled report:
// the rules' calendars for the queries, the dates people type, and the report as a mail.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "daemon/report_schedule.hpp"
#include "daemon/runtime.hpp"
#include "storage/report_queries.hpp"
#include "storage/store.hpp"
#include "templates/report_render.hpp"

namespace deskgate {

// Business time and local hours from the rule set's calendars; local hours in `timezone`.
ReportCalendars reportCalendars(std::shared_ptr<const RuleSet> rules, const std::string& timezone);

// The zone for busiest hours when none is given: the calendar named "default", else the only
// calendar, else UTC.
std::string defaultReportTimezone(const RuleSet& rules);

// "2026-11-02" (midnight UTC; as an end bound, `end_of_day` gives the next midnight, so
// --until 2026-11-30 includes that day), "2026-11-02T08:00[:00][Z|+01:00]", or a unix time.
std::optional<std::int64_t> parseReportTime(std::string_view text, bool end_of_day = false);

// The scheduled report `schedule` for the period ending at `due`, as a queued outbox mail
// (kind "report"): text/plain with the text report, plus the HTML page as text/html
// alternative when format is html. Call inside a transaction.
std::int64_t queueScheduledReport(SociStore& store, const Runtime& runtime, const ReportSchedule& schedule,
                                  std::int64_t due, std::int64_t now);

}  // namespace deskgate
