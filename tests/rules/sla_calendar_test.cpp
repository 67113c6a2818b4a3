// Business-time arithmetic against hand-computed cases. Europe/Berlin is UTC+1 (CET) in
// winter and UTC+2 (CEST) in summer; in 2026 summer time starts Sun Mar 29 (02:00 CET →
// 03:00 CEST) and ends Sun Oct 25 (03:00 CEST → 02:00 CET). Times below are UTC.
#include <doctest/doctest.h>

#include "rules/sla_calendar.hpp"
#include "rules_test_util.hpp"

using namespace deskgate;
using namespace deskgate::test;
using namespace std::chrono_literals;

namespace {

std::string iso(std::optional<SysSeconds> t) { return t ? date::format("%F %R", *t) : std::string("none"); }

std::shared_ptr<const RuleSet> calendars() {
    return load(R"(
calendars:
  office:
    timezone: Europe/Berlin
    hours: { mon-fri: "08:00-18:00" }
    holidays: [2026-12-24, 2026-12-25, 2026-12-26]
  lunch:
    timezone: Europe/Berlin
    hours: { mon-thu: "08:00-12:00, 13:00-17:00", fri: "08:00-12:00" }
  sunday-night:
    timezone: Europe/Berlin
    hours: { sun: "01:00-04:00" }
  night-shift:
    timezone: UTC
    hours: { mon-fri: "22:00-06:00" }
  always: { hours: "24x7" }
sla:
  standard:
    calendar: office
    first_response: 4h
    resolution: 3d
    pause_when: [pending]
    priorities: { urgent: { first_response: 1h, resolution: 1d }, high: { first_response: 2h } }
  gold: { calendar: always, first_response: 30m, resolution: 8h }
)");
}

}  // namespace

TEST_CASE("addBusinessTime: hand-computed cases") {
    auto set = calendars();
    const Calendar& office = *set->calendar("office");
    const Calendar& lunch = *set->calendar("lunch");
    const Calendar& sunday = *set->calendar("sunday-night");
    const Calendar& night = *set->calendar("night-shift");
    const Calendar& always = *set->calendar("always");
    struct Row {
        const char* what;
        const Calendar* cal;
        SysSeconds start;
        Seconds add;
        const char* expected;
    };
    const Row rows[] = {
        {"same day: Mon 09:00 CET + 4h", &office, utc(2026, 11, 30, 8), 4h, "2026-11-30 12:00"},
        {"overnight: Mon 16:00 CET + 4h = Tue 10:00 CET", &office, utc(2026, 11, 30, 15), 4h, "2026-12-01 09:00"},
        {"arrives at night: Mon 22:00 CET + 1h = Tue 09:00", &office, utc(2026, 11, 30, 21), 1h, "2026-12-01 08:00"},
        {"ends exactly at closing: Mon 08:00 + 10h = Mon 18:00", &office, utc(2026, 11, 30, 7), 10h, "2026-11-30 17:00"},
        {"weekend: Fri 17:30 CET + 4h = Mon 11:30 CET", &office, utc(2026, 11, 27, 16, 30), 4h, "2026-11-30 10:30"},
        {"arrives Saturday: + 1h = Mon 09:00 CET", &office, utc(2026, 11, 28, 12), 1h, "2026-11-30 08:00"},
        {"holidays: Wed 23 Dec 17:00 + 2h skips 24-27 Dec", &office, utc(2026, 12, 23, 16), 2h, "2026-12-28 08:00"},
        {"3d = 72 business hours = 7 days of 10h + 2h", &office, utc(2026, 11, 30, 7), 72h, "2026-12-09 09:00"},
        {"zero duration is the start itself, even after hours", &office, utc(2026, 11, 28, 12), 0s, "2026-11-28 12:00"},
        {"spring DST: Fri 27 Mar 17:00 CET + 2h = Mon 30 Mar 09:00 CEST", &office, utc(2026, 3, 27, 16), 2h,
         "2026-03-30 07:00"},
        {"autumn DST: Fri 23 Oct 17:00 CEST + 2h = Mon 26 Oct 09:00 CET", &office, utc(2026, 10, 23, 15), 2h,
         "2026-10-26 08:00"},
        {"spring DST night: 01:00 CET + 1h30m = 03:30 CEST (02:xx does not exist)", &sunday, utc(2026, 3, 29, 0),
         90min, "2026-03-29 01:30"},
        {"autumn DST night: 01:00 CEST + 3h = 03:00 CET (02:xx twice)", &sunday, utc(2026, 10, 24, 23), 3h,
         "2026-10-25 02:00"},
        {"lunch break: Mon 11:00 CET + 2h = 14:00", &lunch, utc(2026, 11, 30, 10), 2h, "2026-11-30 13:00"},
        {"short Friday: Fri 11:00 + 2h = Mon 09:00", &lunch, utc(2026, 11, 27, 10), 2h, "2026-11-30 08:00"},
        {"night shift runs past midnight: Fri 23:00 + 5h = Sat 04:00", &night, utc(2026, 11, 27, 23), 5h,
         "2026-11-28 04:00"},
        {"no shift starts on Saturday: Sat 05:00 + 2h = Mon 23:00", &night, utc(2026, 11, 28, 5), 2h,
         "2026-11-30 23:00"},
        {"24x7 adds plain time", &always, utc(2026, 11, 28, 23, 50), 30min, "2026-11-29 00:20"},
    };
    for (const auto& row : rows) {
        CAPTURE(row.what);
        CHECK(iso(addBusinessTime(*row.cal, row.start, row.add)) == row.expected);
    }
}

