// Rendering of the report: CSV quoting (RFC 4180), HTML escaping, a page without outside
// resources, well-formed SVG, aligned text, JSON that parses back.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "templates/report_render.hpp"

using namespace deskgate;

namespace {

// A report with hostile names in it: markup, quotes, commas, line breaks, UTF-8.
ReportData sample() {
    ReportData r;
    r.filter = {1'794'787'200, 1'794'787'200 + 7 * 86400, ""};
    r.generated_at = 1'794'787'200 + 7 * 86400;
    r.volumes.created = 12;
    r.volumes.resolved = 9;
    r.volumes.per_day = {{"2026-11-16", 5, 2, 1, 0}, {"2026-11-17", 7, 7, 0, 1}};
    r.volumes.per_week = {{"2026-11-16", 12, 9, 1, 1}};
    r.volumes.by_queue = {{"<script>alert(\"x\")</script>", 7}, {"billing, EU", 5}};
    r.volumes.by_tag = {{"line\nbreak", 2}, {"Müller", 1}};
    r.backlog.total = 3;
    r.backlog.by_status = {{"open", 2}, {"pending", 1}};
    r.backlog.by_assignee = {{"anna", 3}};
    r.times.first_response_wall = {9, 1800, 7200, 2500};
    r.times.histogram = {{"< 15m", 0, 900, 3, 0}, {">= 3d", 259200, std::nullopt, 0, 2}};
    r.sla.first_response_met = 7;
    r.sla.first_response_total = 9;
    r.sla.at_risk = {{1042, "Rechnung \"falsch\" & <dringend>", "billing", "", "first_response", 1'794'800'000}};
    r.agents = {{"anna", 5, 4, 1800, 4.5, 2}};
    r.satisfaction.distribution = {0, 1, 0, 2, 5};
    r.satisfaction.rated = 8;
    r.satisfaction.requested = 10;
    r.satisfaction.average = 4.25;
    r.traffic.timezone = "Europe/Berlin";
    r.traffic.by_hour[9] = 4;
    r.traffic.by_weekday[0] = 4;
    r.hygiene.quarantined = 1;
    r.hygiene.quarantined_by_reason = {{"mail_loop", 1}};
    return r;
}

std::size_t occurrences(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
    return n;
}

// Well-formedness of the markup inside each <svg>: every element closed, in order.
void checkSvgWellFormed(const std::string& html) {
    std::size_t pos = 0;
    int charts = 0;
    while ((pos = html.find("<svg", pos)) != std::string::npos) {
        auto end = html.find("</svg>", pos);
        REQUIRE(end != std::string::npos);
        std::string svg = html.substr(pos, end + 6 - pos);
        std::vector<std::string> stack;
        for (std::size_t i = svg.find('<'); i != std::string::npos; i = svg.find('<', i + 1)) {
            auto close = svg.find('>', i);
            REQUIRE(close != std::string::npos);
            std::string tag = svg.substr(i + 1, close - i - 1);
            CHECK(tag.find('<') == std::string::npos);
            if (tag.back() == '/') continue;  // <rect .../>
            if (tag.front() == '/') {
                REQUIRE_FALSE(stack.empty());
                CHECK(stack.back() == tag.substr(1));
                stack.pop_back();
            } else {
                stack.push_back(tag.substr(0, tag.find(' ')));
            }
        }
        CHECK(stack.empty());
        ++charts;
        pos = end;
    }
    CHECK(charts >= 5);
}

}  // namespace

TEST_CASE("CSV fields are quoted as RFC 4180 says") {
    CHECK(csvField("plain") == "plain");
    CHECK(csvField("") == "");
    CHECK(csvField("a,b") == "\"a,b\"");
    CHECK(csvField("say \"hi\"") == "\"say \"\"hi\"\"\"");
    CHECK(csvField("two\nlines") == "\"two\nlines\"");
    CHECK(csvField("cr\rlf") == "\"cr\rlf\"");
    CHECK(csvField(" padded") == "\" padded\"");
    CHECK(csvField("Müller") == "Müller");
}

TEST_CASE("the CSV report: one header, a section column, CRLF rows, hostile names quoted") {
    auto csv = renderReportCsv(sample());
    CHECK(csv.rfind("section,dimension,key,metric,value\r\n", 0) == 0);
    CHECK(csv.find("volumes,total,,created,12\r\n") != std::string::npos);
    CHECK(csv.find("volumes,queue,\"billing, EU\",tickets,5\r\n") != std::string::npos);
    CHECK(csv.find("volumes,queue,\"<script>alert(\"\"x\"\")</script>\",tickets,7\r\n") != std::string::npos);
    CHECK(csv.find("volumes,tag,\"line\nbreak\",tickets,2\r\n") != std::string::npos);
    CHECK(csv.find("times,first_response_wall,,median_seconds,1800\r\n") != std::string::npos);
    CHECK(csv.find("times,first_response_business,,median_seconds,\r\n") != std::string::npos);  // none: empty
    CHECK(csv.find("agents,agent,anna,average_rating,4.5\r\n") != std::string::npos);
    CHECK(csv.find("satisfaction,rating,5,tickets,5\r\n") != std::string::npos);
    CHECK(csv.find("traffic,weekday,Mon,mails,4\r\n") != std::string::npos);
    // Every record has five fields: count commas outside quotes per record.
    std::size_t fields = 1, records = 0;
    bool quoted = false;
    for (std::size_t i = 0; i < csv.size(); ++i) {
        char c = csv[i];
        if (c == '"') quoted = !quoted;
        else if (!quoted && c == ',') ++fields;
        else if (!quoted && c == '\r' && i + 1 < csv.size() && csv[i + 1] == '\n') {
            CHECK(fields == 5);
            fields = 1;
            ++records;
            ++i;
        }
    }
    CHECK(records > 50);
}

TEST_CASE("HTML escaping") {
    CHECK(htmlEscape("<a href=\"x\">Tom & 'Jerry'</a>") ==
          "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;");
}

TEST_CASE("the HTML report: escaped, self-contained, with well-formed SVG charts") {
    auto html = renderReportHtml(sample());
    CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
    CHECK(html.find("<script") == std::string::npos);  // the queue name is shown, not run
    CHECK(html.find("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") != std::string::npos);
    CHECK(html.find("Rechnung &quot;falsch&quot; &amp; &lt;dringend&gt;") != std::string::npos);
    // No outside resources of any kind.
    for (const char* outside : {"http:", "https:", "//", "src=", "href=", "@import", "url(", "<link", "<img", "<iframe"})
        CHECK_MESSAGE(html.find(outside) == std::string::npos, "found " << outside);
    for (const char* chart : {"chart-volume", "chart-backlog", "chart-times", "chart-sla", "chart-ratings", "chart-hours"})
        CHECK_MESSAGE(html.find("id=\"" + std::string(chart) + "\"") != std::string::npos, chart);
    CHECK(occurrences(html, "<svg") == occurrences(html, "</svg>"));
    checkSvgWellFormed(html);
    CHECK(html.find("77.8%") != std::string::npos);  // first response SLA 7 of 9
}

TEST_CASE("the text report: aligned tables") {
    auto text = renderReportText(sample());
    CHECK(text.find("deskgate report: 2026-11-16 to 2026-11-22") == 0);
    CHECK(text.find("  created 12, resolved 9, closed 0, reopened 0\n") != std::string::npos);
    CHECK(text.find("  day         created  resolved  closed  reopened\n"
                    "  2026-11-16        5         2       1         0\n"
                    "  2026-11-17        7         7       0         1\n") != std::string::npos);
    CHECK(text.find("  first response (wall)            9  30m 00s  2h 00m  41m 40s\n") != std::string::npos);
    CHECK(text.find("  first response    7        9      77.8%\n") != std::string::npos);
}

TEST_CASE("the JSON report parses and carries the figures") {
    auto j = nlohmann::json::parse(renderReportJson(sample()));
    CHECK(j["volumes"]["created"] == 12);
    CHECK(j["volumes"]["by_queue"]["billing, EU"] == 5);
    CHECK(j["times"]["first_response_wall"]["median_seconds"] == 1800);
    CHECK(j["times"]["first_response_business"]["median_seconds"].is_null());
    CHECK(j["sla"]["at_risk"][0]["number"] == 1042);
    CHECK(j["satisfaction"]["distribution"]["5"] == 5);
    CHECK(j["traffic"]["by_hour"][9] == 4);
    CHECK(j["agents"][0]["average_rating"] == 4.5);
}

TEST_CASE("durations read like people write them") {
    CHECK(formatDuration(std::nullopt) == "-");
    CHECK(formatDuration(45) == "45s");
    CHECK(formatDuration(250) == "4m 10s");
    CHECK(formatDuration(3900) == "1h 05m");
    CHECK(formatDuration(2 * 86400 + 3 * 3600 + 59) == "2d 3h");
}
