#include "rules/desk/audience.hpp"

#include <algorithm>
#include <set>

#include "parsers/ascii.hpp"

namespace deskgate {

std::string normalizeAddress(std::string_view address) { return lower(address); }

const AgentConfig* agentNamed(std::span<const AgentConfig> agents, std::string_view name) {
    for (const auto& a : agents)
        if (a.name == name) return &a;
    // "#assign Ben" for ben: names are compared without case when nothing matches exactly.
    const std::string folded = lower(name);
    for (const auto& a : agents)
        if (lower(a.name) == folded) return &a;
    return nullptr;
}

const AgentConfig* agentWithAddress(std::span<const AgentConfig> agents, std::string_view address) {
    const std::string norm = normalizeAddress(address);
    for (const auto& a : agents)
        if (normalizeAddress(a.address) == norm) return &a;
    return nullptr;
}

std::string_view toString(Standing standing) {
    switch (standing) {
        case Standing::customer: return "customer";
        case Standing::participant: return "participant";
        case Standing::agent: return "agent";
        case Standing::machine: return "machine";
        case Standing::stranger: return "stranger";
    }
    return "stranger";
}

Address replyAddressOf(const ParsedMail& mail) {
    if (!mail.reply_to.empty() && !mail.reply_to[0].address.empty()) return mail.reply_to[0];
    if (!mail.from.empty()) return mail.from[0];
    return {};
}

Standing standingOn(const TicketFacts& ticket, const WriterFacts& writer) {
    // Automatic mail comes from servers and robots: it attaches by token or reference, and
    // nothing it says is acted upon.
    if (isMachineMail(writer.kind)) return Standing::machine;
    if (writer.agent) return Standing::agent;
    if (writer.address == ticket.customer) return Standing::customer;
    if (std::find(ticket.participants.begin(), ticket.participants.end(), writer.address) != ticket.participants.end())
        return Standing::participant;
    return Standing::stranger;
}

ThreadChoice chooseTicket(std::span<const TicketFacts> candidates, const WriterFacts& writer) {
    ThreadChoice choice;
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        if (mayWriteOn(standingOn(candidates[i], writer))) {
            choice.ticket = i;
            return choice;
        }
        // A token or Message-ID is no password: naming a ticket does not make one part of it.
        if (!choice.foreign) choice.foreign = candidates[i].number;
    }
    return choice;
}

std::vector<std::string> referencedIds(const ParsedMail& mail) {
    std::vector<std::string> ids;
    if (!mail.in_reply_to.empty()) ids.push_back(mail.in_reply_to);
    ids.insert(ids.end(), mail.references.rbegin(), mail.references.rend());
    if (mail.bounce && !mail.bounce->original_message_id.empty()) ids.push_back(mail.bounce->original_message_id);
    return ids;
}

std::vector<std::string> participantsFrom(const std::string& customer, const std::vector<std::string>& addresses,
                                          const IsDeskAddress& is_desk) {
    std::vector<std::string> out;
    std::set<std::string> seen{customer};
    for (const auto& address : addresses)
        if (!address.empty() && !is_desk(address) && seen.insert(address).second) out.push_back(address);
    return out;
}

std::vector<const AgentConfig*> agentsToTell(const TicketFacts& ticket, std::span<const AgentConfig> agents,
                                             const RuleSet& rules, std::string_view except) {
    std::vector<const AgentConfig*> out;
    auto byName = [&](std::string_view name) { return agentNamed(agents, name); };
    auto add = [&](const AgentConfig* a) {
        if (a && a->name != except && std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
    };
    if (!ticket.assignee.empty()) {
        add(byName(ticket.assignee));
    } else if (!ticket.team.empty()) {
        if (const Team* team = rules.team(ticket.team))
            for (const auto& name : team->agents) add(byName(name));
        for (const auto& a : agents)
            if (std::find(a.teams.begin(), a.teams.end(), ticket.team) != a.teams.end()) add(&a);
    }
    if (out.empty() && ticket.assignee.empty())
        for (const auto& a : agents) add(&a);  // nobody responsible yet: the whole desk
    return out;
}

Recipients acknowledgementRecipients(const Address& writer, const std::vector<std::string>& participants) {
    Recipients r;
    r.to = {writer};
    for (const auto& p : participants) r.cc.push_back(Address{"", p});
    return r;
}

}  // namespace deskgate