TEST_CASE("businessTimeBetween: hand-computed cases") {
    auto set = calendars();
    const Calendar& office = *set->calendar("office");
    const Calendar& sunday = *set->calendar("sunday-night");
    CHECK(businessTimeBetween(office, utc(2026, 11, 27, 16), utc(2026, 11, 30, 8)) == 2h);   // Fri 17:00 → Mon 09:00
    CHECK(businessTimeBetween(office, utc(2026, 11, 30, 8), utc(2026, 11, 27, 16)) == -2h);  // reversed
    CHECK(businessTimeBetween(office, utc(2026, 11, 30, 0), utc(2026, 12, 7, 0)) == 50h);    // one week
    CHECK(businessTimeBetween(office, utc(2026, 12, 21, 0), utc(2026, 12, 28, 0)) == 30h);   // Christmas week
    CHECK(businessTimeBetween(office, utc(2026, 11, 28, 0), utc(2026, 11, 29, 23)) == 0s);   // weekend
    CHECK(businessTimeBetween(sunday, utc(2026, 3, 28), utc(2026, 3, 30)) == 2h);   // 01:00-04:00 minus the lost hour
    CHECK(businessTimeBetween(sunday, utc(2026, 10, 24), utc(2026, 10, 26)) == 4h); // plus the repeated hour
    CHECK(businessTimeBetween(sunday, utc(2026, 11, 28), utc(2026, 11, 30)) == 3h); // an ordinary Sunday
    // The inverse of addBusinessTime.
    const SysSeconds start = utc(2026, 3, 26, 14, 17);
    for (Seconds d : {1h, 7h, 13h, 26h, 100h}) {
        CAPTURE(d.count());
        CHECK(businessTimeBetween(office, start, addBusinessTime(office, start, d)) == d);
    }
}

TEST_CASE("isOpen follows local time, weekends and holidays") {
    auto set = calendars();
    const Calendar& office = *set->calendar("office");
    CHECK(office.isOpen(utc(2026, 11, 30, 7)));          // Mon 08:00 CET
    CHECK(!office.isOpen(utc(2026, 11, 30, 6, 59)));     // Mon 07:59 CET
    CHECK(!office.isOpen(utc(2026, 11, 30, 17)));        // Mon 18:00 CET
    CHECK(office.isOpen(utc(2026, 6, 1, 6)));            // Mon 08:00 CEST
    CHECK(!office.isOpen(utc(2026, 12, 24, 10)));        // holiday
    CHECK(!office.isOpen(utc(2026, 11, 28, 10)));        // Saturday
}

TEST_CASE("pauses stop the clock") {
    auto set = calendars();
    const Calendar& office = *set->calendar("office");
    const SysSeconds mon0800 = utc(2026, 11, 30, 7);
    // Paused 09:00-11:00 CET: 1h before, 3h after → 14:00 CET.
    std::vector<Pause> p1{{utc(2026, 11, 30, 8), utc(2026, 11, 30, 10)}};
    CHECK(iso(addBusinessTime(office, mon0800, 4h, p1)) == "2026-11-30 13:00");
    CHECK(businessTimeBetween(office, mon0800, utc(2026, 11, 30, 13), p1) == 4h);
    // Paused from Mon 17:00 to Tue 10:00 CET; started Mon 16:00 + 2h → Tue 11:00 CET.
    std::vector<Pause> p2{{utc(2026, 11, 30, 16), utc(2026, 12, 1, 9)}};
    CHECK(iso(addBusinessTime(office, utc(2026, 11, 30, 15), 2h, p2)) == "2026-12-01 10:00");
    // Overlapping and unordered pauses are merged: 09:00-10:30 and 10:00-11:00 CET = 2h.
    std::vector<Pause> p3{{utc(2026, 11, 30, 9), utc(2026, 11, 30, 10)}, {utc(2026, 11, 30, 8), utc(2026, 11, 30, 9, 30)}};
    CHECK(iso(addBusinessTime(office, mon0800, 4h, p3)) == "2026-11-30 13:00");
    // A pause outside working hours changes nothing.
    std::vector<Pause> p4{{utc(2026, 11, 28, 0), utc(2026, 11, 29, 0)}};
    CHECK(iso(addBusinessTime(office, utc(2026, 11, 27, 16, 30), 4h, p4)) == "2026-11-30 10:30");
    // Still paused (no end) before the deadline: no deadline while the clock stands.
    std::vector<Pause> open{{utc(2026, 11, 30, 8), std::nullopt}};
    CHECK(iso(addBusinessTime(office, mon0800, 4h, open)) == "none");
    CHECK(businessTimeBetween(office, mon0800, utc(2026, 11, 30, 17), open) == 1h);
    // Still paused, but only after the deadline: the deadline stands.
    std::vector<Pause> later{{utc(2026, 11, 30, 12), std::nullopt}};
    CHECK(iso(addBusinessTime(office, mon0800, 4h, later)) == "2026-11-30 11:00");
    // 24x7 with a pause: plain time plus the pause.
    const Calendar& always = *set->calendar("always");
    std::vector<Pause> p5{{utc(2026, 11, 30, 10), utc(2026, 11, 30, 12)}};
    CHECK(iso(addBusinessTime(always, utc(2026, 11, 30, 9), 4h, p5)) == "2026-11-30 15:00");
}

