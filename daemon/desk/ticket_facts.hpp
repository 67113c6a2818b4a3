// A stored ticket as the desk's rules (rules/desk/) see it.
#pragma once

#include <string>
#include <vector>

#include "rules/desk/desk_facts.hpp"
#include "storage/records.hpp"

namespace deskgate {

inline TicketFacts factsOf(const TicketRecord& t, std::vector<std::string> participants = {}) {
    TicketFacts f;
    f.number = t.number;
    f.customer = normalizeAddress(t.customer_address);
    f.participants = std::move(participants);
    f.status = t.status;
    f.assignee = t.assignee;
    f.team = t.team;
    f.updated_at = t.updated_at;
    f.resolved_at = t.resolved_at;
    f.closed_at = t.closed_at;
    f.rating_requested_at = t.rating_requested_at;
    f.rated = t.rating.has_value();
    return f;
}

}  // namespace deskgate
