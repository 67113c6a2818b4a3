// What the desk's decisions (audience.hpp, replies.hpp) know of the people and tickets they
// decide about: plain values the daemon looks up and hands in. No database, no clock.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace deskgate {

using UnixTime = std::int64_t;  // seconds since the epoch, UTC

// An agent as deskgate.yaml names them.
struct AgentConfig {
    std::string name;
    std::string address;
    std::vector<std::string> teams;
    std::string display_name;  // signs relayed replies; the name when empty
    const std::string& signature() const { return display_name.empty() ? name : display_name; }
};

// Lower-cases an address for comparison (the local part is compared case-insensitively too,
// as every real mail server does).
std::string normalizeAddress(std::string_view address);

// The agent called `name` (exactly, else without case), or the agent with that address.
const AgentConfig* agentNamed(std::span<const AgentConfig> agents, std::string_view name);
const AgentConfig* agentWithAddress(std::span<const AgentConfig> agents, std::string_view address);

// Resolved or closed: the customer's question is answered.
inline bool isClosedStatus(std::string_view status) { return status == "resolved" || status == "closed"; }

// A ticket as the desk's decisions see it. Addresses are normalised (lower case).
struct TicketFacts {
    std::int64_t number = 0;
    std::string customer;                   // the customer's address
    std::vector<std::string> participants;  // the customer's side besides the customer
    std::string status = "open";
    std::string assignee;                   // agent name, empty if nobody
    std::string team;
    UnixTime updated_at = 0;
    std::optional<UnixTime> resolved_at;
    std::optional<UnixTime> closed_at;
    std::optional<UnixTime> rating_requested_at;  // the closing notice asked for a rating
    bool rated = false;
};

}  // namespace deskgate
