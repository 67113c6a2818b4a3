// Text, JSON and CSV forms of the report (the HTML page is in report_html.cpp).
#include "templates/report_render.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <functional>

#include <nlohmann/json.hpp>

namespace deskgate {

namespace {

using json = nlohmann::ordered_json;

std::string optNumber(const std::optional<double>& v) { return v ? oneDecimal(*v) : "-"; }

// Display width of UTF-8 text: code points (continuation bytes do not count).
std::size_t width(std::string_view s) {
    return static_cast<std::size_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// A terminal table: the first column left-aligned; the others right-aligned when they hold
// figures (every cell starts with a digit or is "-"), left-aligned when they hold words.
class Table {
public:
    explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
    void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
    std::string str(std::string_view indent = "  ") const {
        std::vector<std::size_t> widths;
        for (const auto& row : rows_)
            for (std::size_t i = 0; i < row.size(); ++i) {
                if (widths.size() <= i) widths.push_back(0);
                widths[i] = std::max(widths[i], width(row[i]));
            }
        std::vector<bool> right(widths.size(), true);
        right[0] = false;
        for (std::size_t r = 1; r < rows_.size(); ++r)
            for (std::size_t i = 1; i < rows_[r].size(); ++i) {
                const std::string& cell = rows_[r][i];
                if (!cell.empty() && cell != "-" && !std::isdigit(static_cast<unsigned char>(cell[0]))) right[i] = false;
            }
        std::string out;
        for (const auto& row : rows_) {
            std::string line(indent);
            for (std::size_t i = 0; i < row.size(); ++i) {
                std::string pad(widths[i] - width(row[i]), ' ');
                line += (i == 0 ? "" : "  ") + (right[i] ? pad + row[i] : row[i] + pad);
            }
            while (!line.empty() && line.back() == ' ') line.pop_back();
            out += line + "\n";
        }
        return out;
    }
    bool empty() const { return rows_.size() <= 1; }

private:
    std::vector<std::vector<std::string>> rows_;
};

std::string countTable(std::string_view title, const std::vector<ReportCount>& counts,
                       const char* unit = "tickets") {
    if (counts.empty()) return "";
    Table t({std::string(title), unit});
    for (const auto& c : counts) t.add({c.key, std::to_string(c.count)});
    return t.str("    ");
}

std::string heading(std::string_view title) {
    return "\n" + std::string(title) + "\n" + std::string(width(title), '=') + "\n";
}

void statsRow(Table& t, const char* what, const DurationStats& s) {
    t.add({what, std::to_string(s.count), formatDuration(s.median), formatDuration(s.p90), formatDuration(s.mean)});
}

std::string periodText(const ReportData& r) {
    return reportDate(r.filter.since, false) + " to " + reportDate(r.filter.until - 1, false) +
           (r.filter.queue.empty() ? "" : ", queue " + r.filter.queue);
}

// --- text ---------------------------------------------------------------------------------

std::string textVolumes(const ReportData& r) {
    const auto& v = r.volumes;
    std::string out = heading("Volumes");
    out += "  created " + std::to_string(v.created) + ", resolved " + std::to_string(v.resolved) + ", closed " +
           std::to_string(v.closed) + ", reopened " + std::to_string(v.reopened) + "\n\n";
    Table weeks({"week of", "created", "resolved", "closed", "reopened"});
    for (const auto& w : v.per_week)
        weeks.add({w.start, std::to_string(w.created), std::to_string(w.resolved), std::to_string(w.closed),
                   std::to_string(w.reopened)});
    if (!weeks.empty()) out += weeks.str() + "\n";
    Table days({"day", "created", "resolved", "closed", "reopened"});
    for (const auto& d : v.per_day)
        days.add({d.start, std::to_string(d.created), std::to_string(d.resolved), std::to_string(d.closed),
                  std::to_string(d.reopened)});
    if (!days.empty()) out += days.str() + "\n";
    out += "  Created tickets by\n";
    for (auto [title, counts] : {std::pair{"queue", &v.by_queue}, std::pair{"priority", &v.by_priority},
                                 std::pair{"category", &v.by_category}, std::pair{"tag", &v.by_tag},
                                 std::pair{"mailbox", &v.by_mailbox}})
        if (auto t = countTable(title, *counts); !t.empty()) out += t + "\n";
    return out;
}

std::string textBacklog(const ReportData& r) {
    const auto& b = r.backlog;
    std::string out = heading("Backlog now");
    out += "  " + std::to_string(b.total) + " open or pending";
    if (b.oldest_number)
        out += "; oldest #" + std::to_string(*b.oldest_number) + ", " + formatDuration(b.oldest_age_seconds) + " old";
    out += "\n\n";
    for (auto [title, counts] : {std::pair{"status", &b.by_status}, std::pair{"priority", &b.by_priority},
                                 std::pair{"queue", &b.by_queue}, std::pair{"assignee", &b.by_assignee}})
        if (auto t = countTable(title, *counts); !t.empty()) out += t + "\n";
    return out;
}

std::string textTimes(const ReportData& r) {
    std::string out = heading("Response and resolution times");
    Table t({"", "tickets", "median", "p90", "mean"});
    statsRow(t, "first response (wall)", r.times.first_response_wall);
    statsRow(t, "first response (business)", r.times.first_response_business);
    statsRow(t, "resolution (wall)", r.times.resolution_wall);
    statsRow(t, "resolution (business)", r.times.resolution_business);
    out += t.str() + "\n";
    Table h({"wall time", "first responses", "resolutions"});
    for (const auto& b : r.times.histogram)
        h.add({b.label, std::to_string(b.first_response), std::to_string(b.resolution)});
    return out + h.str();
}

std::string textSla(const ReportData& r) {
    const auto& s = r.sla;
    std::string out = heading("SLA");
    Table t({"target", "met", "decided", "share met"});
    t.add({"first response", std::to_string(s.first_response_met), std::to_string(s.first_response_total),
           percent(s.first_response_met, s.first_response_total)});
    t.add({"resolution", std::to_string(s.resolution_met), std::to_string(s.resolution_total),
           percent(s.resolution_met, s.resolution_total)});
    out += t.str() + "\n";
    for (auto [title, rows] : {std::pair{"breaches by queue", &s.breaches_by_queue},
                               std::pair{"breaches by team", &s.breaches_by_team}}) {
        if (rows->empty()) continue;
        Table b({title, "first response", "resolution"});
        for (const auto& row : *rows)
            b.add({row.key, std::to_string(row.first_response), std::to_string(row.resolution)});
        out += b.str("    ") + "\n";
    }
    out += "  At risk (due within " + std::to_string(s.at_risk_hours) + "h): " + std::to_string(s.at_risk.size()) + "\n";
    if (!s.at_risk.empty()) {
        Table a({"ticket", "due (UTC)", "target", "queue", "assignee"});
        for (const auto& row : s.at_risk)
            a.add({"#" + std::to_string(row.number), reportDate(row.due, true), row.target, row.queue,
                   row.assignee.empty() ? "(nobody)" : row.assignee});
        out += a.str("    ");
    }
    return out;
}

std::string textAgents(const ReportData& r) {
    std::string out = heading("Agents");
    if (r.agents.empty()) return out + "  (no agent activity)\n";
    Table t({"agent", "handled", "replies", "median first response", "rating", "ratings"});
    for (const auto& a : r.agents)
        t.add({a.name, std::to_string(a.handled), std::to_string(a.replies), formatDuration(a.median_first_response),
               optNumber(a.average_rating), std::to_string(a.ratings)});
    return out + t.str();
}

std::string textSatisfaction(const ReportData& r) {
    const auto& s = r.satisfaction;
    std::string out = heading("Satisfaction");
    out += "  average " + optNumber(s.average) + " of 5; " + std::to_string(s.rated) + " ratings from " +
           std::to_string(s.requested) + " questions (" + percent(s.rated, s.requested) + " answered)\n\n";
    Table t({"rating", "count"});
    for (int i = 5; i >= 1; --i) t.add({std::string(static_cast<std::size_t>(i), '*'), std::to_string(s.distribution[static_cast<std::size_t>(i - 1)])});
    return out + t.str();
}

std::string textTraffic(const ReportData& r) {
    const auto& t = r.traffic;
    std::string out = heading("Incoming customer mail (" + t.timezone + ")");
    Table w({"weekday", "mails"});
    for (std::size_t i = 0; i < 7; ++i) w.add({kReportWeekdays[i], std::to_string(t.by_weekday[i])});
    out += w.str() + "\n";
    Table h({"hour", "mails"});
    for (std::size_t i = 0; i < 24; ++i) {
        if (t.by_hour[i] == 0) continue;
        char label[16];
        std::snprintf(label, sizeof label, "%02zu:00", i);
        h.add({label, std::to_string(t.by_hour[i])});
    }
    return out + (h.empty() ? "  (no mail)\n" : h.str());
}

std::string textHygiene(const ReportData& r) {
    const auto& h = r.hygiene;
    std::string out = heading("Mail hygiene");
    out += "  bounces " + std::to_string(h.bounces) + ", auto-replies (not answered) " + std::to_string(h.auto_replies) +
           ", quarantined " + std::to_string(h.quarantined) + "\n";
    if (auto t = countTable("quarantine reason", h.quarantined_by_reason, "mails"); !t.empty()) out += "\n" + t;
    return out;
}

// --- JSON ---------------------------------------------------------------------------------

json countsJson(const std::vector<ReportCount>& counts) {
    json out = json::object();
    for (const auto& c : counts) out[c.key] = c.count;
    return out;
}
json optJson(const std::optional<std::int64_t>& v) { return v ? json(*v) : json(nullptr); }
json optJson(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json statsJson(const DurationStats& s) {
    return {{"count", s.count}, {"median_seconds", optJson(s.median)}, {"p90_seconds", optJson(s.p90)},
            {"mean_seconds", optJson(s.mean)}};
}

json periodsJson(const std::vector<ReportPeriodVolume>& rows) {
    json out = json::array();
    for (const auto& p : rows)
        out.push_back({{"start", p.start}, {"created", p.created}, {"resolved", p.resolved}, {"closed", p.closed},
                       {"reopened", p.reopened}});
    return out;
}

json breachesJson(const std::vector<ReportBreach>& rows) {
    json out = json::object();
    for (const auto& b : rows) out[b.key] = {{"first_response", b.first_response}, {"resolution", b.resolution}};
    return out;
}

// --- CSV ----------------------------------------------------------------------------------

class Csv {
public:
    Csv() { line({"section", "dimension", "key", "metric", "value"}); }
    void add(std::string_view section, std::string_view dimension, std::string_view key, std::string_view metric,
             const std::string& value) {
        line({section, dimension, key, metric, value});
    }
    void add(std::string_view section, std::string_view dimension, std::string_view key, std::string_view metric,
             std::int64_t value) {
        add(section, dimension, key, metric, std::to_string(value));
    }
    void add(std::string_view section, std::string_view dimension, std::string_view key, std::string_view metric,
             const std::optional<std::int64_t>& value) {
        add(section, dimension, key, metric, value ? std::to_string(*value) : std::string());
    }
    void counts(std::string_view section, std::string_view dimension, const std::vector<ReportCount>& rows) {
        for (const auto& c : rows) add(section, dimension, c.key, "tickets", c.count);
    }
    void stats(std::string_view dimension, const DurationStats& s) {
        add("times", dimension, "", "count", s.count);
        add("times", dimension, "", "median_seconds", s.median);
        add("times", dimension, "", "p90_seconds", s.p90);
        add("times", dimension, "", "mean_seconds", s.mean);
    }
    const std::string& str() const { return out_; }

private:
    void line(std::initializer_list<std::string_view> fields) {
        bool first = true;
        for (auto f : fields) {
            if (!first) out_ += ',';
            out_ += csvField(f);
            first = false;
        }
        out_ += "\r\n";  // RFC 4180 §2.1: CRLF line ends
    }
    std::string out_;
};

}  // namespace

std::optional<ReportFormat> parseReportFormat(std::string_view name) {
    if (name == "text") return ReportFormat::text;
    if (name == "json") return ReportFormat::json;
    if (name == "csv") return ReportFormat::csv;
    if (name == "html") return ReportFormat::html;
    return std::nullopt;
}

std::string oneDecimal(double value) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", value);
    return buf;
}

std::string percent(std::int64_t part, std::int64_t whole, std::string_view none) {
    if (whole == 0) return std::string(none);
    return oneDecimal(100.0 * static_cast<double>(part) / static_cast<double>(whole)) + "%";
}

std::string csvField(std::string_view value) {
    // RFC 4180 §2.6/2.7: fields with commas, quotes or line breaks are quoted, quotes doubled.
    // Leading/trailing spaces are quoted too, so no reader trims them.
    bool quote = value.find_first_of(",\"\r\n") != std::string_view::npos ||
                 (!value.empty() && (value.front() == ' ' || value.back() == ' '));
    if (!quote) return std::string(value);
    std::string out = "\"";
    for (char c : value) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string htmlEscape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
    return out;
}

std::string formatDuration(std::optional<std::int64_t> seconds) {
    if (!seconds) return "-";
    std::int64_t s = *seconds;
    std::string sign = s < 0 ? "-" : "";
    if (s < 0) s = -s;
    char buf[48];
    if (s >= 86400)
        std::snprintf(buf, sizeof buf, "%lldd %lldh", static_cast<long long>(s / 86400),
                      static_cast<long long>(s % 86400 / 3600));
    else if (s >= 3600)
        std::snprintf(buf, sizeof buf, "%lldh %02lldm", static_cast<long long>(s / 3600),
                      static_cast<long long>(s % 3600 / 60));
    else if (s >= 60)
        std::snprintf(buf, sizeof buf, "%lldm %02llds", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
    else
        std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(s));
    return sign + buf;
}

std::string reportDate(std::int64_t unix_seconds, bool with_time) {
    std::time_t tt = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, with_time ? "%Y-%m-%d %H:%M" : "%Y-%m-%d", &tm);
    return buf;
}

std::string renderReportText(const ReportData& r) {
    std::string out = "deskgate report: " + periodText(r) + " (generated " + reportDate(r.generated_at, true) +
                      " UTC)\n";
    out += textVolumes(r);
    out += textBacklog(r);
    out += textTimes(r);
    out += textSla(r);
    out += textAgents(r);
    out += textSatisfaction(r);
    out += textTraffic(r);
    out += textHygiene(r);
    return out;
}

std::string renderReportJson(const ReportData& r) {
    json out;
    out["period"] = {{"since", reportDate(r.filter.since, true)}, {"until", reportDate(r.filter.until, true)},
                     {"since_unix", r.filter.since}, {"until_unix", r.filter.until},
                     {"queue", r.filter.queue.empty() ? json(nullptr) : json(r.filter.queue)}};
    out["generated_at"] = r.generated_at;
    const auto& v = r.volumes;
    out["volumes"] = {{"created", v.created},          {"resolved", v.resolved},
                      {"closed", v.closed},            {"reopened", v.reopened},
                      {"per_day", periodsJson(v.per_day)}, {"per_week", periodsJson(v.per_week)},
                      {"by_queue", countsJson(v.by_queue)}, {"by_priority", countsJson(v.by_priority)},
                      {"by_category", countsJson(v.by_category)}, {"by_tag", countsJson(v.by_tag)},
                      {"by_mailbox", countsJson(v.by_mailbox)}};
    const auto& b = r.backlog;
    out["backlog"] = {{"total", b.total},
                      {"by_status", countsJson(b.by_status)},
                      {"by_priority", countsJson(b.by_priority)},
                      {"by_queue", countsJson(b.by_queue)},
                      {"by_assignee", countsJson(b.by_assignee)},
                      {"oldest_number", optJson(b.oldest_number)},
                      {"oldest_age_seconds", optJson(b.oldest_age_seconds)}};
    json histogram = json::array();
    for (const auto& h : r.times.histogram)
        histogram.push_back({{"label", h.label}, {"from_seconds", h.from}, {"to_seconds", optJson(h.to)},
                             {"first_response", h.first_response}, {"resolution", h.resolution}});
    out["times"] = {{"first_response_wall", statsJson(r.times.first_response_wall)},
                    {"first_response_business", statsJson(r.times.first_response_business)},
                    {"resolution_wall", statsJson(r.times.resolution_wall)},
                    {"resolution_business", statsJson(r.times.resolution_business)},
                    {"histogram", histogram}};
    const auto& s = r.sla;
    json atRisk = json::array();
    for (const auto& a : s.at_risk)
        atRisk.push_back({{"number", a.number}, {"subject", a.subject}, {"queue", a.queue}, {"assignee", a.assignee},
                          {"target", a.target}, {"due", reportDate(a.due, true)}, {"due_unix", a.due}});
    out["sla"] = {{"first_response", {{"met", s.first_response_met}, {"decided", s.first_response_total}}},
                  {"resolution", {{"met", s.resolution_met}, {"decided", s.resolution_total}}},
                  {"breaches_by_queue", breachesJson(s.breaches_by_queue)},
                  {"breaches_by_team", breachesJson(s.breaches_by_team)},
                  {"at_risk_hours", s.at_risk_hours},
                  {"at_risk", atRisk}};
    json agents = json::array();
    for (const auto& a : r.agents)
        agents.push_back({{"name", a.name}, {"handled", a.handled}, {"replies", a.replies},
                          {"median_first_response_seconds", optJson(a.median_first_response)},
                          {"average_rating", optJson(a.average_rating)}, {"ratings", a.ratings}});
    out["agents"] = agents;
    const auto& sat = r.satisfaction;
    json dist = json::object();
    for (std::size_t i = 0; i < 5; ++i) dist[std::to_string(i + 1)] = sat.distribution[i];
    out["satisfaction"] = {{"distribution", dist}, {"rated", sat.rated}, {"requested", sat.requested},
                           {"average", optJson(sat.average)}};
    json weekdays = json::object();
    for (std::size_t i = 0; i < 7; ++i) weekdays[kReportWeekdays[i]] = r.traffic.by_weekday[i];
    out["traffic"] = {{"timezone", r.traffic.timezone}, {"by_hour", r.traffic.by_hour}, {"by_weekday", weekdays}};
    const auto& h = r.hygiene;
    out["hygiene"] = {{"bounces", h.bounces}, {"auto_replies", h.auto_replies}, {"quarantined", h.quarantined},
                      {"quarantined_by_reason", countsJson(h.quarantined_by_reason)}};
    return out.dump(2) + "\n";
}

std::string renderReportCsv(const ReportData& r) {
    Csv csv;
    csv.add("period", "", "", "since", reportDate(r.filter.since, true));
    csv.add("period", "", "", "until", reportDate(r.filter.until, true));
    csv.add("period", "", "", "queue", r.filter.queue);
    const auto& v = r.volumes;
    for (auto [metric, n] : {std::pair{"created", v.created}, std::pair{"resolved", v.resolved},
                             std::pair{"closed", v.closed}, std::pair{"reopened", v.reopened}})
        csv.add("volumes", "total", "", metric, n);
    for (auto [dimension, rows] : {std::pair{"day", &v.per_day}, std::pair{"week", &v.per_week}})
        for (const auto& p : *rows) {
            csv.add("volumes", dimension, p.start, "created", p.created);
            csv.add("volumes", dimension, p.start, "resolved", p.resolved);
            csv.add("volumes", dimension, p.start, "closed", p.closed);
            csv.add("volumes", dimension, p.start, "reopened", p.reopened);
        }
    csv.counts("volumes", "queue", v.by_queue);
    csv.counts("volumes", "priority", v.by_priority);
    csv.counts("volumes", "category", v.by_category);
    csv.counts("volumes", "tag", v.by_tag);
    csv.counts("volumes", "mailbox", v.by_mailbox);
    const auto& b = r.backlog;
    csv.add("backlog", "total", "", "tickets", b.total);
    csv.counts("backlog", "status", b.by_status);
    csv.counts("backlog", "priority", b.by_priority);
    csv.counts("backlog", "queue", b.by_queue);
    csv.counts("backlog", "assignee", b.by_assignee);
    csv.add("backlog", "oldest", b.oldest_number ? std::to_string(*b.oldest_number) : "", "age_seconds",
            b.oldest_age_seconds);
    csv.stats("first_response_wall", r.times.first_response_wall);
    csv.stats("first_response_business", r.times.first_response_business);
    csv.stats("resolution_wall", r.times.resolution_wall);
    csv.stats("resolution_business", r.times.resolution_business);
    for (const auto& h : r.times.histogram) {
        csv.add("times", "histogram", h.label, "first_response", h.first_response);
        csv.add("times", "histogram", h.label, "resolution", h.resolution);
    }
    const auto& s = r.sla;
    csv.add("sla", "first_response", "", "met", s.first_response_met);
    csv.add("sla", "first_response", "", "decided", s.first_response_total);
    csv.add("sla", "resolution", "", "met", s.resolution_met);
    csv.add("sla", "resolution", "", "decided", s.resolution_total);
    for (auto [dimension, rows] : {std::pair{"breaches_by_queue", &s.breaches_by_queue},
                                   std::pair{"breaches_by_team", &s.breaches_by_team}})
        for (const auto& row : *rows) {
            csv.add("sla", dimension, row.key, "first_response", row.first_response);
            csv.add("sla", dimension, row.key, "resolution", row.resolution);
        }
    for (const auto& a : s.at_risk)
        csv.add("sla", "at_risk", std::to_string(a.number), a.target + "_due", reportDate(a.due, true));
    for (const auto& a : r.agents) {
        csv.add("agents", "agent", a.name, "handled", a.handled);
        csv.add("agents", "agent", a.name, "replies", a.replies);
        csv.add("agents", "agent", a.name, "median_first_response_seconds", a.median_first_response);
        csv.add("agents", "agent", a.name, "average_rating", a.average_rating ? oneDecimal(*a.average_rating) : "");
        csv.add("agents", "agent", a.name, "ratings", a.ratings);
    }
    const auto& sat = r.satisfaction;
    for (std::size_t i = 0; i < 5; ++i)
        csv.add("satisfaction", "rating", std::to_string(i + 1), "tickets", sat.distribution[i]);
    csv.add("satisfaction", "total", "", "rated", sat.rated);
    csv.add("satisfaction", "total", "", "requested", sat.requested);
    csv.add("satisfaction", "total", "", "average", sat.average ? oneDecimal(*sat.average) : "");
    for (std::size_t i = 0; i < 24; ++i) {
        char hour[8];
        std::snprintf(hour, sizeof hour, "%02zu", i);
        csv.add("traffic", "hour", hour, "mails", r.traffic.by_hour[i]);
    }
    for (std::size_t i = 0; i < 7; ++i) csv.add("traffic", "weekday", kReportWeekdays[i], "mails", r.traffic.by_weekday[i]);
    const auto& h = r.hygiene;
    csv.add("hygiene", "total", "", "bounces", h.bounces);
    csv.add("hygiene", "total", "", "auto_replies", h.auto_replies);
    csv.add("hygiene", "total", "", "quarantined", h.quarantined);
    csv.counts("hygiene", "quarantine_reason", h.quarantined_by_reason);
    return csv.str();
}

std::string renderReport(const ReportData& report, ReportFormat format) {
    switch (format) {
        case ReportFormat::text: return renderReportText(report);
        case ReportFormat::json: return renderReportJson(report);
        case ReportFormat::csv: return renderReportCsv(report);
        case ReportFormat::html: return renderReportHtml(report);
    }
    return renderReportText(report);
}

}  // namespace deskgate
