#include "rules/desk/audience.hpp"

#include <algorithm>
#include <set>

#include "parsers/ascii.hpp"

namespace deskgate {

std::string normalizeAddress(std::string_view address) { return lower(address); }

namespace {

std::string domainOf(std::string_view address) {
    auto at = address.rfind('@');
    return at == std::string_view::npos ? std::string() : lower(address.substr(at + 1));
}

}  // namespace

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

Address identityOf(const ParsedMail& mail) {
    for (const auto& a : mail.from)
        if (!a.address.empty()) return a;
    return {};
}

Address answerAddressOf(const ParsedMail& mail) {
    const Address from = identityOf(mail);
    for (const auto& r : mail.reply_to) {
        if (r.address.empty()) continue;
        if (!from.address.empty() && domainOf(r.address) == domainOf(from.address)) return r;
        break;  // a Reply-To elsewhere is no place to send an automatic answer
    }
    return from;
}

Standing standingOn(const TicketFacts& ticket, const WriterFacts& writer) {
    // Automatic mail comes from servers and robots: it attaches by token or reference as a note
    // for agents, and nothing it says is acted upon.
    if (isMachineMail(writer.kind)) return Standing::machine;
    if (writer.agent ||
        std::find(writer.agent_on.begin(), writer.agent_on.end(), ticket.number) != writer.agent_on.end())
        return Standing::agent;
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

Recipients acknowledgementRecipients(const ParsedMail& mail) {
    Recipients r;
    if (auto to = answerAddressOf(mail); !to.address.empty()) r.to = {to};
    return r;
}

Recipients customerRecipients(const Address& customer, const std::vector<std::string>& participants,
                              const std::vector<std::string>& refused, bool notify_participants) {
    auto dead = [&](const std::string& a) {
        return std::find(refused.begin(), refused.end(), normalizeAddress(a)) != refused.end();
    };
    Recipients r;
    if (!customer.address.empty() && !dead(customer.address)) r.to = {customer};
    if (notify_participants)
        for (const auto& p : participants)
            if (!dead(p) && normalizeAddress(p) != normalizeAddress(customer.address)) r.cc.push_back(Address{"", p});
    return r;
}

NewParticipants participantsAddedBy(Standing writer, const ParsedMail& mail, const TicketFacts& ticket,
                                    const IsDeskAddress& is_desk, std::size_t max_participants) {
    NewParticipants out;
    if (writer != Standing::customer) return out;  // a mail that merely attaches widens nothing
    std::vector<std::string> addresses;
    for (const auto* list : {&mail.to, &mail.cc})
        for (const auto& a : *list) addresses.push_back(normalizeAddress(a.address));
    std::size_t count = ticket.participants.size();
    for (auto& a : participantsFrom(ticket.customer, addresses, is_desk)) {
        if (std::find(ticket.participants.begin(), ticket.participants.end(), a) != ticket.participants.end()) continue;
        if (count >= max_participants) {
            out.over_limit.push_back(std::move(a));
            continue;
        }
        ++count;
        out.added.push_back(std::move(a));
    }
    return out;
}

}  // namespace deskgate
