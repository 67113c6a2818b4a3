// Who wrote an incoming mail and on what: a repeat or another mail with a reused Message-ID,
// the tickets it names, whether a mail from an agent's address proves the agent, and whom the
// customer's mail adds to the ticket. Part of Intake (intake.hpp); the decisions themselves are
// the desk's rules (rules/desk/), this looks up what they need.
#include <algorithm>

#include "daemon/desk/intake.hpp"
#include "daemon/desk/ticket_facts.hpp"
#include "parsers/agent_mail.hpp"
#include "parsers/sha256.hpp"

namespace deskgate {

std::string_view bodyOf(std::string_view raw) {
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] != '\n') continue;
        if (i + 1 < raw.size() && raw[i + 1] == '\n') return raw.substr(i + 2);
        if (i + 2 < raw.size() && raw[i + 1] == '\r' && raw[i + 2] == '\n') return raw.substr(i + 3);
    }
    return {};
}

bool Intake::isRepeat(Incoming& in) {
    auto earlier = store_.tickets.fingerprintOf(in.message_id);
    if (!earlier) return false;
    // The same mail delivered again has the same sender and the same body (its Received lines
    // may differ). Anything else that carries a known Message-ID is another mail: taking it for
    // a duplicate would let anyone make mail vanish by reusing an id.
    const std::string earlierBody = !earlier->body_sha256.empty() ? earlier->body_sha256
                                    : earlier->raw.empty()        ? std::string()
                                                                  : sha256Hex(bodyOf(earlier->raw));
    if (earlier->direction == "in" && earlier->from_address == in.from_address && earlierBody == in.body_sha256)
        return true;
    const std::string reused = in.message_id;
    in.message_id = syntheticMessageId(in.raw);
    in.defect = "Message-ID <" + reused + "> was used before by " +
                (earlier->direction == "out" ? std::string("a mail deskgate sent") : "another mail from " + earlier->from_address) +
                ": stored as <" + in.message_id + ">";
    // That other mail may itself have come before (its synthetic id is stable).
    return store_.tickets.fingerprintOf(in.message_id).has_value();
}

Intake::Named Intake::namedTickets(const ParsedMail& mail) {
    Named named;
    auto consider = [&](std::optional<TicketRecord> t) -> const TicketRecord* {
        if (!t) return nullptr;
        for (const auto& n : named.tickets)
            if (n.id == t->id) return &n;
        named.tickets.push_back(std::move(*t));
        return &named.tickets.back();
    };
    // By the token in the subject, then by In-Reply-To and References (newest first) against
    // Message-IDs we stored or sent.
    if (mail.token) consider(store_.tickets.ticketByNumber(static_cast<std::int64_t>(*mail.token)));
    for (const auto& id : referencedIds(mail)) {
        auto tid = store_.tickets.ticketIdByMessageId(id);
        if (!tid) continue;
        if (const auto* t = consider(store_.tickets.ticketById(*tid))) named.references.push_back({id, t->number});
    }
    for (const auto& t : named.tickets) named.facts.push_back(factsOf(t, store_.tickets.participantsOf(t.id)));
    return named;
}

AgentVerdict Intake::proveAgentMail(const Incoming& in, const AgentConfig& agent, const Named& named) {
    const auto& proof = config_.agent_mail.agent_proof;
    const bool askMta = std::find(proof.begin(), proof.end(), AgentProofMethod::authentication_results) != proof.end();
    const bool authenticated =
        askMta && authenticatedFor(in.mail, agent.address, config_.agent_mail.trusted_servers);
    const bool keys = std::find(proof.begin(), proof.end(), AgentProofMethod::reply_key) != proof.end();
    return proveAgent(proof, agent.name, authenticated, named.references,
                      keys && !named.references.empty() ? composer_.replyKeySecret() : std::string());
}

void Intake::tellUnprovenAgent(const Incoming& in, const AgentConfig& agent, const TicketRecord& named,
                               const std::string& why) {
    const UnixTime now = now_();
    store_.tickets.addEvent({0, named.id, now, "system", "agent_unproven",
                             "mail " + in.message_id + " from agent " + agent.name +
                                 "'s address was handled as an outsider's: " + why});
    // Once a day per agent: a forger must not be able to flood the real agent's mailbox.
    const UnixTime day = now / 86400 * 86400;
    if (!store_.counters.takeUsage(normalizeAddress(agent.address), "agent_unproven", day, 1)) return;
    ComposedMail notice;
    notice.template_name = "agent_unproven";
    notice.to = {Address{agent.signature(), agent.address}};
    notice.keyed_for = agent.name;  // it goes to the real agent's mailbox: a Reply to it is theirs
    notice.auto_submitted = "auto-generated";
    notice.language = config_.language;
    notice.cause = in.message_id;
    notice.values.set("unproven.message_id", in.message_id);
    notice.values.set("unproven.reason", why);
    composer_.queue(named, notice);
}

void Intake::widenAudience(TicketRecord& ticket, const Incoming& in, Standing writer) {
    auto facts = factsOf(ticket, store_.tickets.participantsOf(ticket.id));
    const auto max = static_cast<std::size_t>(runtime_.rules->limits.max_recipients.value_or(kDefaultMaxRecipients));
    auto isDesk = [&](const std::string& a) { return composer_.isDeskAddress(a); };
    auto added = participantsAddedBy(writer, in.mail, facts, isDesk, max);
    const UnixTime now = now_();
    const std::string actor = "customer:" + in.from_address;
    for (const auto& a : added.added)
        if (store_.tickets.addParticipant(ticket.id, a, actor, now))
            store_.tickets.addEvent({0, ticket.id, now, actor, "participant", "+" + a});
    if (!added.over_limit.empty()) {
        std::string left;
        for (const auto& a : added.over_limit) left += (left.empty() ? "" : ", ") + a;
        store_.tickets.addEvent({0, ticket.id, now, "system", "participant",
                                 "not added (the ticket has " + std::to_string(max) + " participants): " + left});
    }
}

}  // namespace deskgate
