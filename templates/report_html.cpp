// The report as one self-contained HTML page: inline CSS and inline SVG charts, no scripts,
// no fonts, no outside URLs, so it can be opened from a mail or a file share as it is.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>

#include "templates/report_render.hpp"

namespace deskgate {

namespace {

// Colour-blind-safe pair (Okabe-Ito blue / orange) plus greys.
constexpr const char* kBlue = "#0072b2";
constexpr const char* kOrange = "#e69f00";
constexpr const char* kGreen = "#009e73";
constexpr const char* kRed = "#d55e00";

std::string pct(std::int64_t part, std::int64_t whole) { return percent(part, whole, "–"); }

// A "nice" axis maximum (1, 2, 5 × 10^n) at or above v.
std::int64_t niceMax(std::int64_t v) {
    if (v <= 5) return 5;
    std::int64_t step = 1;
    while (step * 10 <= v) step *= 10;
    for (std::int64_t m : {1, 2, 5, 10})
        if (m * step >= v) return m * step;
    return 10 * step;
}

struct Series {
    std::string name;
    const char* color;
    std::vector<std::int64_t> values;
};

std::string svgOpen(const std::string& id, int w, int h, const std::string& title) {
    return "<svg id=\"" + id + "\" class=\"chart\" viewBox=\"0 0 " +
           std::to_string(w) + " " + std::to_string(h) + "\" width=\"" + std::to_string(w) + "\" height=\"" +
           std::to_string(h) + "\" role=\"img\" aria-label=\"" + htmlEscape(title) + "\"><title>" + htmlEscape(title) + "</title>";
}

std::string legend(const std::vector<Series>& series, int x, int y) {
    std::string out;
    for (const auto& s : series) {
        out += "<rect x=\"" + std::to_string(x) + "\" y=\"" + std::to_string(y - 9) +
               "\" width=\"10\" height=\"10\" rx=\"2\" fill=\"" + s.color + "\"/><text x=\"" + std::to_string(x + 14) +
               "\" y=\"" + std::to_string(y) + "\" class=\"lg\">" + htmlEscape(s.name) + "</text>";
        x += 24 + static_cast<int>(s.name.size()) * 7;
    }
    return out;
}

// Grouped vertical bars: one group per label, one bar per series; y axis with 5 grid lines.
std::string barChart(const std::string& id, const std::string& title, const std::vector<std::string>& labels,
                     const std::vector<Series>& series, int w = 720, int h = 240) {
    const int left = 44, right = 12, top = 28, bottom = 40;
    const double plotW = w - left - right, plotH = h - top - bottom;
    std::int64_t maxValue = 0;
    for (const auto& s : series)
        for (auto v : s.values) maxValue = std::max(maxValue, v);
    const std::int64_t axisMax = niceMax(maxValue);
    std::string out = svgOpen(id, w, h, title);
    for (int i = 0; i <= 5; ++i) {
        double y = top + plotH - plotH * i / 5.0;
        out += "<line x1=\"" + std::to_string(left) + "\" x2=\"" + std::to_string(w - right) + "\" y1=\"" + oneDecimal(y) +
               "\" y2=\"" + oneDecimal(y) + "\" class=\"grid\"/><text x=\"" + std::to_string(left - 6) + "\" y=\"" +
               oneDecimal(y + 4) + "\" class=\"ax\" text-anchor=\"end\">" + std::to_string(axisMax * i / 5) + "</text>";
    }
    const std::size_t groups = std::max<std::size_t>(labels.size(), 1);
    const double groupW = plotW / static_cast<double>(groups);
    const double barW = std::max(1.0, groupW * 0.8 / static_cast<double>(std::max<std::size_t>(series.size(), 1)));
    // Label every k-th group so the labels never overlap (about 6.5 px per character at 11 px).
    std::size_t longest = 1;
    for (const auto& l : labels) longest = std::max(longest, l.size());
    const double labelW = 6.5 * static_cast<double>(longest) + 10.0;
    const std::size_t every = std::max<std::size_t>(1, static_cast<std::size_t>(std::ceil(labelW / groupW)));
    for (std::size_t g = 0; g < labels.size(); ++g) {
        const double x0 = left + groupW * static_cast<double>(g) + groupW * 0.1;
        for (std::size_t s = 0; s < series.size(); ++s) {
            const auto v = g < series[s].values.size() ? series[s].values[g] : 0;
            const double bh = axisMax == 0 ? 0 : plotH * static_cast<double>(v) / static_cast<double>(axisMax);
            out += "<rect x=\"" + oneDecimal(x0 + barW * static_cast<double>(s)) + "\" y=\"" + oneDecimal(top + plotH - bh) +
                   "\" width=\"" + oneDecimal(std::max(barW - 1.0, 1.0)) + "\" height=\"" + oneDecimal(bh) + "\" fill=\"" +
                   series[s].color + "\"><title>" + htmlEscape(labels[g] + " · " + series[s].name + ": " + std::to_string(v)) +
                   "</title></rect>";
        }
        if (g % every == 0)
            out += "<text x=\"" + oneDecimal(left + groupW * (static_cast<double>(g) + 0.5)) + "\" y=\"" +
                   std::to_string(h - bottom + 16) + "\" class=\"ax\" text-anchor=\"middle\">" + htmlEscape(labels[g]) +
                   "</text>";
    }
    out += "<line x1=\"" + std::to_string(left) + "\" x2=\"" + std::to_string(w - right) + "\" y1=\"" +
           oneDecimal(top + plotH) + "\" y2=\"" + oneDecimal(top + plotH) + "\" class=\"base\"/>";
    out += legend(series, left, 16);
    return out + "</svg>";
}

// Horizontal bars with the value at the end: one row per count.
std::string hbarChart(const std::string& id, const std::string& title, const std::vector<ReportCount>& rows,
                      const char* color, int w = 340) {
    const int rowH = 26, left = 96, top = 8;
    const int h = top * 2 + rowH * static_cast<int>(std::max<std::size_t>(rows.size(), 1));
    std::int64_t maxValue = 1;
    for (const auto& r : rows) maxValue = std::max(maxValue, r.count);
    const double plotW = w - left - 48;
    std::string out = svgOpen(id, w, h, title);
    if (rows.empty())
        out += "<text x=\"" + std::to_string(left) + "\" y=\"" + std::to_string(top + 17) + "\" class=\"ax\">none</text>";
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const double y = top + rowH * static_cast<double>(i);
        const double bw = plotW * static_cast<double>(rows[i].count) / static_cast<double>(maxValue);
        out += "<text x=\"" + std::to_string(left - 8) + "\" y=\"" + oneDecimal(y + 17) + "\" class=\"lb\" text-anchor=\"end\">" +
               htmlEscape(rows[i].key) + "</text><rect x=\"" + std::to_string(left) + "\" y=\"" + oneDecimal(y + 5) + "\" width=\"" +
               oneDecimal(std::max(bw, 1.0)) + "\" height=\"16\" rx=\"3\" fill=\"" + color + "\"/><text x=\"" +
               oneDecimal(left + std::max(bw, 1.0) + 6) + "\" y=\"" + oneDecimal(y + 17) + "\" class=\"lb\">" +
               std::to_string(rows[i].count) + "</text>";
    }
    return out + "</svg>";
}

// Share met / breached as one stacked bar per target.
std::string slaChart(const ReportSla& s) {
    const int w = 340, h = 128, left = 110, plotW = 180;
    std::string out = svgOpen("chart-sla", w, h, "SLA compliance");
    auto row = [&](int y, const char* label, std::int64_t met, std::int64_t total) {
        out += "<text x=\"" + std::to_string(left - 8) + "\" y=\"" + std::to_string(y + 14) +
               "\" class=\"lb\" text-anchor=\"end\">" + label + "</text>";
        if (total == 0) {
            out += "<rect x=\"" + std::to_string(left) + "\" y=\"" + std::to_string(y) + "\" width=\"" +
                   std::to_string(plotW) + "\" height=\"20\" rx=\"3\" class=\"empty\"/><text x=\"" +
                   std::to_string(left + plotW + 6) + "\" y=\"" + std::to_string(y + 14) + "\" class=\"lb\">–</text>";
            return;
        }
        const double metW = plotW * static_cast<double>(met) / static_cast<double>(total);
        out += "<rect x=\"" + std::to_string(left) + "\" y=\"" + std::to_string(y) + "\" width=\"" +
               std::to_string(plotW) + "\" height=\"20\" rx=\"3\" fill=\"" + kRed + "\"><title>breached: " +
               std::to_string(total - met) + "</title></rect><rect x=\"" + std::to_string(left) + "\" y=\"" +
               std::to_string(y) + "\" width=\"" + oneDecimal(metW) + "\" height=\"20\" rx=\"3\" fill=\"" + kGreen +
               "\"><title>met: " + std::to_string(met) + "</title></rect><text x=\"" + std::to_string(left + plotW + 6) +
               "\" y=\"" + std::to_string(y + 14) + "\" class=\"lb\">" + pct(met, total) + "</text>";
    };
    row(14, "first response", s.first_response_met, s.first_response_total);
    row(50, "resolution", s.resolution_met, s.resolution_total);
    out += legend({{"met", kGreen, {}}, {"breached", kRed, {}}}, left, 110);
    return out + "</svg>";
}

std::string card(const std::string& label, const std::string& value, const std::string& note = "") {
    return "<div class=\"card\"><div class=\"v\">" + htmlEscape(value) + "</div><div class=\"l\">" + htmlEscape(label) + "</div>" +
           (note.empty() ? "" : "<div class=\"n\">" + htmlEscape(note) + "</div>") + "</div>";
}

// A column holds figures when every cell starts with a digit or is a dash: right-aligned.
bool figures(const std::vector<std::vector<std::string>>& rows, std::size_t column) {
    if (column == 0) return false;
    for (const auto& row : rows) {
        if (column >= row.size()) continue;
        const std::string& cell = row[column];
        if (!cell.empty() && cell != "–" && !std::isdigit(static_cast<unsigned char>(cell[0]))) return false;
    }
    return true;
}

std::string table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
    std::vector<bool> right;
    for (std::size_t i = 0; i < header.size(); ++i) right.push_back(figures(rows, i));
    std::string out = "<table><thead><tr>";
    for (std::size_t i = 0; i < header.size(); ++i)
        out += (right[i] ? "<th class=\"n\">" : "<th>") + htmlEscape(header[i]) + "</th>";
    out += "</tr></thead><tbody>";
    for (const auto& row : rows) {
        out += "<tr>";
        for (std::size_t i = 0; i < row.size(); ++i)
            out += (i < right.size() && right[i] ? "<td class=\"n\">" : "<td>") + htmlEscape(row[i]) + "</td>";
        out += "</tr>";
    }
    if (rows.empty()) out += "<tr><td colspan=\"" + std::to_string(header.size()) + "\" class=\"none\">none</td></tr>";
    return out + "</tbody></table>";
}

