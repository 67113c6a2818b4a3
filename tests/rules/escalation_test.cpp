// Escalation with an injected clock advanced step by step: each step fires once, in order,
// at its time; the plan's next_wakeup is what the daemon's timer sleeps until.
#include <doctest/doctest.h>

#include "rules/escalation.hpp"
#include "rules_test_util.hpp"

using namespace deskgate;
using namespace deskgate::test;
using namespace std::chrono_literals;

namespace {

const char* kRules = R"(
teams:
  first-level: { agents: [anna, ben], lead: anna }
  second-level: { agents: [carla], assign: least_open, lead: carla }
calendars:
  always: { hours: "24x7" }
sla:
  gold: { calendar: always, first_response: 30m, resolution: 8h }
  standard: { calendar: always, first_response: 4h, resolution: 3d }
escalation:
  - name: warn
    when: { before: first_response, by: 10m }
    do: { notify: [assignee, team_lead] }
  - name: first response breached
    when: { breached: first_response }
    do: { priority: raise, team: second-level, notify: [team_lead, supervisor@helpdesk.test] }
  - name: resolution soon
    when: { before: resolution, by: 1h, sla: [gold] }
    do: { notify: [team] }
  - name: resolution breached
    when: { breached: resolution }
    do: { priority: urgent, agent: carla }
)";

struct Fired {
    std::string step;
    SysSeconds at;    // when it became due
    SysSeconds when;  // the fake clock when it was fired
};

// The daemon's loop in miniature: plan, fire what is due, sleep until next_wakeup.
std::vector<Fired> runUntil(const RuleSet& set, const TicketClock& ticket, SysSeconds start, SysSeconds end,
                            std::vector<std::string>& fired) {
    std::vector<Fired> log;
    SysSeconds now = start;
    for (int guard = 0; guard < 100; ++guard) {
        const EscalationPlan plan = planEscalation(set, ticket, fired, now);
        for (const auto& d : plan.due) {
            log.push_back({d.step->name, d.at, now});
            fired.push_back(d.step->name);
        }
        if (!plan.next_wakeup || *plan.next_wakeup > end) break;
        CHECK(*plan.next_wakeup > now);   // never a busy loop
        now = *plan.next_wakeup;
    }
    return log;
}

}  // namespace

TEST_CASE("each step fires once, in order, at its time (timer-driven)") {
    auto set = load(kRules);
    const SysSeconds created = utc(2026, 11, 27, 9);
    const SlaDeadlines dl = slaDeadlines(*set->slaPolicy("gold"), created);
    const TicketClock ticket{"gold", dl.first_response, dl.resolution};
    std::vector<std::string> fired;
    const auto log = runUntil(*set, ticket, created, created + 24h, fired);
    REQUIRE(log.size() == 4);
    CHECK(log[0].step == "warn");
    CHECK(log[0].when == created + 20min);
    CHECK(log[1].step == "first response breached");
    CHECK(log[1].when == created + 30min);
    CHECK(log[2].step == "resolution soon");
    CHECK(log[2].when == created + 7h);
    CHECK(log[3].step == "resolution breached");
    CHECK(log[3].when == created + 8h);
    for (const auto& f : log) CHECK(f.at == f.when);
    // Nothing more to wait for.
    CHECK(!planEscalation(*set, ticket, fired, created + 9h).next_wakeup);
    CHECK(planEscalation(*set, ticket, fired, created + 9h).due.empty());
}

TEST_CASE("a clock advanced minute by minute fires each step exactly once") {
    auto set = load(kRules);
    const SysSeconds created = utc(2026, 11, 27, 9);
    const SlaDeadlines dl = slaDeadlines(*set->slaPolicy("gold"), created);
    const TicketClock ticket{"gold", dl.first_response, dl.resolution};
    std::vector<std::string> fired;
    std::vector<Fired> log;
    for (SysSeconds now = created; now <= created + 10h; now += 1min) {
        for (const auto& d : planEscalation(*set, ticket, fired, now).due) {
            log.push_back({d.step->name, d.at, now});
            fired.push_back(d.step->name);
        }
    }
    REQUIRE(log.size() == 4);
    const std::vector<std::pair<std::string, SysSeconds>> expected = {{"warn", created + 20min},
                                                                      {"first response breached", created + 30min},
                                                                      {"resolution soon", created + 7h},
                                                                      {"resolution breached", created + 8h}};
    for (std::size_t i = 0; i < expected.size(); ++i) {
        CHECK(log[i].step == expected[i].first);
        CHECK(log[i].when == expected[i].second);
    }
}

