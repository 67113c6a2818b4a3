#include "daemon/report_schedule.hpp"

#include <array>
#include <cctype>

#include <date/tz.h>

#include "rules/rule_set.hpp"

namespace deskgate {

namespace {

// date::weekday numbering: 0 = Sunday.
const std::array<std::string_view, 7> kDays = {"sunday", "monday", "tuesday", "wednesday",
                                               "thursday", "friday", "saturday"};

// "monday 08:00" / "daily 17:30" -> (weekday or daily, minute of day)
bool parseSchedule(std::string_view text, ReportSchedule& out) {
    auto space = text.find(' ');
    if (space == std::string_view::npos) return false;
    std::string day(text.substr(0, space));
    for (auto& c : day) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto time = text.substr(space + 1);
    while (!time.empty() && time.front() == ' ') time.remove_prefix(1);
    if (time.size() != 5 || time[2] != ':') return false;
    for (std::size_t i : {0u, 1u, 3u, 4u})
        if (!std::isdigit(static_cast<unsigned char>(time[i]))) return false;
    const int hour = (time[0] - '0') * 10 + (time[1] - '0');
    const int minute = (time[3] - '0') * 10 + (time[4] - '0');
    if (hour > 23 || minute > 59) return false;
    if (day == "daily") {
        out.weekday.reset();
    } else {
        std::size_t i = 0;
        while (i < kDays.size() && kDays[i] != day) ++i;
        if (i == kDays.size()) return false;
        out.weekday = static_cast<int>(i);
    }
    out.minute_of_day = hour * 60 + minute;
    return true;
}

void loadOne(YamlChecker& check, const YAML::Node& node, std::vector<ReportSchedule>& out) {
    if (!check.isMap(node, "a report")) return;
    check.allowKeys(node, {"name", "schedule", "calendar", "timezone", "to", "format", "period", "queue"});
    ReportSchedule r;
    r.file = check.file();
    r.line = node.Mark().line + 1;
    r.column = node.Mark().column + 1;
    if (auto v = check.str(node, "name", true)) r.name = *v;
    if (auto v = check.str(node, "schedule", true); v && !parseSchedule(*v, r))
        check.error(node["schedule"], "'schedule' must be \"daily HH:MM\" or \"<weekday> HH:MM\" (e.g. \"monday 08:00\"), not '" +
                                          *v + "'");
    if (auto v = check.str(node, "calendar")) r.calendar = *v;
    if (auto v = check.str(node, "timezone")) {
        try {
            date::locate_zone(*v);
            r.timezone = *v;
        } catch (const std::exception&) {
            check.error(node["timezone"], "unknown time zone '" + *v + "' (an IANA name like Europe/Berlin)");
        }
    }
    if (!r.calendar.empty() && !r.timezone.empty())
        check.error(node["timezone"], "give either 'calendar' or 'timezone', not both");
    if (auto v = check.strList(node, "to", true)) {
        for (const auto& a : *v)
            if (a.find('@') == std::string::npos || a.find(' ') != std::string::npos)
                check.error(node["to"], "'to' must list mail addresses, not '" + a + "'");
        if (v->empty()) check.error(node["to"], "'to' needs at least one address");
        r.to = *v;
    }
    if (auto v = check.oneOf(node, "format", {"html", "text"})) r.format = *v;
    if (auto v = check.duration(node, "period")) {
        if (v->count() < 3600) check.error(node["period"], "'period' must be at least 1h");
        r.period = *v;
    }
    if (auto v = check.str(node, "queue")) r.queue = *v;
    for (const auto& other : out)
        if (!r.name.empty() && other.name == r.name) check.error(node["name"], "report name '" + r.name + "' is used twice");
    out.push_back(std::move(r));
}

bool matches(const ReportSchedule& r, date::local_days day) {
    return !r.weekday || date::weekday(day).c_encoding() == static_cast<unsigned>(*r.weekday);
}

// The instant of the schedule's local time on `day` (the earlier one when a clock change
// repeats it, the moment after the gap when it skips it).
std::int64_t dueOn(const ReportSchedule& r, const date::time_zone* zone, date::local_days day) {
    auto local = date::local_seconds(day) + std::chrono::minutes(r.minute_of_day);
    auto info = zone->get_info(local);
    std::chrono::sys_seconds sys;
    if (info.result == date::local_info::nonexistent)
        sys = info.second.begin;
    else
        sys = std::chrono::sys_seconds((local - info.first.offset).time_since_epoch());
    return sys.time_since_epoch().count();
}

date::local_days localDay(const date::time_zone* zone, std::int64_t t) {
    auto local = zone->to_local(std::chrono::sys_seconds(std::chrono::seconds(t)));
    return date::floor<date::days>(local);
}

}  // namespace

void loadReportSchedules(YamlChecker& check, const YAML::Node& node, std::vector<ReportSchedule>& out) {
    if (node.IsNull()) return;
    if (!check.isList(node, "'reports'")) return;
    for (const auto& item : node) loadOne(check, item, out);
}

std::vector<std::string> checkReportSchedules(const std::vector<ReportSchedule>& reports, const RuleSet& rules) {
    std::vector<std::string> errors;
    for (const auto& r : reports)
        if (!r.calendar.empty() && !rules.calendar(r.calendar))
            errors.push_back(ConfigError{r.file, r.line, r.column,
                                         "report '" + r.name + "': no calendar '" + r.calendar + "' in the rules"}
                                 .str());
    return errors;
}

const date::time_zone* scheduleZone(const ReportSchedule& report, const RuleSet& rules) {
    if (!report.timezone.empty()) return date::locate_zone(report.timezone);
    if (const Calendar* c = rules.calendar(report.calendar); c && c->zone) return c->zone;
    return date::locate_zone("UTC");
}

std::int64_t lastDueAtOrBefore(const ReportSchedule& report, const date::time_zone* zone, std::int64_t now) {
    const auto today = localDay(zone, now);
    for (int back = 0; back <= 8; ++back) {
        auto day = today - date::days(back);
        if (!matches(report, day)) continue;
        if (auto due = dueOn(report, zone, day); due <= now) return due;
    }
    return now;  // unreachable: some day in the last 8 matches
}

std::int64_t nextDueAfter(const ReportSchedule& report, const date::time_zone* zone, std::int64_t now) {
    const auto today = localDay(zone, now);
    for (int ahead = 0; ahead <= 8; ++ahead) {
        auto day = today + date::days(ahead);
        if (!matches(report, day)) continue;
        if (auto due = dueOn(report, zone, day); due > now) return due;
    }
    return now + 7 * 86400;  // unreachable
}

}  // namespace deskgate