std::string countsTable(const std::string& title, const std::vector<ReportCount>& counts,
                        const char* unit = "tickets") {
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : counts) rows.push_back({c.key, std::to_string(c.count)});
    return "<div class=\"tbl\"><h3>" + htmlEscape(title) + "</h3>" + table({"", unit}, rows) + "</div>";
}

const char* kStyle = R"css(
:root{--fg:#1d2430;--mut:#5b6472;--bg:#f5f7fa;--card:#fff;--line:#e3e7ee}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header{background:#1d2a3a;color:#fff;padding:22px 32px}
header h1{margin:0;font-size:22px;font-weight:600}
header p{margin:4px 0 0;color:#c6d0dd}
main{max-width:1120px;margin:0 auto;padding:20px 24px 40px}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 20px;margin:16px 0}
h2{font-size:17px;margin:0 0 12px}
h3{font-size:13px;margin:0 0 6px;color:var(--mut);font-weight:600;text-transform:uppercase;letter-spacing:.03em}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(128px,1fr));gap:12px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 14px}
.card .v{font-size:24px;font-weight:650}
.card .l{color:var(--mut);font-size:12px;text-transform:uppercase;letter-spacing:.03em}
.card .n{color:var(--mut);font-size:12px}
.row{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
.tbl{min-width:200px}
table{border-collapse:collapse;font-size:13px}
th,td{padding:4px 10px;border-bottom:1px solid var(--line);text-align:left}
th{color:var(--mut);font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
td.none{color:var(--mut);font-style:italic}
svg.chart{max-width:100%;height:auto;display:block}
svg .grid{stroke:#e9edf2}
svg .base{stroke:#9aa4b2}
svg .ax{fill:#5b6472;font-size:11px}
svg .lb{fill:#1d2430;font-size:12px}
svg .lg{fill:#1d2430;font-size:12px}
svg .empty{fill:#e9edf2}
footer{color:var(--mut);font-size:12px;text-align:center;margin-top:24px}
)css";

std::string volumeSection(const ReportData& r) {
    const auto& v = r.volumes;
    // Days when the period is short enough to read them, weeks otherwise.
    const bool byDay = v.per_day.size() <= 62;
    const auto& rows = byDay ? v.per_day : v.per_week;
    std::vector<std::string> labels;
    Series created{"created", kBlue, {}}, resolved{"resolved", kGreen, {}}, reopened{"reopened", kOrange, {}};
    for (const auto& p : rows) {
        labels.push_back(byDay ? p.start.substr(5) : p.start);
        created.values.push_back(p.created);
        resolved.values.push_back(p.resolved);
        reopened.values.push_back(p.reopened);
    }
    std::string out = "<section id=\"volumes\"><h2>Volume over time" + std::string(byDay ? " (per day)" : " (per week)") +
                      "</h2>";
    out += barChart("chart-volume", "Tickets created, resolved and reopened", labels, {created, resolved, reopened},
                    1020, 240);
    out += "<div class=\"row\">" + countsTable("by queue", v.by_queue) + countsTable("by priority", v.by_priority) +
           countsTable("by category", v.by_category) + countsTable("by tag", v.by_tag) +
           countsTable("by mailbox", v.by_mailbox) + "</div></section>";
    return out;
}

std::string backlogSection(const ReportData& r) {
    const auto& b = r.backlog;
    std::string out = "<section id=\"backlog\"><h2>Backlog now</h2><div class=\"row\"><div><h3>by status</h3>" +
                      hbarChart("chart-backlog", "Backlog by status", b.by_status, kBlue) + "</div>";
    out += countsTable("by priority", b.by_priority) + countsTable("by queue", b.by_queue) +
           countsTable("by assignee", b.by_assignee) + "</div>";
    if (b.oldest_number)
        out += "<p>Oldest: #" + std::to_string(*b.oldest_number) + ", " + htmlEscape(formatDuration(b.oldest_age_seconds)) +
               " old.</p>";
    return out + "</section>";
}

std::string timesSection(const ReportData& r) {
    std::vector<std::string> labels;
    Series first{"first response", kBlue, {}}, resolution{"resolution", kOrange, {}};
    for (const auto& b : r.times.histogram) {
        labels.push_back(b.label);
        first.values.push_back(b.first_response);
        resolution.values.push_back(b.resolution);
    }
    auto row = [](const char* what, const DurationStats& s) {
        return std::vector<std::string>{what, std::to_string(s.count), formatDuration(s.median), formatDuration(s.p90),
                                        formatDuration(s.mean)};
    };
    std::string out = "<section id=\"times\"><h2>Response and resolution times</h2><div class=\"row\"><div>" +
                      barChart("chart-times", "Distribution of first response and resolution times (wall)", labels,
                               {first, resolution}, 500, 240) +
                      "</div><div class=\"tbl\">";
    out += table({"", "tickets", "median", "p90", "mean"},
                 {row("first response (wall)", r.times.first_response_wall),
                  row("first response (business)", r.times.first_response_business),
                  row("resolution (wall)", r.times.resolution_wall),
                  row("resolution (business)", r.times.resolution_business)});
    return out + "</div></div></section>";
}

std::string slaSection(const ReportData& r) {
    const auto& s = r.sla;
    std::vector<std::vector<std::string>> queues, teams, risk;
    for (const auto& b : s.breaches_by_queue)
        queues.push_back({b.key, std::to_string(b.first_response), std::to_string(b.resolution)});
    for (const auto& b : s.breaches_by_team)
        teams.push_back({b.key, std::to_string(b.first_response), std::to_string(b.resolution)});
    for (const auto& a : s.at_risk)
        risk.push_back({"#" + std::to_string(a.number) + " " + a.subject, reportDate(a.due, true) + " UTC", a.target,
                        a.queue, a.assignee.empty() ? "(nobody)" : a.assignee});
    std::string out = "<section id=\"sla\"><h2>SLA</h2><div class=\"row\"><div>" + slaChart(s) + "</div>";
    out += "<div class=\"tbl\"><h3>breaches by queue</h3>" + table({"queue", "first response", "resolution"}, queues) +
           "</div><div class=\"tbl\"><h3>breaches by team</h3>" + table({"team", "first response", "resolution"}, teams) +
           "</div></div>";
    out += "<h3>at risk: due within " + std::to_string(s.at_risk_hours) + "h (" + std::to_string(s.at_risk.size()) +
           ")</h3>" + table({"ticket", "due", "target", "queue", "assignee"}, risk);
    return out + "</section>";
}

std::string agentsAndSatisfaction(const ReportData& r) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& a : r.agents)
        rows.push_back({a.name, std::to_string(a.handled), std::to_string(a.replies),
                        formatDuration(a.median_first_response), a.average_rating ? oneDecimal(*a.average_rating) : "–",
                        std::to_string(a.ratings)});
    const auto& s = r.satisfaction;
    std::vector<std::string> labels;
    Series ratings{"ratings", kOrange, {}};
    for (std::size_t i = 0; i < 5; ++i) {
        labels.push_back(std::to_string(i + 1) + " ★");
        ratings.values.push_back(s.distribution[i]);
    }
    std::string out = "<section id=\"agents\"><h2>Agents</h2>" +
                      table({"agent", "handled", "replies", "median first response", "avg rating", "ratings"}, rows) +
                      "</section>";
    out += "<section id=\"satisfaction\"><h2>Satisfaction</h2><div class=\"row\"><div>" +
           barChart("chart-ratings", "Ratings", labels, {ratings}, 420, 220) + "</div><div class=\"tbl\">" +
           table({"", ""}, {{"average", s.average ? oneDecimal(*s.average) + " of 5" : "–"},
                            {"ratings", std::to_string(s.rated)},
                            {"questions asked", std::to_string(s.requested)},
                            {"response rate", pct(s.rated, s.requested)}}) +
           "</div></div></section>";
    return out;
}

std::string trafficAndHygiene(const ReportData& r) {
    const auto& t = r.traffic;
    std::vector<std::string> hours, days;
    Series byHour{"mails", kBlue, {}}, byDay{"mails", kBlue, {}};
    for (std::size_t i = 0; i < 24; ++i) {
        char label[8];
        std::snprintf(label, sizeof label, "%02zu", i);
        hours.push_back(label);
        byHour.values.push_back(t.by_hour[i]);
    }
    for (std::size_t i = 0; i < 7; ++i) {
        days.push_back(kReportWeekdays[i]);
        byDay.values.push_back(t.by_weekday[i]);
    }
    std::string out = "<section id=\"traffic\"><h2>Incoming customer mail by hour and weekday (" + htmlEscape(t.timezone) +
                      ")</h2><div class=\"row\"><div>" +
                      barChart("chart-hours", "Incoming mail by hour", hours, {byHour}, 620, 200) + "</div><div>" +
                      barChart("chart-weekdays", "Incoming mail by weekday", days, {byDay}, 320, 200) +
                      "</div></div></section>";
    const auto& h = r.hygiene;
    out += "<section id=\"hygiene\"><h2>Mail hygiene</h2><div class=\"row\"><div class=\"tbl\">" +
           table({"", ""}, {{"bounces", std::to_string(h.bounces)},
                            {"auto-replies (not answered)", std::to_string(h.auto_replies)},
                            {"quarantined", std::to_string(h.quarantined)}}) +
           "</div>" + countsTable("quarantined by reason", h.quarantined_by_reason, "mails") + "</div></section>";
    return out;
}

}  // namespace

std::string renderReportHtml(const ReportData& r) {
    const std::string period = reportDate(r.filter.since, false) + " – " + reportDate(r.filter.until - 1, false) +
                               (r.filter.queue.empty() ? "" : " · queue " + r.filter.queue);
    std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                      "<title>deskgate report " + htmlEscape(period) + "</title><style>" + kStyle + "</style></head><body>";
    out += "<header><h1>Help desk report</h1><p>" + htmlEscape(period) + " · generated " +
           htmlEscape(reportDate(r.generated_at, true)) + " UTC</p></header><main>";
    const auto& s = r.sla;
    out += "<div class=\"cards\">" + card("created", std::to_string(r.volumes.created)) +
           card("resolved", std::to_string(r.volumes.resolved)) + card("backlog now", std::to_string(r.backlog.total)) +
           card("median first response", formatDuration(r.times.first_response_wall.median), "wall time") +
           card("first response SLA met", pct(s.first_response_met, s.first_response_total)) +
           card("resolution SLA met", pct(s.resolution_met, s.resolution_total)) +
           card("average rating", r.satisfaction.average ? oneDecimal(*r.satisfaction.average) : "–",
                std::to_string(r.satisfaction.rated) + " ratings") +
           "</div>";
    out += volumeSection(r) + backlogSection(r) + timesSection(r) + slaSection(r) + agentsAndSatisfaction(r) +
           trafficAndHygiene(r);
    out += "<footer>deskgate report · percentiles are nearest-rank · business time in each ticket's SLA calendar"
           "</footer></main></body></html>\n";
    return out;
}

}  // namespace deskgate