TEST_CASE("a daemon that was down fires the overdue steps at once, in deadline order") {
    auto set = load(kRules);
    const SysSeconds created = utc(2026, 11, 27, 9);
    const SlaDeadlines dl = slaDeadlines(*set->slaPolicy("gold"), created);
    std::vector<std::string> fired;
    const EscalationPlan plan = planEscalation(*set, {"gold", dl.first_response, dl.resolution}, fired, created + 12h);
    REQUIRE(plan.due.size() == 4);
    CHECK(plan.due[0].step->name == "warn");
    CHECK(plan.due[0].at == created + 20min);
    CHECK(plan.due[3].step->name == "resolution breached");
    CHECK(!plan.next_wakeup);
}

TEST_CASE("met or paused deadlines fire nothing; sla filters apply") {
    auto set = load(kRules);
    const SysSeconds created = utc(2026, 11, 27, 9);
    const SlaDeadlines gold = slaDeadlines(*set->slaPolicy("gold"), created);
    // First response sent after the warning: the breach never comes.
    std::vector<std::string> fired;
    auto log = runUntil(*set, {"gold", gold.first_response, gold.resolution}, created, created + 25min, fired);
    REQUIRE(log.size() == 1);
    CHECK(log[0].step == "warn");
    log = runUntil(*set, {"gold", std::nullopt, gold.resolution}, created + 25min, created + 24h, fired);
    REQUIRE(log.size() == 2);
    CHECK(log[0].step == "resolution soon");
    CHECK(log[1].step == "resolution breached");
    // Under the standard policy 'resolution soon' (sla: [gold]) does not exist.
    const SlaDeadlines std_ = slaDeadlines(*set->slaPolicy("standard"), created);
    fired.clear();
    log = runUntil(*set, {"standard", std_.first_response, std_.resolution}, created, created + 4 * 24h, fired);
    REQUIRE(log.size() == 3);
    CHECK(log[2].step == "resolution breached");
    CHECK(log[2].when == created + 72h);
    // A paused clock has no deadline: nothing is due, nothing to wake for.
    const EscalationPlan paused = planEscalation(*set, {"gold", std::nullopt, std::nullopt}, {}, created + 30 * 24h);
    CHECK(paused.due.empty());
    CHECK(!paused.next_wakeup);
}

TEST_CASE("a moved deadline moves the wake-up") {
    auto set = load(kRules);
    const SysSeconds created = utc(2026, 11, 27, 9);
    const Calendar& always = *set->calendar("always");
    std::vector<std::string> fired;
    // Paused 09:05-09:45: the first response deadline moves from 09:30 to 10:10.
    std::vector<Pause> pauses{{created + 5min, created + 45min}};
    const auto due = addBusinessTime(always, created, 30min, pauses);
    REQUIRE(due);
    const EscalationPlan plan = planEscalation(*set, {"gold", due, std::nullopt}, fired, created + 45min);
    CHECK(plan.due.empty());
    CHECK(plan.next_wakeup == created + 60min);   // warn: 10 minutes before 10:10
}

TEST_CASE("applying a step: priority, team, agent, notifications") {
    auto set = load(kRules);
    const auto step = [&](std::string_view n) -> const EscalationStep& {
        for (const auto& s : set->escalation)
            if (s.name == n) return s;
        FAIL("no step " << n);
        throw;
    };
    TicketRouting t{Priority::normal, "first-level", "ben"};
    EscalationEffect warn = applyEscalation(*set, step("warn"), t);
    CHECK(warn.notify_agents == std::vector<std::string>{"ben", "anna"});
    CHECK(warn.changes.empty());

    EscalationEffect breach = applyEscalation(*set, step("first response breached"), t);
    CHECK(name(breach.after.priority) == "high");
    CHECK(breach.after.team == "second-level");
    CHECK(!breach.after.agent);   // ben is not in second-level: the new team assigns
    CHECK(breach.notify_agents == std::vector<std::string>{"carla"});
    CHECK(breach.notify_addresses == std::vector<std::string>{"supervisor@helpdesk.test"});
    CHECK(lines(breach.changes) == "priority normal -> high\nteam first-level -> second-level\nagent ben -> -\n");

    EscalationEffect soon = applyEscalation(*set, step("resolution soon"), breach.after);
    CHECK(soon.notify_agents == std::vector<std::string>{"carla"});

    EscalationEffect late = applyEscalation(*set, step("resolution breached"), {Priority::urgent, "second-level", {}});
    CHECK(name(late.after.priority) == "urgent");
    CHECK(late.after.agent == "carla");
    CHECK(lines(late.changes) == "agent - -> carla\n");
}
