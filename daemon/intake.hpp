// What happens to one incoming mail: parse, recognise duplicates and automatic mail, thread
// onto a ticket or open one (routed by the rules), store it with its events, and queue the
// answers — all inside the caller's transaction, so the mail, the ticket change and the
// outgoing mail commit together.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "daemon/mail_composer.hpp"
#include "daemon/runtime.hpp"
#include "parsers/parsed_mail.hpp"
#include "storage/ticket_store.hpp"

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
    Intake(const Runtime& runtime, SociTicketStore& store, Now now);

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
    std::optional<TicketRecord> findTicket(const ParsedMail& mail, const std::string& sender, bool& token_from_stranger);
    MessageRecord messageFrom(const ParsedMail& mail, const std::string& raw, const MailOrigin& origin,
                              std::int64_t ticket_id, const std::string& message_id);
    IntakeResult openTicket(const MailOrigin& origin, const std::string& raw, const ParsedMail& mail,
                            const std::string& message_id, const Address& sender,
                            std::optional<std::int64_t> linked_from, const std::string& link_reason = "");
    IntakeResult addToTicket(TicketRecord& ticket, const MailOrigin& origin, const std::string& raw,
                             const ParsedMail& mail, const std::string& message_id, const std::string& sender);

    const Runtime& runtime_;
    const Config& config_;
    SociTicketStore& store_;
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
