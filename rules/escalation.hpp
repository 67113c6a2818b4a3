// Escalation planning: which steps are due for a ticket now, and when to wake up next.
// Pure: the daemon passes the ticket's deadlines, the steps already fired and `now`, fires
// the due steps (recording each as an event, exactly once), then sleeps on an Asio timer
// until next_wakeup.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "rules/rule_set.hpp"

namespace deskgate {

// What escalation needs to know about one ticket.
struct TicketClock {
    std::string sla;                                // the ticket's policy (for steps with `sla:`)
    // Pass nullopt when there is no such deadline, when it is met (first response sent,
    // ticket resolved) or while the clock is paused: steps on it are then not due.
    std::optional<SysSeconds> first_response_due;
    std::optional<SysSeconds> resolution_due;
};

struct DueStep {
    const EscalationStep* step = nullptr;           // points into the RuleSet
    SysSeconds at{};                                // when it became due
};

struct EscalationPlan {
    std::vector<DueStep> due;                       // in order of `at`, then as written
    std::optional<SysSeconds> next_wakeup;          // earliest time a not-yet-fired step becomes due
};

// `fired`: names of the steps already fired for this ticket (the daemon keeps them with the
// ticket's events). A step is due when its time (deadline - by, or the deadline for
// `breached`) is <= now and it has not fired. When deadlines move (pause, re-prioritisation),
// pass the new ones; fired steps stay fired unless the daemon clears them.
EscalationPlan planEscalation(const RuleSet& rules, const TicketClock& ticket, std::span<const std::string> fired,
                              SysSeconds now);

// The ticket fields escalation may change.
struct TicketRouting {
    Priority priority = Priority::normal;
    std::optional<std::string> team;
    std::optional<std::string> agent;
};

struct EscalationEffect {
    TicketRouting after;                            // the ticket after the step
    std::vector<std::string> notify_agents;         // agent names (the daemon knows their addresses)
    std::vector<std::string> notify_addresses;      // plain e-mail addresses from the step
    std::vector<std::string> changes;               // "priority high -> urgent", for the event
};

// Applies a step's `do:` to a ticket. `team_lead` and `team` are resolved against the
// ticket's team after the step (the people now responsible), `assignee` against its agent.
EscalationEffect applyEscalation(const RuleSet& rules, const EscalationStep& step, const TicketRouting& before);

}  // namespace deskgate
