// Every mail deskgate sends is made here: a template rendered with the ticket's values, built
// into MIME, queued in the outbox and recorded on the ticket (so replies to it thread) — in
// the caller's transaction.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "daemon/runtime.hpp"
#include "storage/store.hpp"
#include "templates/message_builder.hpp"
#include "templates/template_values.hpp"

namespace deskgate {

struct ComposedMail {
    std::string template_name;
    std::vector<Address> to;
    std::vector<Address> cc;        // participants who get what the customer gets
    bool reply_to_support = false;  // Reply-To: the support address (mail to agents)
    std::string author = "system";  // who the stored copy is from: "system" or "agent:NAME"
    std::vector<OutgoingAttachment> attachments;
    TemplateValues values;          // added to the ticket's standard values
    std::string language;           // "" = the ticket's, else the configured default
    std::string in_reply_to;        // Message-ID the mail answers, without <>
    std::vector<std::string> references;
    std::string auto_submitted = "auto-replied";  // RFC 3834: "auto-replied" / "auto-generated"; "" for
                                                  // relayed agent replies (people's mail)
    std::string kind;               // outbox kind, defaults to the template name
    std::string cause;              // Message-ID of the mail that caused this one (part of the new id)
    std::string keyed_for;          // agent name: the Message-ID carries that agent's reply key
    // Called once when the built mail is larger than the relay takes (MailComposer::sizeBudget),
    // with the size it had: makes the mail smaller (drops attachments, says so in the values);
    // it is then rendered and built again. Without it, or still too large, nothing is queued
    // and queue() throws MailTooLarge.
    std::function<void(ComposedMail&, std::size_t size)> shrink;
};

// A mail that would be larger than smtp.max_message_size allows (less kRelayHeadroom): the
// relay would refuse it for good.
struct MailTooLarge : std::runtime_error {
    MailTooLarge(std::size_t size_, std::size_t budget_)
        : std::runtime_error("the mail would be " + std::to_string(size_) + " bytes, more than the " +
                             std::to_string(budget_) + " the relay takes (smtp.max_message_size)"),
          size(size_), budget(budget_) {}
    std::size_t size, budget;
};

class MailComposer {
public:
    using Now = std::function<UnixTime()>;
    MailComposer(const Runtime& runtime, SociStore& store, Now now);

    // The values every template gets: ticket.*, token, customer.*, support.*.
    TemplateValues ticketValues(const TicketRecord& ticket) const;
    std::string tokenFor(std::int64_t number) const;

    // Renders, builds, queues and records; returns the new Message-ID, or "" when the rate
    // limits (rules `limits`) left no recipient (each suppressed one is an event on the ticket).
    // Throws StorageError when the template cannot be rendered (a broken template must not
    // pass silently), MailTooLarge when the mail is over sizeBudget() (after `shrink`).
    std::string queue(const TicketRecord& ticket, ComposedMail mail);
    // first_start: all imports the mail already in a folder as it is: nothing is sent for it
    // (no acknowledgement, no notification); queue() then does nothing and returns "".
    void setQuiet(bool quiet) { quiet_ = quiet; }

    // The largest mail deskgate builds: smtp.max_message_size less kRelayHeadroom.
    std::size_t sizeBudget() const;

    // Mail to the customer's side: `mail` goes to the customer (at the ticket's answer address),
    // Cc the participants, never to an address refused for good for this ticket, in the thread
    // (In-Reply-To/References) the customer's client shows. False when nothing was queued.
    bool queueToCustomer(const TicketRecord& ticket, ComposedMail mail);
    void threadForCustomer(const std::vector<MessageRecord>& messages, ComposedMail& mail) const;

    // The agents who hear of a ticket (rules/desk agentsToTell); never the agent named `except`.
    std::vector<const AgentConfig*> agentsFor(const TicketRecord& ticket, const std::string& except = "") const;
    // `mail` to each of `agents` on its own, each with its Message-ID carrying that agent's
    // reply key (so a Reply proves the agent); returns how many were queued.
    int queueToAgents(const TicketRecord& ticket, const ComposedMail& mail, const std::vector<const AgentConfig*>& agents);
    // A mail failed for good. To the customer's side: the agents are told (`delivery_failed`).
    // To the desk's side (an agent's notification, an escalation, ...): the ticket's team lead,
    // else agent_mail.failure_notice_to, is told (`agent_delivery_failed`), at most once an hour
    // per address not reached; an event on the ticket says what happened. A failure notice that
    // fails makes no further notice. True when a notice was queued.
    bool queueDeliveryFailure(const TicketRecord& ticket, const OutboxRecord& failed, const std::string& reason);

    // The secret behind reply keys (made once per database, shared by every daemon on it).
    const std::string& replyKeySecret() const;
    // A support or agent address: never a participant, never rate-limited.
    bool isDeskAddress(const std::string& address) const;

private:
    struct Built {
        OutgoingMail out;
        std::string raw;
    };
    Built build(const TicketRecord& ticket, const ComposedMail& mail);
    bool queueAgentDeliveryFailure(const TicketRecord& ticket, const OutboxRecord& failed, const std::string& reason);

    // Drops the recipients of an automatic mail that are over the rate limits (and counts the
    // rest); false when none is left.
    bool withinLimits(const TicketRecord& ticket, ComposedMail& mail);

    bool quiet_ = false;
    const Runtime& runtime_;
    SociStore& store_;
    Now now_;
    mutable std::optional<std::string> secret_;
};

// 32 random bytes (OpenSSL RAND_bytes) as hex: the secret behind agents' reply keys.
std::string randomSecret();

}  // namespace deskgate
