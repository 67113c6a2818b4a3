// Who is who on a ticket, which ticket a mail belongs to, and who hears of what: the desk's
// decisions about people, as pure functions over what the daemon looked up (desk_facts.hpp).
// daemon/desk/ gathers the facts, calls these, and applies the result.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "parsers/parsed_mail.hpp"
#include "rules/desk/desk_facts.hpp"
#include "rules/rule_set.hpp"

namespace deskgate {

// Written by a machine (bounces, out-of-office, feedback reports); list mail is people's.
inline bool isMachineMail(MailKind kind) { return kind != MailKind::normal && kind != MailKind::list; }
// RFC 3834 §2 and DESIGN §6: never answer automatic mail, lists, or mail that is ours.
inline bool isAutomaticMail(MailKind kind) { return kind != MailKind::normal; }

// A mail's identity is its From address (the first mailbox of From); Reply-To, which anyone
// can write, only says where to answer.
Address identityOf(const ParsedMail& mail);
// Where a mail is answered: Reply-To when it names an address in the From address's domain (a
// team alias of the sender's own organisation), else From — an answer never goes to a
// stranger named by the sender.
Address answerAddressOf(const ParsedMail& mail);

// What the desk knows of the writer of one mail.
struct WriterFacts {
    std::string address;     // normalised From
    bool agent = false;      // From is an agent proven for every ticket (DKIM/SPF, or from_address)
    std::vector<std::int64_t> agent_on;  // tickets a reply key proves the agent wrote on
    MailKind kind = MailKind::normal;
};

// The writer's standing on one ticket.
enum class Standing { customer, participant, agent, machine, stranger };
std::string_view toString(Standing standing);

Standing standingOn(const TicketFacts& ticket, const WriterFacts& writer);
// Only people who belong to a ticket write on it: its customer, a participant, an agent —
// and automatic mail, which attaches and is never acted upon.
inline bool mayWriteOn(Standing s) { return s != Standing::stranger; }

// The tickets a mail names, in the order of the evidence: the subject token's ticket first,
// then In-Reply-To, then References newest first (a ticket named twice appears once).
struct ThreadChoice {
    std::optional<std::size_t> ticket;    // index into the candidates: the ticket it belongs to
    std::optional<std::int64_t> foreign;  // else the number of the first ticket it names
};
ThreadChoice chooseTicket(std::span<const TicketFacts> candidates, const WriterFacts& writer);

// The Message-IDs a mail answers, in the order they count for threading: In-Reply-To,
// References newest first, and for a bounce the original's Message-ID.
std::vector<std::string> referencedIds(const ParsedMail& mail);

// Whether an address is the desk's own (a support address) or an agent's.
using IsDeskAddress = std::function<bool(const std::string& address)>;

// Who besides the customer gets what the customer gets: the addresses on the customer's mails
// (`addresses`: From, To and Cc of each, in order), not the desk's, not the customer's, each once.
std::vector<std::string> participantsFrom(const std::string& customer, const std::vector<std::string>& addresses,
                                          const IsDeskAddress& is_desk);

// The agents who hear of a ticket: its assignee; with nobody assigned its team (the rules'
// team list, then agents who name the team); with no team either, every agent. Never the agent
// named `except` (who caused the mail).
std::vector<const AgentConfig*> agentsToTell(const TicketFacts& ticket, std::span<const AgentConfig> agents,
                                             const RuleSet& rules, std::string_view except = "");

struct Recipients {
    std::vector<Address> to;
    std::vector<Address> cc;
};
// The acknowledgement of a new ticket goes to the sender alone, at the answer address: never
// to the Cc of a mail anyone could have written.
Recipients acknowledgementRecipients(const ParsedMail& mail);

// What goes to the customer's side: the customer at the ticket's answer address, Cc the
// participants (when they are notified); never an address refused for good for this ticket.
Recipients customerRecipients(const Address& customer, const std::vector<std::string>& participants,
                              const std::vector<std::string>& refused, bool notify_participants);

// Only the customer and agents widen a ticket's audience. The addresses a mail adds as
// participants: for the customer's own mail, her To and Cc that are new (not the desk's, not
// hers), up to `max_participants` on the ticket; for anyone else none.
struct NewParticipants {
    std::vector<std::string> added;
    std::vector<std::string> over_limit;  // left out: the ticket had `max_participants` already
};
NewParticipants participantsAddedBy(Standing writer, const ParsedMail& mail, const TicketFacts& ticket,
                                    const IsDeskAddress& is_desk, std::size_t max_participants);

}  // namespace deskgate
