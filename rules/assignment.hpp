// Picking an agent in a team: round robin, least open, or none. Pure: the daemon stores
// the round-robin position (the agent picked last) and passes the open-ticket counts in.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>

#include "rules/rule_set.hpp"

namespace deskgate {

struct AssignmentInput {
    // Round-robin position: the agent this team assigned last (nullopt: never). A name rather
    // than an index, so that a reload that reorders or removes agents keeps the rotation sane.
    std::optional<std::string> last_agent;
    // Open tickets per agent name (missing = 0); read by least_open.
    std::map<std::string, std::int64_t, std::less<>> open_tickets;
    // Agents who must not get new tickets now (away, disabled).
    std::span<const std::string> unavailable;
};

struct Assignment {
    std::optional<std::string> agent;   // nullopt: leave unassigned (mode none, or nobody available)
    std::string reason;                 // for the ticket's history and explain
};

// round_robin: the next available agent after last_agent in the team's order.
// least_open: the available agent with the fewest open tickets; ties go round-robin from
// last_agent, so equal agents take turns. Store `agent` as the team's new last_agent.
Assignment pickAgent(const Team& team, const AssignmentInput& input);

}  // namespace deskgate
