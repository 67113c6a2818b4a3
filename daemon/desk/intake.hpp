// What happens to one incoming mail: parse, recognise duplicates and automatic mail, thread
// onto a ticket or open one (routed by the rules), store it with its events, and queue the
// answers — all inside the caller's transaction, so the mail, the ticket change and the
// outgoing mail commit together.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "daemon/desk/mail_composer.hpp"
#include "daemon/runtime.hpp"
#include "parsers/agent_mail.hpp"
#include "parsers/parsed_mail.hpp"
#include "storage/store.hpp"

namespace deskgate {

struct IntakeResult {
    // already_processed, duplicate, new_ticket, reply, quarantined
    std::string outcome;
    std::optional<std::int64_t> ticket_number;
    int queued_mails = 0;
    std::string reason;  // for quarantined
};

class Intake {
public:
    using Now = std::function<UnixTime()>;
    Intake(const Runtime& runtime, SociStore& store, Now now);

    // Call inside store.transaction(). Throws StorageError/StorageUnavailable on database
    // trouble (the caller rolls back and retries later); every problem with the mail itself
    // ends in quarantine instead.
    IntakeResult process(const MailOrigin& origin, const std::string& raw);

    // process() inside a savepoint: an unexpected failure with this one mail (not the
    // database going away) quarantines it with the reason instead of failing the batch.
    IntakeResult processIsolated(const MailOrigin& origin, const std::string& raw);

    // Takes a quarantined mail in again (after the rules, limits or templates were fixed): it
    // leaves the quarantine, and lands there again with the new reason if it still cannot be handled.
    IntakeResult replay(const QuarantineRecord& record);

    IntakeResult quarantine(const MailOrigin& origin, const std::string& raw, const std::string& message_id,
                            const std::string& reason);

private:
    // The ticket a mail belongs to (by token, then In-Reply-To/References). A mail from
    // someone who is not part of the ticket it names gets none, and `foreign` names that ticket.
    std::optional<TicketRecord> findTicket(const ParsedMail& mail, const std::string& sender, const AgentConfig* agent,
                                           std::optional<std::int64_t>& foreign);
    // The agent who sent `mail`, or nullptr: not an agent address, or (require_authenticated)
    // an agent address without a trusted DKIM/SPF pass — then `why` says so.
    const AgentConfig* agentOf(const ParsedMail& mail, const std::string& from, std::string& why) const;
    MessageRecord messageFrom(const ParsedMail& mail, const std::string& raw, const MailOrigin& origin,
                              std::int64_t ticket_id, const std::string& message_id, const AgentConfig* agent);
    IntakeResult openTicket(const MailOrigin& origin, const std::string& raw, const ParsedMail& mail,
                            const std::string& message_id, const Address& sender,
                            std::optional<std::int64_t> linked_from, const std::string& link_reason = "");
    // A customer's (or participant's) mail on the ticket: stored, reopens (`reopen`), tells the agents.
    IntakeResult addToTicket(TicketRecord& ticket, const MailOrigin& origin, const std::string& raw,
                             const ParsedMail& mail, const std::string& message_id, const std::string& sender,
                             bool reopen);
    IntakeResult agentMail(TicketRecord& ticket, const MailOrigin& origin, const std::string& raw,
                           const ParsedMail& mail, const std::string& message_id, const AgentConfig& agent);
    // Any wrong command line: nothing is applied, the agent is told which line and why.
    IntakeResult refuseCommands(const TicketRecord& ticket, const MailOrigin& origin, MessageRecord& message,
                                const ParsedMail& mail, const AgentCommands& commands, const AgentConfig& agent);
    struct AppliedCommands {
        std::string closing;       // "resolved" or "closed" when the mail closed the ticket
        std::string new_assignee;  // when #assign changed the assignee
    };
    // Applies valid commands to the ticket, each change an event with the agent as actor.
    AppliedCommands applyCommands(TicketRecord& ticket, const AgentCommands& commands, const AgentConfig& agent);
    // The answer to the satisfaction question: stored once, thanked once, reopens nothing.
    IntakeResult rating(TicketRecord& ticket, const MailOrigin& origin, const std::string& raw, const ParsedMail& mail,
                        const std::string& message_id, const std::string& sender, const Rating& answer);

    // Tells the assigned agent (or the team, or every agent) about the mail; never the agent
    // named in `except` (who caused it).
    int notifyAgents(const TicketRecord& ticket, const ParsedMail& mail, const std::string& raw,
                     const std::string& event, const std::string& cause, const std::string& except = "");
    // Per-address and overall caps on automatic answers (rules `limits`); counts when allowed.
    bool allowAutomaticAnswer(const TicketRecord& ticket, const std::string& address);
    // Records the change as an event and sets the status times; the caller recomputes the SLA.
    void setStatus(TicketRecord& ticket, const std::string& status, const std::string& actor, const std::string& why);

    const Runtime& runtime_;
    const Config& config_;
    SociStore& store_;
    Now now_;
    MailComposer composer_;
};

// One line for people: "new_ticket ticket 1001", "quarantined: too_deep: ...".
std::string describe(const IntakeResult& result);

// A stable Message-ID for mail that has none (so a repeat is still recognised).
std::string syntheticMessageId(std::string_view raw);

// SLA deadlines for a ticket under the rule set (none when it has no SLA policy), counted
// in business time with the clock stopped while the ticket's status history (its "status"
// events) shows a status of the policy's pause_when, and for its current priority. Call after
// every status or priority change: the deadlines move.
void applySla(const RuleSet& rules, TicketRecord& ticket, const std::vector<EventRecord>& events = {});

}  // namespace deskgate
