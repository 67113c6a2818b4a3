#include "rules/escalation.hpp"

#include <algorithm>

namespace deskgate {

EscalationPlan planEscalation(const RuleSet& rules, const TicketClock& ticket, std::span<const std::string> fired,
                              SysSeconds now) {
    EscalationPlan plan;
    for (const auto& step : rules.escalation) {
        if (!step.only_sla.empty() &&
            std::find(step.only_sla.begin(), step.only_sla.end(), ticket.sla) == step.only_sla.end())
            continue;
        if (std::find(fired.begin(), fired.end(), step.name) != fired.end()) continue;
        const auto& deadline =
            step.target == SlaTarget::first_response ? ticket.first_response_due : ticket.resolution_due;
        if (!deadline) continue;
        const SysSeconds at = step.breached ? *deadline : *deadline - step.before;
        if (at <= now)
            plan.due.push_back({&step, at});
        else if (!plan.next_wakeup || at < *plan.next_wakeup)
            plan.next_wakeup = at;
    }
    std::stable_sort(plan.due.begin(), plan.due.end(), [](const DueStep& a, const DueStep& b) { return a.at < b.at; });
    return plan;
}

EscalationEffect applyEscalation(const RuleSet& rules, const EscalationStep& step, const TicketRouting& before) {
    EscalationEffect e;
    e.after = before;
    if (step.raise_priority || step.set_priority) {
        const Priority p = step.set_priority ? *step.set_priority : raised(before.priority);
        if (p != before.priority)
            e.changes.push_back("priority " + std::string(toString(before.priority)) + " -> " + std::string(toString(p)));
        e.after.priority = p;
    }
    if (step.team && step.team != before.team) {
        e.changes.push_back("team " + before.team.value_or("-") + " -> " + *step.team);
        e.after.team = step.team;
        // A ticket moved to another team leaves its agent unless the step names one:
        // the new team assigns it (pickAgent).
        if (!step.agent && before.agent) {
            const Team* t = rules.team(*step.team);
            if (!t || std::find(t->agents.begin(), t->agents.end(), *before.agent) == t->agents.end()) {
                e.changes.push_back("agent " + *before.agent + " -> -");
                e.after.agent.reset();
            }
        }
    }
    if (step.agent && step.agent != e.after.agent) {
        e.changes.push_back("agent " + e.after.agent.value_or("-") + " -> " + *step.agent);
        e.after.agent = step.agent;
    }
    auto addAgent = [&](const std::string& a) {
        if (std::find(e.notify_agents.begin(), e.notify_agents.end(), a) == e.notify_agents.end())
            e.notify_agents.push_back(a);
    };
    const Team* team = e.after.team ? rules.team(*e.after.team) : nullptr;
    for (const auto& who : step.notify) {
        if (who.find('@') != std::string::npos) {
            e.notify_addresses.push_back(who);
        } else if (who == "team_lead") {
            if (team && team->lead) addAgent(*team->lead);
        } else if (who == "team") {
            if (team)
                for (const auto& a : team->agents) addAgent(a);
        } else if (who == "assignee") {
            if (e.after.agent) addAgent(*e.after.agent);
        } else {
            addAgent(who);
        }
    }
    return e;
}

}  // namespace deskgate
