#include "rules/assignment.hpp"

#include <algorithm>

namespace deskgate {

Assignment pickAgent(const Team& team, const AssignmentInput& in) {
    Assignment out;
    if (team.assign == AssignMode::none) {
        out.reason = "team " + team.name + " assigns nobody (assign: none)";
        return out;
    }
    const auto& agents = team.agents;
    const std::size_t n = agents.size();
    // Rotation order: the agent after last_agent first.
    std::size_t start = 0;
    if (in.last_agent) {
        auto it = std::find(agents.begin(), agents.end(), *in.last_agent);
        if (it != agents.end()) start = static_cast<std::size_t>(it - agents.begin()) + 1;
    }
    auto available = [&](const std::string& a) {
        return std::find(in.unavailable.begin(), in.unavailable.end(), a) == in.unavailable.end();
    };
    auto openOf = [&](const std::string& a) -> std::int64_t {
        auto it = in.open_tickets.find(a);
        return it == in.open_tickets.end() ? 0 : it->second;
    };
    std::optional<std::size_t> best;
    for (std::size_t k = 0; k < n; ++k) {
        const std::size_t i = (start + k) % n;
        if (!available(agents[i])) continue;
        if (team.assign == AssignMode::round_robin) {
            best = i;
            break;
        }
        if (!best || openOf(agents[i]) < openOf(agents[*best])) best = i;
    }
    if (!best) {
        out.reason = "team " + team.name + " has no available agent";
        return out;
    }
    out.agent = agents[*best];
    if (team.assign == AssignMode::round_robin)
        out.reason = "round robin in team " + team.name + (in.last_agent ? " after " + *in.last_agent : std::string());
    else
        out.reason = "least open in team " + team.name + " (" + std::to_string(openOf(*out.agent)) + " open)";
    return out;
}

}  // namespace deskgate
