// Loading and validating rule files: every error with file:line:col and a helpful message.
#include <fstream>
#include <random>
#include <sstream>

#include <doctest/doctest.h>

#include "rules/rule_loader.hpp"
#include "rules_test_util.hpp"

using namespace deskgate;
using namespace deskgate::test;

TEST_CASE("the shipped example rules in etc/rules load") {
    RuleEnvironment env = sampleEnvironment();
    auto r = loadRuleDirectory(std::string(DESKGATE_SOURCE_DIR) + "/etc/rules", env);
    if (!r) {
        for (const auto& e : r.error()) MESSAGE(e.str());
    }
    REQUIRE(r.has_value());
    const RuleSet& set = **r;
    CHECK(set.rules.size() == 7);
    CHECK(set.summary() == "7 rules, 2 teams, 2 calendars, 2 SLA policies, 4 escalation steps");
    CHECK(set.teams.size() == 2);
    CHECK(set.team("first-level")->agents == std::vector<std::string>{"anna", "ben"});
    CHECK(name(set.team("second-level")->assign) == "least_open");
    CHECK(set.calendar("office")->timezone == "Europe/Berlin");
    CHECK(set.calendar("always")->always_open);
    CHECK(set.slaPolicy("standard")->first_response == std::chrono::hours(4));
    CHECK(set.slaPolicy("standard")->pausesIn("pending"));
    CHECK(set.slaPolicy("standard")->by_priority[static_cast<std::size_t>(Priority::urgent)].first_response ==
          std::chrono::hours(1));
    CHECK(set.escalation.size() == 4);
    CHECK(set.auto_close.pending_for == std::chrono::days(7));
    CHECK(set.reopen.within == std::chrono::days(14));
    CHECK(set.limits.auto_replies_per_address_per_hour == 5);
    CHECK(set.threading.foreign_token == ThreadingSettings::ForeignToken::hold);
    // Files are read sorted by name; the rules keep where they came from.
    CHECK(set.rules.front().file.ends_with("etc/rules/routing.yaml"));
    CHECK(set.rules.front().line == 24);
}

TEST_CASE("the example rules name only the agents anna, ben and carla") {
    RuleEnvironment env;
    env.agents = {{"anna", {}}, {"ben", {}}, {"carla", {}}};
    CHECK(loadRuleDirectory(std::string(DESKGATE_SOURCE_DIR) + "/etc/rules", env).has_value());
}