TEST_CASE("SLA deadlines of a policy, with pauses") {
    auto set = calendars();
    const SlaPolicy& standard = *set->slaPolicy("standard");
    const SysSeconds created = utc(2026, 11, 27, 16, 30);   // Fri 17:30 CET
    SlaDeadlines d = slaDeadlines(standard, created);
    CHECK(iso(d.first_response) == "2026-11-30 10:30");     // Mon 11:30 CET
    // 72h: 0.5h Fri, Mon-Fri 50h → 50.5h, next Mon-Tue 20h → 70.5h, Wed 08:00 + 1.5h = 09:30 CET.
    CHECK(iso(d.resolution) == "2026-12-09 08:30");
    // Waiting for the customer Monday 09:00-12:00 CET moves both by 3 business hours.
    std::vector<Pause> pending{{utc(2026, 11, 30, 8), utc(2026, 11, 30, 11)}};
    d = slaDeadlines(standard, created, pending);
    CHECK(iso(d.first_response) == "2026-11-30 13:30");
    CHECK(iso(d.resolution) == "2026-12-09 11:30");
    const SlaDeadlines gold = slaDeadlines(*set->slaPolicy("gold"), created);
    CHECK(iso(gold.first_response) == "2026-11-27 17:00");
    CHECK(iso(gold.resolution) == "2026-11-28 00:30");
}

TEST_CASE("pauses come from the status history") {
    auto set = calendars();
    const SlaPolicy& standard = *set->slaPolicy("standard");
    const SysSeconds created = utc(2026, 11, 30, 7);   // Mon 08:00 CET
    std::vector<StatusChange> history{{created, "new"},
                                      {utc(2026, 11, 30, 8), "pending"},
                                      {utc(2026, 11, 30, 8, 30), "pending"},   // repeated: one pause
                                      {utc(2026, 11, 30, 10), "open"},
                                      {utc(2026, 11, 30, 11), "pending"}};
    auto pauses = pausesFrom(standard, history);
    REQUIRE(pauses.size() == 2);
    CHECK(pauses[0].begin == utc(2026, 11, 30, 8));
    CHECK(pauses[0].end == utc(2026, 11, 30, 10));
    CHECK(!pauses[1].end);
    // 1h before the first pause, 1h between: the clock stands with 2h of the 4h left.
    CHECK(iso(slaDeadlines(standard, created, pauses).first_response) == "none");
    history.push_back({utc(2026, 12, 1, 8), "open"});   // customer answers Tue 09:00 CET
    pauses = pausesFrom(standard, history);
    CHECK(iso(slaDeadlines(standard, created, pauses).first_response) == "2026-12-01 10:00");
    // A policy without pause_when never pauses.
    CHECK(pausesFrom(*set->slaPolicy("gold"), history).empty());
}

TEST_CASE("targets per priority: re-prioritising moves the deadlines") {
    auto set = calendars();
    const SlaPolicy& standard = *set->slaPolicy("standard");
    const SysSeconds created = utc(2026, 11, 30, 7);   // Mon 08:00 CET
    CHECK(iso(slaDeadlines(standard, created, {}, Priority::normal).first_response) == "2026-11-30 11:00");
    CHECK(iso(slaDeadlines(standard, created, {}, Priority::high).first_response) == "2026-11-30 09:00");
    CHECK(iso(slaDeadlines(standard, created, {}, Priority::high).resolution) == "2026-12-09 09:00");   // 3d kept
    const SlaDeadlines urgent = slaDeadlines(standard, created, {}, Priority::urgent);
    CHECK(iso(urgent.first_response) == "2026-11-30 08:00");
    CHECK(iso(urgent.resolution) == "2026-12-02 11:00");   // 24 business hours: Mon 10 + Tue 10 + Wed 4
}
