// What happens to one incoming mail: parse, recognise duplicates and automatic mail, find out
// who wrote it and which ticket it belongs to (the desk's rules, rules/desk/, decide; this
// looks the facts up and applies the decision), thread onto a ticket or open one (routed by
// the rules), store it with its events, and queue the answers — all inside the caller's
// transaction, so the mail, the ticket change and the outgoing mail commit together.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon/desk/mail_composer.hpp"
#include "daemon/runtime.hpp"
#include "parsers/agent_mail.hpp"
#include "parsers/parsed_mail.hpp"
#include "rules/desk/agent_proof.hpp"
#include "rules/desk/audience.hpp"
#include "storage/store.hpp"

namespace deskgate {

struct IntakeResult {
    // already_processed, duplicate, new_ticket, reply, agent_reply, note, rating, command_error,
    // reply_too_large, quarantined
    std::string outcome;
    std::optional<std::int64_t> ticket_number;
    int queued_mails = 0;
    std::string reason;  // for quarantined and duplicate
};

// A mail failed in a batch run without a savepoint per mail (Intake::isolateEachMail(false)):
// the batch must be rolled back and run again with them, so that the failure is this mail's only.
struct MailNeedsIsolation : std::runtime_error {
    using std::runtime_error::runtime_error;
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
    // With isolateEachMail(false) there is no savepoint and such a failure throws
    // MailNeedsIsolation instead: the caller rolls the batch back and runs it again isolated.
    IntakeResult processIsolated(const MailOrigin& origin, const std::string& raw);

    // A batch is first run without a savepoint per mail (two round trips each on PostgreSQL,
    // and a subtransaction whose row locks cost PostgreSQL more), its held-back rows written
    // once for the whole batch; only a batch in which some mail fails is run again isolated.
    void isolateEachMail(bool isolate) { isolate_ = isolate; }
    // The batch's last step before its commit: without savepoints, what was held back for it is
    // written now, so that a row the database refuses is MailNeedsIsolation.
    void finishBatch();

    // first_start: all — the mail that was in the folder before the first start becomes
    // tickets as it is, history to search, with nothing sent for it.
    void importQuietly(bool quiet) { composer_.setQuiet(quiet); }

    // A batch's UIDs of one mailbox, looked up in the intake log with one query (mail taken in
    // before a restart, not yet flagged, is not taken in again): process() then asks the log no
    // more for UIDs from `first` to `last`. Call inside the batch's transaction, again when it
    // is run again.
    void expectUids(const std::string& mailbox, std::int64_t uidvalidity, std::int64_t first, std::int64_t last);

    // Takes a quarantined mail in again (after the rules, limits or templates were fixed): it
    // leaves the quarantine, and lands there again with the new reason if it still cannot be handled.
    IntakeResult replay(const QuarantineRecord& record);

    IntakeResult quarantine(const MailOrigin& origin, const std::string& raw, const std::string& message_id,
                            const std::string& reason);

private:
    struct ExpectedUids {
        std::string mailbox;
        std::int64_t uidvalidity = 0, first = 0, last = 0;
        std::map<std::int64_t, std::string> done;  // uid -> outcome
    };
    std::optional<ExpectedUids> expected_;
    bool isolate_ = true;
    // Runs `work`; with isolateEachMail(false), a failure that is not the database's (gone,
    // conflict) is MailNeedsIsolation.
    template <typename F>
    auto unisolated(F&& work) -> decltype(work());

    // One incoming mail while intake decides about it.
    struct Incoming {
        const MailOrigin& origin;
        const std::string& raw;
        const ParsedMail& mail;
        std::string message_id;    // the mail's own, or a synthetic one (none, or reused)
        std::string body_sha256;   // of the body after the header
        Address from;              // the mail's identity (From)
        std::string from_address;  // normalised
        std::string defect;        // recorded on the ticket it lands on
        const std::string& newText() const { return mail.reply_text.empty() ? mail.text : mail.reply_text; }
    };
    // The tickets a mail names (token, then references) with their facts, and which Message-ID
    // names which ticket (for reply keys).
    struct Named {
        std::vector<TicketRecord> tickets;
        std::vector<TicketFacts> facts;
        std::vector<ReferencedTicket> references;
    };

