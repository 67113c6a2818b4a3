// `deskgate report` over a seeded desk (report_seed.hpp), every section against figures
// computed by hand, on SQLite and on PostgreSQL (the same suite twice).
#include <doctest/doctest.h>

#include "daemon/schedule/report_runner.hpp"
#include "report_seed.hpp"

using namespace deskgate;
using namespace deskgate::test;

namespace {

std::vector<ReportCount> counts(std::initializer_list<std::pair<const char*, std::int64_t>> list) {
    std::vector<ReportCount> out;
    for (auto [k, n] : list) out.push_back({k, n});
    return out;
}

ReportData reportOf(SeededDesk& desk, const std::string& queue = "") {
    ReportRequest request;
    request.filter = {kMonday, kMonday + 4 * kDay, queue};  // Mon 2026-11-16 .. Thu 2026-11-19
    request.now = desk.now;
    return queryReport(*desk.store, request, reportCalendars(desk.runtime->rules, "Europe/Berlin"));
}

/* The seeded history (T = Monday 00:00Z; office hours 09-17 Berlin = 08-16Z):
   #1001 old (week before), general/std/anna, pending            -> backlog only
   #1002 Mon 08:00Z billing/fast/ben: answered +30m, resolved Mon 12:00Z (rated 5),
         reopened Tue 09:00Z, resolved Tue 11:00Z; resolution due Mon 16:00Z -> breached
   #1003 Mon 16:30Z billing/fast/anna: answered Tue 08:30Z (wall 16h, business 30m), open;
         resolution due Tue 16:00Z -> breached
   #1004 Tue 10:00Z general/std/ben: answered +5h (> 4h: breached), closed Wed 10:00Z (rated 2)
   #1005 Wed 09:00Z billing/fast/anna: unanswered; first response due Wed 10:00Z, resolution
         due Thu 09:00Z -> both breached at "now" (Thu 12:00Z)
   #1006 Thu 11:00Z general/std/ben: first response due Thu 15:00Z -> at risk              */
void reportSuite(const std::string& database) {
    SeededDesk desk(database);
    desk.seed();
    const ReportData r = reportOf(desk);

    SUBCASE("volumes") {
        const auto& v = r.volumes;
        CHECK(v.created == 5);
        CHECK(v.resolved == 1);  // #1002 (its first resolution was undone by the reopen)
        CHECK(v.closed == 1);    // #1004
        CHECK(v.reopened == 1);  // #1002
        REQUIRE(v.per_day.size() == 4);
        CHECK(v.per_day[0] == ReportPeriodVolume{"2026-11-16", 2, 0, 0, 0});
        CHECK(v.per_day[1] == ReportPeriodVolume{"2026-11-17", 1, 1, 0, 1});
        CHECK(v.per_day[2] == ReportPeriodVolume{"2026-11-18", 1, 0, 1, 0});
        CHECK(v.per_day[3] == ReportPeriodVolume{"2026-11-19", 1, 0, 0, 0});
        REQUIRE(v.per_week.size() == 1);
        CHECK(v.per_week[0] == ReportPeriodVolume{"2026-11-16", 5, 1, 1, 1});
        CHECK(v.by_queue == counts({{"billing", 3}, {"general", 2}}));
        CHECK(v.by_priority == counts({{"high", 3}, {"normal", 2}}));
        CHECK(v.by_category == counts({{"billing", 3}, {"(none)", 2}}));
        CHECK(v.by_tag == counts({{"invoice", 3}, {"money", 3}, {"general", 2}}));
        CHECK(v.by_mailbox == counts({{"support", 5}}));
    }

    SUBCASE("backlog now") {
        const auto& b = r.backlog;
        CHECK(b.total == 4);
        CHECK(b.by_status == counts({{"open", 3}, {"pending", 1}}));
        CHECK(b.by_priority == counts({{"high", 2}, {"normal", 2}}));
        CHECK(b.by_queue == counts({{"billing", 2}, {"general", 2}}));
        CHECK(b.by_assignee == counts({{"anna", 3}, {"ben", 1}}));
        CHECK(b.oldest_number == 1001);
        CHECK(b.oldest_age_seconds == 3 * kDay + 12 * kHour + 7 * kDay - 8 * kHour);
    }

    SUBCASE("first response and resolution times, wall and business") {
        const auto& t = r.times;
        // wall first responses: 1800, 18000, 57600 -> median (rank 2) 18000, p90 (rank 3) 57600
        CHECK(t.first_response_wall == DurationStats{3, 18000, 57600, (1800 + 18000 + 57600) / 3});
        // business: #1002 1800, #1003 1800 (after hours until Tue 08:00Z), #1004 18000 (24x7)
        CHECK(t.first_response_business == DurationStats{3, 1800, 18000, (1800 + 1800 + 18000) / 3});
        // resolution (resolved or closed): #1004 86400, #1002 97200
        CHECK(t.resolution_wall == DurationStats{2, 86400, 97200, (86400 + 97200) / 2});
        // business: #1002 Mon 08-16Z (8h) + Tue 08-11Z (3h) = 39600; #1004 24x7 86400
        CHECK(t.resolution_business == DurationStats{2, 39600, 86400, (39600 + 86400) / 2});
        REQUIRE(t.histogram.size() == 7);
        CHECK(t.histogram[1].first_response == 1);  // 15m-1h: 1800
        CHECK(t.histogram[3].first_response == 1);  // 4h-8h: 18000
        CHECK(t.histogram[4].first_response == 1);  // 8h-24h: 57600
        CHECK(t.histogram[5].resolution == 2);      // 1d-3d: 86400, 97200
        std::int64_t all = 0;
        for (const auto& h : t.histogram) all += h.first_response + h.resolution;
        CHECK(all == 5);
    }

    SUBCASE("SLA") {
        const auto& s = r.sla;
        // first response: #1002 met, #1003 met, #1004 late, #1005 unanswered past due; #1006 running
        CHECK(s.first_response_met == 2);
        CHECK(s.first_response_total == 4);
        // resolution: #1004 met; #1002 late, #1003 and #1005 unresolved past due; #1006 running
        CHECK(s.resolution_met == 1);
        CHECK(s.resolution_total == 4);
        CHECK(s.breaches_by_queue == std::vector<ReportBreach>{{"billing", 1, 3}, {"general", 1, 0}});
        CHECK(s.breaches_by_team == std::vector<ReportBreach>{{"first", 2, 3}});
        REQUIRE(s.at_risk.size() == 1);
        CHECK(s.at_risk[0].number == 1006);
        CHECK(s.at_risk[0].target == "first_response");
        CHECK(s.at_risk[0].due == kMonday + 3 * kDay + 15 * kHour);
        CHECK(s.at_risk[0].assignee == "ben");
    }

    SUBCASE("agents") {
        REQUIRE(r.agents.size() == 2);
        CHECK(r.agents[0] == ReportAgent{"anna", 2, 1, 57600, std::nullopt, 0});
        CHECK(r.agents[1] == ReportAgent{"ben", 3, 2, 1800, 3.5, 2});  // median of 1800, 18000 (rank 1)
    }

    SUBCASE("satisfaction") {
        const auto& s = r.satisfaction;
        CHECK(s.distribution == std::array<std::int64_t, 5>{0, 1, 0, 0, 1});
        CHECK(s.rated == 2);
        CHECK(s.requested == 2);
        REQUIRE(s.average);
        CHECK(*s.average == doctest::Approx(3.5));
    }

    SUBCASE("busiest hours and weekdays of customer mail, in Berlin time") {
        const auto& t = r.traffic;
        CHECK(t.timezone == "Europe/Berlin");
        // new mails Mon 09:00, Mon 17:30, Tue 11:00, Wed 10:00, Thu 12:00; the reply Tue 10:00
        std::array<std::int64_t, 24> hours{};
        hours[9] = 1, hours[10] = 2, hours[11] = 1, hours[12] = 1, hours[17] = 1;
        CHECK(t.by_hour == hours);
        CHECK(t.by_weekday == std::array<std::int64_t, 7>{2, 2, 1, 1, 0, 0, 0});
    }

    SUBCASE("mail hygiene") {
        const auto& h = r.hygiene;
        CHECK(h.bounces == 1);
        CHECK(h.auto_replies == 1);
        CHECK(h.quarantined == 2);
        CHECK(h.quarantined_by_reason == counts({{"mail_loop", 1}, {"no_sender", 1}}));
    }

    SUBCASE("--queue billing limits every ticket section to the queue") {
        auto q = reportOf(desk, "billing");
        CHECK(q.volumes.created == 3);
        CHECK(q.volumes.reopened == 1);
        CHECK(q.backlog.total == 2);
        CHECK(q.times.first_response_wall == DurationStats{2, 1800, 57600, (1800 + 57600) / 2});
        CHECK(q.sla.first_response_met == 2);
        CHECK(q.sla.first_response_total == 3);
        CHECK(q.sla.at_risk.empty());
        CHECK(q.satisfaction.requested == 1);
        CHECK(q.hygiene.bounces == 0);  // the bounce was on #1004 (general)
        CHECK(q.traffic.by_weekday == std::array<std::int64_t, 7>{2, 1, 1, 0, 0, 0, 0});
    }

    SUBCASE("a period before anything happened is empty, not an error") {
        ReportRequest request;
        request.filter = {kMonday - 30 * kDay, kMonday - 20 * kDay, ""};
        request.now = desk.now;
        auto e = queryReport(*desk.store, request, reportCalendars(desk.runtime->rules, "UTC"));
        CHECK(e.volumes.created == 0);
        CHECK(e.volumes.per_day.empty());
        CHECK_FALSE(e.times.first_response_wall.median);
        CHECK(e.backlog.total == 4);  // the backlog is "now", whatever the period
        CHECK_FALSE(e.satisfaction.average);
    }
}

}  // namespace

