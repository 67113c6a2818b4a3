// Agents are proven, not believed (DESIGN §6). A mail from an agent's address counts as the
// agent's only when one of the configured proofs holds:
//   reply_key   it answers a mail deskgate sent that agent about that ticket: such mails carry, in
//               their Message-ID, a key (HMAC-SHA256 over ticket and agent with a secret kept in
//               the database) that only the agent's mailbox has seen — the agent's client puts
//               it into In-Reply-To/References when the agent presses Reply;
//   authentication_results
//               our own MTA vouches: a DKIM or SPF pass for the agent's domain in an
//               Authentication-Results field it added (parsers/agent_mail.hpp authenticatedFor);
//   from_address the From address alone (anyone can write it: only with an explicit setting).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deskgate {

enum class AgentProofMethod { reply_key, authentication_results, from_address };
std::string_view toString(AgentProofMethod method);
std::optional<AgentProofMethod> parseAgentProofMethod(std::string_view name);

// `base_id` (a Message-ID without <>, as makeMessageId gives it) with the reply key for
// `agent` on ticket `ticket` in its local part: "dg.…<hash>.k<32 hex>@domain".
std::string keyedMessageId(std::string_view base_id, std::string_view secret, std::int64_t ticket,
                           std::string_view agent);
// Does `message_id` carry the reply key of `agent` for ticket `ticket`? (Constant-time compare.)
bool carriesReplyKey(std::string_view message_id, std::string_view secret, std::int64_t ticket, std::string_view agent);

// A Message-ID the mail refers to (In-Reply-To, References) and the ticket that holds it.
struct ReferencedTicket {
    std::string message_id;
    std::int64_t ticket = 0;
};

struct AgentVerdict {
    bool everywhere = false;             // proven for every ticket (authentication_results, from_address)
    std::vector<std::int64_t> tickets;   // proven by reply key for these tickets
    std::string method;                  // what proved it, for the event ("reply_key", ...)
    std::string why_not;                 // when nothing did: what was missing, for the agent
    bool proven() const { return everywhere || !tickets.empty(); }
};

// Which of `methods` prove `agent` wrote the mail: `authenticated` is the MTA's verdict for
// the agent's domain, `references` the mail's referenced Message-IDs with their tickets.
AgentVerdict proveAgent(const std::vector<AgentProofMethod>& methods, std::string_view agent, bool authenticated,
                        const std::vector<ReferencedTicket>& references, std::string_view secret);

}  // namespace deskgate