TEST_CASE("validation messages are pinned with file:line:col") {
    struct Case {
        const char* yaml;
        std::vector<std::string> errors;
    };
    const Case cases[] = {
        {"routing:\n"
         "  - name: a\n"
         "    set: { priorty: high }\n",
         {"r.yaml:3:12: unknown key 'priorty', did you mean 'priority'?"}},
        {"routign: []\n",
         {"r.yaml:1:1: unknown key 'routign', did you mean 'routing'?"}},
        {"routing:\n"
         "  - name: a\n"
         "    when: { subject: '(unclosed' }\n"
         "    set: { queue: x }\n",
         {"r.yaml:3:22: 'subject': bad regular expression '(unclosed': missing ): (unclosed"}},
        {"routing:\n"
         "  - name: a\n"
         "    set: { team: frist-level }\n"
         "teams:\n"
         "  first-level: { agents: [anna] }\n",
         {"r.yaml:3:18: unknown team 'frist-level', did you mean 'first-level'?"}},
        {"teams:\n"
         "  t: { agents: [anna, benn, xaver] }\n",
         {"r.yaml:2:16: unknown agent 'benn', did you mean 'ben'?",
          "r.yaml:2:16: unknown agent 'xaver'"}},
        {"calendars:\n"
         "  office: { timezone: Europe/Berln, hours: { mon-fri: \"08:00-18:00\" } }\n",
         {"r.yaml:2:23: unknown time zone 'Europe/Berln', did you mean 'Europe/Berlin'?"}},
        {"calendars:\n"
         "  office:\n"
         "    timezone: UTC\n"
         "    hours: { mon-fry: \"08:00-18:00\", sat: \"8-12\" }\n"
         "    holidays: [2026-02-30]\n",
         {"r.yaml:4:12: calendar 'office' has no working hours at all",
          "r.yaml:4:14: 'mon-fry' is not a day or day range (mon, tue, … sun, mon-fri, sat,sun)",
          "r.yaml:4:43: bad hours '8-12' (use e.g. \"08:00-18:00\", \"08:00-12:00, 13:00-17:00\" or closed)",
          "r.yaml:5:16: holiday '2026-02-30' is not a date like 2026-12-24"}},
        {"calendars:\n"
         "  c: { hours: \"24x7\" }\n"
         "sla:\n"
         "  std: { calendar: c, first_response: 4 hours, resolution: 3d }\n"
         "  gold: { calendar: cal, first_response: 30m, pause_when: [pendng] }\n"
         "  p: { calendar: c, priorities: { urgnt: { first_response: 1h }, high: { resolve: 1d } } }\n",
         {"r.yaml:4:39: 'first_response': bad duration '4 hours' (use e.g. 90s, 30m, 4h, 3d)",
          "r.yaml:5:21: unknown calendar 'cal'",
          "r.yaml:5:59: unknown ticket status 'pendng', did you mean 'pending'?",
          "r.yaml:6:35: unknown key 'urgnt', did you mean 'urgent'?",
          "r.yaml:6:74: unknown key 'resolve'"}},
        {"routing:\n"
         "  - name: a\n"
         "    when: { from: billing, kind: [autoreply] }\n"
         "    set: { sla: gold, template: akc, agent: zoe }\n",
         {"r.yaml:3:19: 'from': 'billing' is not an e-mail address (use from_domain for domains)",
          "r.yaml:3:34: 'kind': unknown mail kind 'autoreply', did you mean 'auto_reply'?",
          "r.yaml:4:17: unknown sla policy 'gold' (none is defined)",
          "r.yaml:4:33: unknown template 'akc'",
          "r.yaml:4:45: unknown agent 'zoe'"}},
        {"routing:\n"
         "  - name: a\n"
         "    when: { any: [ { subjekt: x } ], not: { mailbox: [suport] } }\n"
         "    set: { queue: x }\n"
         "  - name: a\n"
         "    set: { queue: y }\n",
         {"r.yaml:3:22: unknown key 'subjekt', did you mean 'subject'?",
          "r.yaml:3:54: unknown mailbox 'suport', did you mean 'support'?",
          "r.yaml:5:11: rule name 'a' is already used at r.yaml:2"}},
        {"escalation:\n"
         "  - name: e\n"
         "    when: { before: first_respons }\n"
         "    do: { notify: [team_leed, x@example.com], priority: higher }\n"
         "  - name: f\n"
         "    when: { breached: resolution, by: 1h }\n"
         "    do: {}\n",
         {"r.yaml:3:11: missing required key 'by'",
          "r.yaml:3:21: 'before': 'first_respons' is not one of first_response, resolution (did you mean 'first_response'?)",
          "r.yaml:4:19: unknown agent 'team_leed', did you mean 'team_lead'?",
          "r.yaml:4:57: 'priority': 'higher' is not one of raise, low, normal, high, urgent (did you mean 'high'?)",
          "r.yaml:6:39: 'by' belongs to 'before'; a 'breached' step fires at the deadline",
          "r.yaml:7:9: 'do' is empty: the step would do nothing"}},
        {"auto_close: { pending_for: 7 days }\n"
         "limits: { auto_replies_per_address_per_hour: -1 }\n"
         "threading: { foreign_token: drop }\n",
         {"r.yaml:1:28: 'pending_for': bad duration '7 days' (use e.g. 90s, 30m, 4h, 3d)",
          "r.yaml:2:46: 'auto_replies_per_address_per_hour' must be between 0 and 100000",
          "r.yaml:3:29: 'foreign_token': 'drop' is not one of new_ticket, hold"}},
        {"routing:\n"
         "  - name: a\n"
         "    set: { queue: x\n",
         {"r.yaml:4:1: end of map flow not found"}},
        {"calendars:\n"
         "  c: { hours: \"24x7\" }\n"
         "routing:\n"
         "  - name: a\n"
         "    when: { time: { calendar: c, weekday: [monkey], between: \"25:00-08:00\", business_hours: false } }\n"
         "    set: { queue: x }\n",
         {"r.yaml:5:43: 'weekday': 'monkey' is not a weekday (mon, tue, … sun, or mon-fri)",
          "r.yaml:5:62: 'between': '25:00-08:00' is not a time range like 18:00-08:00",
          "r.yaml:5:93: calendar 'c' is 24x7: it is never outside business hours"}},
        {"teams:\n"
         "  empty: {}\n",
         {"r.yaml:2:3: team 'empty' has no agents (add 'agents:' or set 'assign: none')"}},
    };
    for (const auto& c : cases) {
        const std::string yaml = c.yaml;
        CAPTURE(yaml);
        CHECK(lines(errorsOf(yaml)) == lines(c.errors));
    }
}