TEST_CASE("report sections on SQLite") { reportSuite(""); }

TEST_CASE("report sections on PostgreSQL") {
    auto url = freshPostgresDatabase();
    if (!url) return;
    reportSuite(*url);
}

TEST_CASE("nearest-rank percentiles and quarantine reason kinds") {
    CHECK(nearestRankIndex(1, 0.5) == 0);
    CHECK(nearestRankIndex(2, 0.5) == 0);
    CHECK(nearestRankIndex(3, 0.5) == 1);
    CHECK(nearestRankIndex(10, 0.9) == 8);
    CHECK(nearestRankIndex(11, 0.9) == 9);
    CHECK(quarantineReasonKind("too_deep: MIME nesting over 20") == "too_deep");
    CHECK(quarantineReasonKind("own mail came back (mail loop): not taken in") == "mail_loop");
    CHECK(quarantineReasonKind("bounce that matches no ticket: kept for review, not answered") == "unmatched_bounce");
    CHECK(quarantineReasonKind("held for review by rule 'spam'") == "held_by_rule");
    CHECK(quarantineReasonKind("subject names ticket 7 but the sender is not part of it") == "foreign_token");
    CHECK(quarantineReasonKind("the mail names ticket 7 but the sender is not part of it") == "foreign_token");
    CHECK(quarantineReasonKind("held: 40 recipients in To and Cc (limit 20)") == "too_many_recipients");
    CHECK(quarantineReasonKind("Something: else") == "other");
}

TEST_CASE("report dates: days, date-times with zones, bad input") {
    CHECK(parseReportTime("2026-11-16") == kMonday);
    CHECK(parseReportTime("2026-11-16", true) == kMonday + kDay);
    CHECK(parseReportTime("2026-11-16T08:30") == kMonday + 8 * kHour + 1800);
    CHECK(parseReportTime("2026-11-16T08:30:15Z") == kMonday + 8 * kHour + 1815);
    CHECK(parseReportTime("2026-11-16T09:30:00+01:00") == kMonday + 8 * kHour + 1800);
    CHECK(parseReportTime("1794787200") == kMonday);
    CHECK_FALSE(parseReportTime("2026-02-30"));
    CHECK_FALSE(parseReportTime("16.11.2026"));
    CHECK_FALSE(parseReportTime("2026-11-16T25:00"));
    CHECK_FALSE(parseReportTime("yesterday"));
}
