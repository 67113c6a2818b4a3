#include "daemon/schedule/report_runner.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <sstream>

#include <date/date.h>
#include <date/tz.h>

#include "daemon/text_format.hpp"
#include "templates/message_builder.hpp"

namespace deskgate {

namespace {

bool digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

ReportCalendars reportCalendars(std::shared_ptr<const RuleSet> rules, const std::string& timezone) {
    ReportCalendars c;
    c.timezone = timezone;
    c.business_seconds = [rules](const std::string& sla, std::int64_t from, std::int64_t to) -> std::optional<std::int64_t> {
        const SlaPolicy* policy = rules->slaPolicy(sla);
        if (!policy || !policy->calendar) return std::nullopt;
        return businessTimeBetween(*policy->calendar, toSysSeconds(from), toSysSeconds(to)).count();
    };
    c.first_response_target = [rules](const std::string& sla,
                                      const std::string& priority) -> std::optional<std::int64_t> {
        const SlaPolicy* policy = rules->slaPolicy(sla);
        if (!policy) return std::nullopt;
        std::optional<Seconds> target = policy->first_response;
        if (auto p = parsePriority(priority))
            if (auto specific = policy->by_priority[static_cast<std::size_t>(*p)].first_response) target = specific;
        if (!target) return std::nullopt;
        return target->count();
    };
    const date::time_zone* zone = date::locate_zone(timezone);
    c.local_hour_weekday = [zone](std::int64_t utc) {
        auto local = zone->to_local(toSysSeconds(utc));
        auto day = date::floor<date::days>(local);
        auto hour = static_cast<int>(std::chrono::duration_cast<std::chrono::hours>(local - day).count());
        // date::weekday: 0 = Sunday; the report counts from Monday.
        auto weekday = static_cast<int>((date::weekday(day).c_encoding() + 6) % 7);
        return std::pair<int, int>{hour, weekday};
    };
    return c;
}

std::string defaultReportTimezone(const RuleSet& rules) {
    if (const Calendar* c = rules.calendar("default")) return c->timezone;
    if (rules.calendars.size() == 1) return rules.calendars.begin()->second.timezone;
    return "UTC";
}

std::optional<std::int64_t> parseReportTime(std::string_view text, bool end_of_day) {
    if (digits(text) && text.size() > 8) {  // unix seconds
        std::int64_t v = 0;
        std::from_chars(text.data(), text.data() + text.size(), v);
        return v;
    }
    // The whole text must match one format: date::parse reads a prefix and stops.
    auto parses = [&](const char* format, auto& into) {
        std::istringstream in{std::string(text)};
        in >> date::parse(format, into);
        return !in.fail() && in.peek() == std::char_traits<char>::eof();
    };
    date::sys_days day;
    if (parses("%F", day)) return day.time_since_epoch().count() * 86400 + (end_of_day ? 86400 : 0);
    for (const char* format : {"%FT%T%Ez", "%FT%R%Ez", "%FT%TZ", "%FT%RZ", "%FT%T", "%FT%R", "%F %T%Ez", "%F %R%Ez",
                               "%F %TZ", "%F %RZ", "%F %T", "%F %R"}) {
        std::chrono::sys_seconds t;
        if (parses(format, t)) return toUnixTime(t);  // %Ez: the offset is taken off, giving UTC
    }
    return std::nullopt;
}

std::int64_t queueScheduledReport(SociStore& store, const Runtime& runtime, const ReportSchedule& schedule,
                                  std::int64_t due, std::int64_t now) {
    const RuleSet& rules = *runtime.rules;
    ReportRequest request;
    request.filter = {due - schedule.period.count(), due, schedule.queue};
    request.now = now;
    std::string zone = schedule.timezone;
    if (zone.empty()) {
        const Calendar* c = rules.calendar(schedule.calendar);
        zone = c ? c->timezone : defaultReportTimezone(rules);
    }
    auto data = queryReport(store, request, reportCalendars(runtime.rules, zone));

    const auto& identity = runtime.config.identity;
    OutgoingMail mail;
    mail.from = {identity.name, identity.address};
    for (const auto& a : schedule.to) mail.to.push_back({"", a});
    mail.subject = "Help desk report " + reportDate(request.filter.since, false) + " to " +
                   reportDate(request.filter.until - 1, false) +
                   (schedule.queue.empty() ? "" : " (" + schedule.queue + ")");
    mail.text = renderReportText(data);
    if (schedule.format == "html") mail.html = renderReportHtml(data);
    mail.message_id = makeMessageId(identity.domain, "report-" + schedule.name + "-" + std::to_string(due));
    mail.auto_submitted = "auto-generated";
    mail.date = std::chrono::system_clock::time_point(std::chrono::seconds(now));

    OutboxRecord out;
    out.kind = "report";
    out.mail_from = identity.address;
    out.recipients = schedule.to;
    out.message_id = mail.message_id;
    out.raw = buildMessage(mail);
    out.next_attempt_at = now;
    out.created_at = now;
    return store.outbox.queueMail(out);
}

}  // namespace deskgate