    // --- who wrote it, and on what (intake_writer.cpp) ---------------------------------
    // The same mail again (same Message-ID, sender and body)? A reused Message-ID with other
    // content gets a synthetic one and a defect instead: it is another mail, and is taken in.
    bool isRepeat(Incoming& in);
    Named namedTickets(const ParsedMail& mail);
    // Whether the mail from an agent's address proves the agent (agent_mail.agent_proof).
    AgentVerdict proveAgentMail(const Incoming& in, const AgentConfig& agent, const Named& named);
    // A mail from an agent's address that proves nothing: the agent hears of it (once a day).
    void tellUnprovenAgent(const Incoming& in, const AgentConfig& agent, const TicketRecord& named,
                           const std::string& why);
    // Adds the participants the desk's rules allow for this writer's mail; events for each.
    void widenAudience(TicketRecord& ticket, const Incoming& in, Standing writer);

    MessageRecord messageFrom(const Incoming& in, std::int64_t ticket_id, const std::string& author);
    IntakeResult openTicket(const Incoming& in, std::optional<std::int64_t> linked_from,
                            const std::string& link_reason = "");
    // A customer's, participant's or machine's mail on the ticket: stored, reopens (`reopen`),
    // tells the agents; machine mail is a note for agents and acts on nothing.
    IntakeResult addToTicket(TicketRecord& ticket, const Incoming& in, Standing writer, bool reopen);
    // The answer to the satisfaction question: stored once, thanked once, reopens nothing.
    IntakeResult rating(TicketRecord& ticket, const Incoming& in, const Rating& answer);

    // --- agents' mail (intake_agents.cpp) ---------------------------------------------
    IntakeResult agentMail(TicketRecord& ticket, const Incoming& in, const AgentConfig& agent);
    // What agentMail does with valid commands: store, apply, tell the customer (with `files`).
    IntakeResult applyAgentMail(TicketRecord& ticket, const Incoming& in, MessageRecord& message,
                                const AgentCommands& commands, const AgentConfig& agent,
                                std::vector<OutgoingAttachment> files);
    // The files of an agent's mail that go to the customer, with their bytes.
    std::vector<OutgoingAttachment> filesOfAgentMail(const Incoming& in);
    // The reply with its files is larger than the relay takes: nothing is applied or relayed,
    // the agent is told (`reply_too_large`).
    ComposedMail answerToAgent(const char* template_name, const MessageRecord& msg, const Incoming& in,
                               const AgentCommands& commands) const;
    IntakeResult refuseTooLarge(const TicketRecord& ticket, const Incoming& in, MessageRecord& message,
                                const AgentCommands& commands, const AgentConfig& agent, const MailTooLarge& why);
    // Any wrong command line: nothing is applied, the agent is told which line and why.
    IntakeResult refuseCommands(const TicketRecord& ticket, const Incoming& in, MessageRecord& message,
                                const AgentCommands& commands, const AgentConfig& agent);
    struct AppliedCommands {
        std::string closing;       // "resolved" or "closed" when the mail closed the ticket
        std::string new_assignee;  // when #assign changed the assignee
    };
    // Applies valid commands to the ticket, each change an event with the agent as actor.
    AppliedCommands applyCommands(TicketRecord& ticket, const AgentCommands& commands, const AgentConfig& agent);
    // Tells the assigned agent (or the team, or every agent) about the mail, each in a mail of
    // their own that carries their reply key; never the agent named `except` (who caused it).
    int notifyAgents(const TicketRecord& ticket, const Incoming& in, const std::string& event,
                     const std::string& except = "");

    // Records the change as an event and sets the status times; the caller recomputes the SLA.
    void setStatus(TicketRecord& ticket, const std::string& status, const std::string& actor, const std::string& why);
    // The mail's last steps on its ticket: saved (unless it is still `as_stored`, a ticket just
    // created and not changed since), the intake log written.
    void finish(TicketRecord& ticket, const Incoming& in, const std::string& outcome,
                const TicketRecord* as_stored = nullptr);

    const Runtime& runtime_;
    const Config& config_;
    SociStore& store_;
    Now now_;
    MailComposer composer_;
};

// One line for people: "new_ticket ticket 1001", "quarantined: too_deep: ...".
std::string describe(const IntakeResult& result);

// The body of a raw mail: what follows the first empty line (CRLF or LF mail).
std::string_view bodyOf(std::string_view raw);

// A stable Message-ID for mail that has none (so a repeat is still recognised).
std::string syntheticMessageId(std::string_view raw);

// SLA deadlines for a ticket under the rule set (none when it has no SLA policy), counted
// in business time with the clock stopped while the ticket's status history (its "status"
// events) shows a status of the policy's pause_when, and for its current priority. Call after
// every status or priority change: the deadlines move.
void applySla(const RuleSet& rules, TicketRecord& ticket, const std::vector<EventRecord>& events = {});

}  // namespace deskgate