TEST_CASE("errors of several files are all reported, in file order") {
    auto errors = errorsOf({{"b.yaml", "routing:\n  - name: x\n    set: { qeue: a }\n"},
                            {"a.yaml", "sla:\n  s: { calendar: nope, first_response: 1h }\n"}});
    CHECK(lines(errors) == lines({
                        "b.yaml:3:12: unknown key 'qeue', did you mean 'queue'?",
                        "a.yaml:2:18: unknown calendar 'nope' (none is defined)",
                    }));
}

TEST_CASE("sections may be split over files; duplicates are errors") {
    auto errors = errorsOf({{"a.yaml", "teams:\n  t: { agents: [anna] }\nreopen: { within: 1d }\n"},
                            {"b.yaml", "teams:\n  t: { agents: [ben] }\nreopen: { within: 2d }\n"}});
    CHECK(lines(errors) == lines({
                        "b.yaml:2:3: team 't' is already defined at a.yaml:2",
                        "b.yaml:3:9: 'reopen' is already set at a.yaml:3",
                    }));
}

TEST_CASE("team membership declared in deskgate.yaml joins the teams") {
    RuleEnvironment env = sampleEnvironment();
    env.agents.push_back({"erik", {"first-level", "night"}});
    auto set = load("teams:\n  first-level: { agents: [anna], assign: least_open }\n", env);
    CHECK(set->team("first-level")->agents == std::vector<std::string>{"anna", "erik"});
    REQUIRE(set->team("night") != nullptr);
    CHECK(name(set->team("night")->assign) == "round_robin");
}

TEST_CASE("an empty or comment-only file is fine") {
    auto r = loadRuleSet({{"empty.yaml", ""}, {"comments.yaml", "# nothing yet\n"}}, sampleEnvironment());
    REQUIRE(r.has_value());
    CHECK((*r)->rules.empty());
}

TEST_CASE("a missing rules directory is an error, not a crash") {
    auto r = loadRuleDirectory("/nonexistent/rules", sampleEnvironment());
    REQUIRE(!r.has_value());
    CHECK(r.error().front().str().starts_with("/nonexistent/rules: cannot read rules directory"));
}

TEST_CASE("mangled rule files give errors, never a crash or an exception") {
    // Every example file, damaged in many ways: characters dropped, doubled, replaced.
    std::vector<RuleFile> files;
    for (const char* name : {"routing.yaml", "teams.yaml", "calendars.yaml", "sla.yaml", "escalation.yaml", "lifecycle.yaml"}) {
        std::ifstream in(std::string(DESKGATE_SOURCE_DIR) + "/etc/rules/" + name);
        std::stringstream text;
        text << in.rdbuf();
        files.push_back({name, text.str()});
    }
    std::mt19937 rng(7);
    const std::string noise = ":-[]{}#'\"\n x,*&!|>@0";
    int rejected = 0;
    for (int round = 0; round < 300; ++round) {
        std::vector<RuleFile> damaged = files;
        auto& f = damaged[rng() % damaged.size()];
        for (int k = 0; k < 3; ++k) {
            const std::size_t at = rng() % f.text.size();
            switch (rng() % 3) {
                case 0: f.text.erase(at, 1 + rng() % 4); break;
                case 1: f.text.insert(at, 1, noise[rng() % noise.size()]); break;
                default: f.text[at] = noise[rng() % noise.size()]; break;
            }
        }
        RuleSetResult r = RuleSetResult(std::unexpected(std::vector<ConfigError>{}));
        CHECK_NOTHROW(r = loadRuleSet(damaged, sampleEnvironment()));
        if (!r) {
            ++rejected;
            for (const auto& e : r.error()) CHECK(!e.message.empty());
        }
    }
    CHECK(rejected > 150);
}
