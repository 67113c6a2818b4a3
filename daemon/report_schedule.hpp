// `reports:` in deskgate.yaml: reports mailed on a schedule, e.g.
//
//   reports:
//     - name: weekly
//       schedule: "monday 08:00"      # daily | monday..sunday, local HH:MM
//       calendar: office              # the zone of a rules calendar, or `timezone: Europe/Berlin`
//       to: [lead@acme.test]
//       format: html                  # html (text part + HTML alternative) | text
//       period: 7d                    # the report covers the period before the due time
//       queue: billing                # optional
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "rules/yaml_check.hpp"

namespace date {
class time_zone;
}

namespace deskgate {

class RuleSet;

struct ReportSchedule {
    std::string name;
    std::optional<int> weekday;          // 0 = Sunday (as date::weekday); empty = daily
    int minute_of_day = 8 * 60;          // local time of day
    std::string calendar;                // a calendar of the rules, or empty
    std::string timezone;                // IANA name, or empty (then the calendar's, else UTC)
    std::vector<std::string> to;
    std::string format = "html";         // html | text
    std::chrono::seconds period{7 * 86400};
    std::string queue;
    std::string file;                    // where it was configured (for errors found later)
    int line = 0;
    int column = 0;
};

// Reads `reports:`; every problem is recorded in `check` with its location.
void loadReportSchedules(YamlChecker& check, const YAML::Node& node, std::vector<ReportSchedule>& out);

// Problems that need the rules (an unknown calendar), as "file:line:col: message".
std::vector<std::string> checkReportSchedules(const std::vector<ReportSchedule>& reports, const RuleSet& rules);

// The zone the schedule counts in: `timezone`, else the calendar's, else UTC.
const date::time_zone* scheduleZone(const ReportSchedule& report, const RuleSet& rules);

// The latest due time at or before `now`, and the first one after it (unix seconds).
std::int64_t lastDueAtOrBefore(const ReportSchedule& report, const date::time_zone* zone, std::int64_t now);
std::int64_t nextDueAfter(const ReportSchedule& report, const date::time_zone* zone, std::int64_t now);

}  // namespace deskgate
