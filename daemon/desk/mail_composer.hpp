// Every mail deskgate sends is made here: a template rendered with the ticket's values, built
// into MIME, queued in the outbox and recorded on the ticket (so replies to it thread) — in
// the caller's transaction.
#pragma once

#include <functional>
#include <span>
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
};

class MailComposer {
public:
    using Now = std::function<UnixTime()>;
    MailComposer(const Runtime& runtime, SociStore& store, Now now);

    // The values every template gets: ticket.*, token, customer.*, support.*.
    TemplateValues ticketValues(const TicketRecord& ticket) const;
    std::string tokenFor(std::int64_t number) const;

    // Renders, builds, queues and records; returns the new Message-ID. Throws StorageError
    // when the template cannot be rendered (a broken template must not pass silently).
    std::string queue(const TicketRecord& ticket, const ComposedMail& mail);

    // Mail to the customer's side: `mail` goes to the customer, Cc the participants, in the
    // thread (In-Reply-To/References) the customer's client shows.
    void queueToCustomer(const TicketRecord& ticket, ComposedMail mail);
    // Who besides the customer gets customer mail: addresses in To/Cc of the customer's mails,
    // not ours, not agents' (none when `participants: { notify: false }`).
    std::vector<Address> participantsOf(const TicketRecord& ticket, std::span<const MessageRecord> messages) const;
    void threadForCustomer(const std::vector<MessageRecord>& messages, ComposedMail& mail) const;

    // The agents who hear of a ticket: its assignee; with nobody assigned its team; with no
    // team either, every agent. Never the agent named `except` (who caused the mail).
    std::vector<Address> agentRecipients(const TicketRecord& ticket, const std::string& except = "") const;
    // Tells the agents that a mail to the customer's side failed for good (`delivery_failed`).
    // Nothing for mail that went to agents anyway: a failed notice must not make another.
    bool queueDeliveryFailure(const TicketRecord& ticket, const OutboxRecord& failed, const std::string& reason);

private:
    const Runtime& runtime_;
    SociStore& store_;
    Now now_;
};

}  // namespace deskgate
