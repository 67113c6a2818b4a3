#include "daemon/report_runner.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <date/date.h>
#include <date/tz.h>

#include "daemon/text_format.hpp"
#include "templates/message_builder.hpp"

namespace deskgate {

namespace {

bool digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
}

int number(std::string_view s) {
    int v = 0;
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
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
    if (text.size() < 10 || text[4] != '-' || text[7] != '-' || !digits(text.substr(0, 4)) ||
        !digits(text.substr(5, 2)) || !digits(text.substr(8, 2)))
        return std::nullopt;
    date::year_month_day ymd{date::year(number(text.substr(0, 4))), date::month(static_cast<unsigned>(number(text.substr(5, 2)))),
                             date::day(static_cast<unsigned>(number(text.substr(8, 2))))};
    if (!ymd.ok()) return std::nullopt;
    std::int64_t t = date::sys_days(ymd).time_since_epoch().count() * 86400;
    auto rest = text.substr(10);
    if (rest.empty()) return end_of_day ? t + 86400 : t;
    // THH:MM[:SS] then Z, +HH:MM or -HH:MM (none = UTC)
    if ((rest[0] != 'T' && rest[0] != ' ') || rest.size() < 6 || rest[3] != ':' || !digits(rest.substr(1, 2)) ||
        !digits(rest.substr(4, 2)))
        return std::nullopt;
    int hour = number(rest.substr(1, 2)), minute = number(rest.substr(4, 2)), second = 0;
    rest = rest.substr(6);
    if (rest.size() >= 3 && rest[0] == ':' && digits(rest.substr(1, 2))) {
        second = number(rest.substr(1, 2));
        rest = rest.substr(3);
    }
    if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
    t += hour * 3600 + minute * 60 + second;
    if (rest.empty() || rest == "Z") return t;
    if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' && digits(rest.substr(1, 2)) &&
        digits(rest.substr(4, 2))) {
        int offset = number(rest.substr(1, 2)) * 3600 + number(rest.substr(4, 2)) * 60;
        return rest[0] == '+' ? t - offset : t + offset;
    }
    return std::nullopt;
}

std::int64_t queueScheduledReport(SociTicketStore& store, const Runtime& runtime, const ReportSchedule& schedule,
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
    return store.queueMail(out);
}

}  // namespace deskgate
