#include "daemon/desk/mail_composer.hpp"

#include <algorithm>
#include <chrono>

#include "daemon/text_format.hpp"
#include "daemon/desk/ticket_facts.hpp"
#include "rules/desk/audience.hpp"
#include "templates/message_builder.hpp"

namespace deskgate {

namespace {

// The customer's side of the conversation: the customer's mail and what went to the customer.
bool isCustomerFacing(const MessageRecord& m) {
    return m.direction == "out" ? isCustomerFacingKind(m.kind) : m.author == "customer";
}

}  // namespace

MailComposer::MailComposer(const Runtime& runtime, SociStore& store, Now now)
    : runtime_(runtime), store_(store), now_(std::move(now)) {}

std::string MailComposer::tokenFor(std::int64_t number) const {
    return formatToken(runtime_.config.identity.token_format, static_cast<std::uint64_t>(number));
}

TemplateValues MailComposer::ticketValues(const TicketRecord& t) const {
    TemplateValues v;
    v.set("ticket.number", std::to_string(t.number));
    v.set("token", tokenFor(t.number));
    v.set("ticket.subject", t.subject);
    v.set("ticket.status", t.status);
    v.set("ticket.priority", t.priority);
    v.set("ticket.queue", t.queue);
    v.set("customer.name", t.customer_name.empty() ? t.customer_address : t.customer_name);
    v.set("customer.address", t.customer_address);
    v.set("support.name", runtime_.config.identity.name);
    v.set("support.address", runtime_.config.identity.address);
    if (!t.assignee.empty()) v.set("agent.name", t.assignee);
    return v;
}

std::string MailComposer::queue(const TicketRecord& ticket, const ComposedMail& mail) {
    TemplateValues values = ticketValues(ticket);
    for (const auto& [k, val] : mail.values.values()) values.set(k, val);
    for (const auto& [k, items] : mail.values.lists())
        for (const auto& item : items) values.add(k, item);
    std::string language = !mail.language.empty()  ? mail.language
                           : !ticket.language.empty() ? ticket.language
                                                      : runtime_.config.language;
    auto rendered = runtime_.templates.render(mail.template_name, language, values);
    if (!rendered) throw StorageError("cannot render template '" + mail.template_name + "': " + rendered.error().str());

    const UnixTime now = now_();
    OutgoingMail out;
    out.from = {runtime_.config.identity.name, runtime_.config.identity.address};
    out.to = mail.to;
    out.cc = mail.cc;
    if (mail.reply_to_support) out.reply_to = Address{runtime_.config.identity.name, runtime_.config.identity.address};
    out.attachments = mail.attachments;
    out.subject = rendered->subject;
    out.text = rendered->text;
    out.html = rendered->html;
    // Deterministic per ticket, template, time and recipient; unique because the store refuses
    // a Message-ID twice (a clash would roll the transaction back, never send twice).
    std::string seed = "t" + std::to_string(ticket.number) + "-" + mail.template_name + "-" + std::to_string(now) +
                       "-" + (mail.to.empty() ? "" : mail.to[0].address) + "-" + mail.in_reply_to + "-" + mail.cause;
    out.message_id = makeMessageId(runtime_.config.identity.domain, seed);
    out.in_reply_to = mail.in_reply_to;
    out.references = mail.references;
    if (!mail.in_reply_to.empty() &&
        (out.references.empty() || out.references.back() != mail.in_reply_to))
        out.references.push_back(mail.in_reply_to);
    out.auto_submitted = mail.auto_submitted;
    out.date = std::chrono::system_clock::time_point(std::chrono::seconds(now));
    const std::string raw = buildMessage(out);

    OutboxRecord o;
    o.ticket_id = ticket.id;
    o.kind = mail.kind.empty() ? mail.template_name : mail.kind;
    o.mail_from = runtime_.config.identity.address;
    for (const auto& a : mail.to) o.recipients.push_back(a.address);
    for (const auto& a : mail.cc) o.recipients.push_back(a.address);
    o.message_id = out.message_id;
    o.raw = raw;
    o.next_attempt_at = now;
    o.created_at = now;
    store_.outbox.queueMail(o);

    MessageRecord m;
    m.ticket_id = ticket.id;
    m.direction = "out";
    m.author = mail.author;
    m.message_id = out.message_id;
    m.in_reply_to = out.in_reply_to;
    m.references = joinWords(out.references);
    m.from_address = normalizeAddress(runtime_.config.identity.address);
    m.from_name = runtime_.config.identity.name;
    for (const auto& a : mail.to) m.to += (m.to.empty() ? "" : ",") + normalizeAddress(a.address);
    for (const auto& a : mail.cc) m.cc += (m.cc.empty() ? "" : ",") + normalizeAddress(a.address);
    m.subject = out.subject;
    m.text = out.text;  // the bytes are the outbox row's (same Message-ID): not stored twice
    m.kind = o.kind;
    m.mailbox = ticket.mailbox;
    m.created_at = now;
    store_.tickets.addMessage(m);
    return out.message_id;
}

std::vector<Address> MailComposer::participantsOf(const TicketRecord& ticket,
                                                  std::span<const MessageRecord> messages) const {
    std::vector<Address> out;
    if (!runtime_.config.notify_participants) return out;
    // People the customer wrote to along with us, and those who wrote on the customer's side.
    std::vector<std::string> addresses;
    for (const auto& m : messages) {
        if (m.direction != "in" || m.author != "customer") continue;
        addresses.push_back(m.from_address);
        for (const auto& list : {m.to, m.cc})
            for (const auto& a : splitList(list, ',')) addresses.push_back(a);
    }
    const Config& config = runtime_.config;
    auto isDesk = [&](const std::string& a) { return config.isOwnAddress(a) || config.agentByAddress(a) != nullptr; };
    for (auto& a : participantsFrom(normalizeAddress(ticket.customer_address), addresses, isDesk))
        out.push_back(Address{"", std::move(a)});
    return out;
}

void MailComposer::threadForCustomer(const std::vector<MessageRecord>& messages, ComposedMail& mail) const {
    std::vector<std::string> ids;
    for (const auto& m : messages)
        if (isCustomerFacing(m) && !m.message_id.empty() && m.message_id.find("@deskgate.invalid") == std::string::npos)
            ids.push_back(m.message_id);
    if (ids.empty()) return;
    mail.in_reply_to = ids.back();
    ids.pop_back();
    mail.references = ids;  // buildMessage keeps the root and the most recent ones
}

void MailComposer::queueToCustomer(const TicketRecord& ticket, ComposedMail mail) {
    auto messages = store_.tickets.messagesOf(ticket.id);
    mail.to = {Address{ticket.customer_name, ticket.customer_address}};
    mail.cc = participantsOf(ticket, messages);
    threadForCustomer(messages, mail);
    queue(ticket, mail);
}

std::vector<Address> MailComposer::agentRecipients(const TicketRecord& ticket, const std::string& except) const {
    std::vector<Address> out;
    for (const auto* a : agentsToTell(factsOf(ticket), runtime_.config.agents, *runtime_.rules, except))
        out.push_back(Address{a->signature(), a->address});
    return out;
}

bool MailComposer::queueDeliveryFailure(const TicketRecord& ticket, const OutboxRecord& failed,
                                        const std::string& reason) {
    if (!isCustomerFacingKind(failed.kind)) return false;
    auto to = agentRecipients(ticket);
    if (to.empty()) return false;
    ComposedMail notice;
    notice.template_name = "delivery_failed";
    notice.to = to;
    notice.reply_to_support = true;
    notice.auto_submitted = "auto-generated";
    notice.language = runtime_.config.language;
    notice.cause = failed.message_id;
    notice.values.set("delivery.kind", failed.kind);
    notice.values.set("delivery.recipients", joinWords(failed.recipients));
    notice.values.set("delivery.error", reason);
    // Only the header is needed for the subject: the failed mail may carry a whole attached mail.
    const auto headerEnd = failed.raw.find("\r\n\r\n");
    const std::string_view header =
        std::string_view(failed.raw).substr(0, headerEnd == std::string::npos ? headerEnd : headerEnd + 4);
    if (auto parsed = parseMail(header)) notice.values.set("delivery.subject", parsed->subject);
    queue(ticket, notice);
    return true;
}

}  // namespace deskgate
