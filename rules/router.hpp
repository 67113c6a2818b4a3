// Routing: a new ticket's mail through the ordered rules → a Decision with its trace.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "parsers/parsed_mail.hpp"
#include "rules/rule_set.hpp"

namespace deskgate {

// One rule's part in a decision, for `deskgate explain` and the ticket's history.
struct TraceEntry {
    std::size_t rule = 0;               // index into RuleSet::rules
    bool matched = false;
    std::vector<std::string> why;       // one line per matcher, indented for any/all/not
    std::vector<std::string> applied;   // "queue = billing"
    std::vector<std::string> kept;      // "sla = standard not applied: already gold from 'key accounts'"
    bool stopped = false;               // matched without `continue`: routing ended here
};

struct Decision {
    std::optional<std::string> queue;
    std::optional<Priority> priority;   // nullopt: the daemon's default (normal)
    std::optional<std::string> team;
    std::optional<std::string> agent;   // fixed by a rule; else pick one with pickAgent(team)
    std::vector<std::string> tags;
    std::optional<std::string> sla;
    std::optional<std::string> category;
    std::optional<std::string> language;
    std::optional<std::string> reply_template;
    bool hold = false;                  // quarantine for review
    bool ignore = false;                // store, never answer
    std::vector<std::size_t> matched;   // indices of matching rules, in order
    std::vector<TraceEntry> trace;      // when RouteOptions::trace
};

struct RouteOptions {
    bool trace = true;          // explain the matching rules (cheap: only they are re-evaluated)
    bool trace_misses = false;  // also explain every rule that did not match (explain --all)
    bool count_hits = true;     // bump the rules' hit counters
};

// Rules apply in order. A matching rule without `continue: true` ends routing. A field keeps
// the first value a matching rule gives it (later rules fill only what is still unset, so a
// `continue` rule near the top wins over a catch-all at the bottom); tags accumulate; hold and
// ignore stick once set.
Decision route(const RuleSet& rules, const ParsedMail& mail, const RouteContext& context,
               const RouteOptions& options = {});

struct ExplainOptions {
    SysSeconds created{};                       // for the SLA deadlines shown
    std::optional<std::string> assigned_agent;  // what pickAgent chose, if the caller ran it
    bool show_hits = true;                      // rule hit counters next to each rule
};

// Readable text of a decision and its trace: which rules matched and why, the resulting
// fields, the team's assignment and the SLA deadlines (UTC and the calendar's local time).
std::string formatDecision(const RuleSet& rules, const Decision& decision, const ExplainOptions& options = {});

// `deskgate rules stats`: one line per rule with its hit count.
std::string formatRuleStats(const RuleSet& rules);

}  // namespace deskgate
