// Issue 4 against the real servers: routing, assignment and an SLA escalation that raises the
// priority, moves the ticket and mails the supervisor.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "desk_fixture.hpp"

using namespace deskgate;
using namespace deskgate::test;

TEST_CASE("rules: a matching mail gets queue, priority and agent; the 24x7 SLA escalates and mails the supervisor") {
    clearAllMailboxes();
    TempDir rules("rules");
    rules.write("routing.yaml", R"(
teams:
  first-level:  { agents: [agent1], assign: round_robin }
  second-level: { agents: [agent2], assign: least_open }
routing:
  - name: invoices go to billing
    when: { any: [ { subject: '(?i)\b(rechnung|invoice)\b' }, { to: billing@helpdesk.test } ] }
    set: { queue: billing, priority: high, team: first-level, sla: instant, tags: [invoice] }
  - name: default
    set: { queue: general, team: first-level }
calendars:
  always: { timezone: UTC, hours: 24x7 }
sla:
  instant: { calendar: always, first_response: 3s, resolution: 1h }
escalation:
  - name: first response breached
    when: { breached: first_response }
    do: { priority: raise, team: second-level, notify: [supervisor@helpdesk.test] }
)");
    Desk desk(DeskOptions{.extra_yaml = "rules: " + rules.path().string() + "\n"});
    auto check = desk.cli({"check"});
    REQUIRE_MESSAGE(check.status.code == 0, check.err);
    desk.start();
    sendMail("alice@customer.test", {"support@helpdesk.test"},
             Desk::customerMail("alice@customer.test", "Rechnung 2026-114 ist falsch", "Bitte korrigieren.",
                                uniqueMessageId()));
    REQUIRE_MESSAGE(waitFor([&] { return desk.ticketCount() == 1; }, 20s), desk.process().output());
    auto t = desk.store().tickets.ticketByNumber(1001);
    REQUIRE(t);
    CHECK(t->queue == "billing");
    CHECK(t->tags == "invoice");
    CHECK(t->assignee == "agent1");
    CHECK(t->sla == "instant");
    REQUIRE(t->first_response_due);

    // Nobody answers within 3 seconds: the escalation fires once.
    REQUIRE_MESSAGE(waitFor([&] { return desk.store().tickets.ticketByNumber(1001)->priority == "urgent"; }, 30s),
                    desk.process().output());
    t = desk.store().tickets.ticketByNumber(1001);
    CHECK(t->team == "second-level");
    std::vector<Message> notices;
    REQUIRE(waitFor([&] { return !(notices = mailsFromSupport("supervisor@helpdesk.test")).empty(); }, 30s));
    CHECK(headerValue(notices[0].raw, "Subject")->find("[Ticket#1001]") != std::string::npos);
    CHECK(headerValue(notices[0].raw, "Auto-Submitted") == "auto-generated");
    int escalations = 0;
    for (const auto& e : desk.store().tickets.eventsOf(t->id)) escalations += e.type == "escalation";
    CHECK(escalations == 1);

    auto stats = desk.cli({"rules", "stats"});
    CHECK(stats.out.find("invoices go to billing") != std::string::npos);

    // explain: a dry run that changes nothing.
    auto mail = rules.write("invoice.eml", Desk::customerMail("bob@customer.test", "Invoice question", "?", "<x@y>"));
    auto explain = desk.cli({"explain", mail.string()});
    CHECK_MESSAGE(explain.status.code == 0, explain.err);
    CHECK(explain.out.find("invoices go to billing") != std::string::npos);
    CHECK(explain.out.find("billing") != std::string::npos);
    CHECK(desk.ticketCount() == 1);

    // Editing a rule file reloads by itself; a broken edit is rejected and the old rules stay.
    rules.write("broken.yaml", "routing:\n  - name: typo\n    when: { subjekt: x }\n");
    REQUIRE_MESSAGE(desk.process().waitForOutput("reload (files changed) rejected", 20s), desk.process().output());
    CHECK(desk.process().output().find("broken.yaml:3:13: ") != std::string::npos);
    std::filesystem::remove(rules.path() / "broken.yaml");
    REQUIRE(desk.process().waitForOutput("configuration reloaded (files changed)", 20s));
    desk.stop();
}
