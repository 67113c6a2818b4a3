#include "daemon/desk/mail_composer.hpp"

#include <algorithm>
#include <chrono>

#include <openssl/rand.h>

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

std::string randomSecret() {
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw StorageError("no random bytes for the reply-key secret");
    static const char* digits = "0123456789abcdef";
    std::string hex;
    for (unsigned char b : bytes) {
        hex += digits[b >> 4];
        hex += digits[b & 15];
    }
    return hex;
}

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

bool MailComposer::isDeskAddress(const std::string& address) const {
    return runtime_.config.isOwnAddress(address) || runtime_.config.agentByAddress(address) != nullptr;
}

const std::string& MailComposer::replyKeySecret() const {
    if (!secret_) secret_ = store_.counters.secret("reply_key", randomSecret, now_());
    return *secret_;
}

bool MailComposer::withinLimits(const TicketRecord& ticket, ComposedMail& mail) {
    // Every recipient outside the desk of every automatic mail counts (an acknowledgement to
    // three addresses is three answers); agents' notifications are the desk's own business.
    const auto& limits = runtime_.rules->limits;
    if (mail.auto_submitted.empty() || (!limits.auto_replies_per_address_per_hour && !limits.auto_replies_per_hour))
        return !mail.to.empty() || !mail.cc.empty();
    const UnixTime now = now_(), hour = now / 3600 * 3600;
    auto allowed = [&](const Address& a) {
        const std::string address = normalizeAddress(a.address);
        if (isDeskAddress(address)) return true;
        // Each limit is taken in one statement, the desk-wide one first: in a flood, once it is
        // used up, every further mail costs one statement (not three); a use taken for the desk
        // is given back when the address's limit then refuses, so a refused mail counts nowhere.
        std::string why;
        const auto perAddress = limits.auto_replies_per_address_per_hour;
        const auto perDesk = limits.auto_replies_per_hour;
        if (perDesk && !store_.counters.takeUsage("*", "auto_reply", hour, *perDesk)) {
            why = "limit of " + std::to_string(*perDesk) + " automatic mails per hour reached";
        } else if (perAddress && !store_.counters.takeUsage(address, "auto_reply", hour, *perAddress)) {
            if (perDesk) store_.counters.giveBackUsage("*", "auto_reply", hour);
            why = "limit of " + std::to_string(*perAddress) + " automatic mails per address and hour reached";
        }
        if (!why.empty()) {
            store_.tickets.addEvent({0, ticket.id, now, "system", "suppressed",
                                     (mail.kind.empty() ? mail.template_name : mail.kind) + " to " + address + ": " + why});
            return false;
        }
        return true;
    };
    std::erase_if(mail.to, [&](const Address& a) { return !allowed(a); });
    std::erase_if(mail.cc, [&](const Address& a) { return !allowed(a); });
    return !mail.to.empty() || !mail.cc.empty();
}

std::size_t MailComposer::sizeBudget() const {
    const std::size_t max = runtime_.config.smtp.max_message_size;
    return max > 2 * kRelayHeadroom ? max - kRelayHeadroom : max / 2;
}

MailComposer::Built MailComposer::build(const TicketRecord& ticket, const ComposedMail& mail) {
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
    Built b;
    OutgoingMail& out = b.out;
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
    // Mail to one agent carries that agent's reply key: their answer proves itself.
    if (!mail.keyed_for.empty())
        out.message_id = keyedMessageId(out.message_id, replyKeySecret(), ticket.number, mail.keyed_for);
    out.in_reply_to = mail.in_reply_to;
    out.references = mail.references;
    if (!mail.in_reply_to.empty() &&
        (out.references.empty() || out.references.back() != mail.in_reply_to))
        out.references.push_back(mail.in_reply_to);
    out.auto_submitted = mail.auto_submitted;
    out.date = std::chrono::system_clock::time_point(std::chrono::seconds(now));
    b.raw = buildMessage(out);
    return b;
}

std::string MailComposer::queue(const TicketRecord& ticket, ComposedMail mail) {
    if (quiet_) return {};
    if (!withinLimits(ticket, mail)) return "";
    Built built = build(ticket, mail);
    // A mail the relay refuses for good reaches nobody: made smaller first, or not sent at all.
    const std::size_t budget = sizeBudget();
    if (built.raw.size() > budget && mail.shrink) {
        auto shrink = std::move(mail.shrink);
        mail.shrink = nullptr;
        shrink(mail, built.raw.size());
        built = build(ticket, mail);
    }
    if (built.raw.size() > budget) throw MailTooLarge(built.raw.size(), budget);
    const OutgoingMail& out = built.out;
    const UnixTime now = now_();

    OutboxRecord o;
    o.ticket_id = ticket.id;
    o.kind = mail.kind.empty() ? mail.template_name : mail.kind;
    o.mail_from = runtime_.config.identity.address;
    for (const auto& a : mail.to) o.recipients.push_back(a.address);
    for (const auto& a : mail.cc) o.recipients.push_back(a.address);
    o.message_id = out.message_id;
    o.raw = std::move(built.raw);
    o.next_attempt_at = now;
    o.created_at = now;
    store_.outbox.queue(o);

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

bool MailComposer::queueToCustomer(const TicketRecord& ticket, ComposedMail mail) {
    auto messages = store_.tickets.messagesOf(ticket.id);
    std::vector<std::string> participants;
    for (auto& p : store_.tickets.participantsOf(ticket.id))
        if (!isDeskAddress(p)) participants.push_back(std::move(p));
    const Address customer{ticket.customer_name,
                           ticket.reply_address.empty() ? ticket.customer_address : ticket.reply_address};
    auto recipients = customerRecipients(customer, participants, store_.tickets.refusedAddresses(ticket.id),
                                         runtime_.config.notify_participants);
    mail.to = recipients.to;
    mail.cc = recipients.cc;
    if (mail.to.empty() && mail.cc.empty()) {
        store_.tickets.addEvent({0, ticket.id, now_(), "system", "suppressed",
                                 mail.template_name + ": every address of the customer's side was refused before"});
        return false;
    }
    threadForCustomer(messages, mail);
    return !queue(ticket, mail).empty();
}

std::vector<const AgentConfig*> MailComposer::agentsFor(const TicketRecord& ticket, const std::string& except) const {
    return agentsToTell(factsOf(ticket), runtime_.config.agents, *runtime_.rules, except);
}

int MailComposer::queueToAgents(const TicketRecord& ticket, const ComposedMail& mail,
                                const std::vector<const AgentConfig*>& agents) {
    int queued = 0;
    for (const auto* agent : agents) {
        ComposedMail one = mail;
        one.to = {Address{agent->signature(), agent->address}};
        one.cc.clear();
        one.keyed_for = agent->name;
        if (!queue(ticket, one).empty()) ++queued;
    }
    return queued;
}

namespace {

// The subject of a mail that failed: only its header is parsed (it may carry a whole attached mail).
std::string subjectOf(const OutboxRecord& failed) {
    const auto headerEnd = failed.raw.find("\r\n\r\n");
    const std::string_view header =
        std::string_view(failed.raw).substr(0, headerEnd == std::string::npos ? headerEnd : headerEnd + 4);
    if (auto parsed = parseMail(header)) return parsed->subject;
    return {};
}

// The notices about failed mail: when one of them fails, nobody is told again.
bool isFailureNotice(std::string_view kind) { return kind == "delivery_failed" || kind == "agent_delivery_failed"; }

}  // namespace

bool MailComposer::queueDeliveryFailure(const TicketRecord& ticket, const OutboxRecord& failed,
                                        const std::string& reason) {
    if (isFailureNotice(failed.kind)) {
        store_.tickets.addEvent({0, ticket.id, now_(), "system", "agent_not_reached",
                                 failed.kind + " to " + joinWords(failed.recipients) + ": " + reason +
                                     " (a failure notice: nobody is told of it)"});
        return false;
    }
    if (!isCustomerFacingKind(failed.kind)) return queueAgentDeliveryFailure(ticket, failed, reason);
    auto agents = agentsFor(ticket);
    if (agents.empty()) return false;
    ComposedMail notice;
    notice.template_name = "delivery_failed";
    notice.reply_to_support = true;
    notice.auto_submitted = "auto-generated";
    notice.language = runtime_.config.language;
    notice.cause = failed.message_id;
    notice.values.set("delivery.kind", failed.kind);
    notice.values.set("delivery.recipients", joinWords(failed.recipients));
    notice.values.set("delivery.error", reason);
    notice.values.set("delivery.subject", subjectOf(failed));
    return queueToAgents(ticket, notice, agents) > 0;
}

bool MailComposer::queueAgentDeliveryFailure(const TicketRecord& ticket, const OutboxRecord& failed,
                                             const std::string& reason) {
    const UnixTime now = now_();
    std::vector<std::string> notReached, names;
    for (const auto& r : failed.recipients) {
        notReached.push_back(normalizeAddress(r));
        if (const auto* agent = runtime_.config.agentByAddress(r)) names.push_back(agent->name);
    }
    const auto wasRecipient = [&](const std::string& address) {
        return std::find(notReached.begin(), notReached.end(), normalizeAddress(address)) != notReached.end();
    };
    std::string detail = failed.kind + " to " + joinWords(failed.recipients) + ": " + reason;
    // The team lead hears of it, unless the lead is whom the mail did not reach; else the admins.
    const AgentConfig* lead = nullptr;
    if (const Team* team = ticket.team.empty() ? nullptr : runtime_.rules->team(ticket.team); team && team->lead)
        if (const auto* a = runtime_.config.agentByName(*team->lead); a && !wasRecipient(a->address)) lead = a;
    std::vector<Address> admins;
    if (!lead)
        for (const auto& a : runtime_.config.agent_mail.failure_notice_to)
            if (!wasRecipient(a)) admins.push_back({"", a});
    if (!lead && admins.empty()) {
        store_.tickets.addEvent({0, ticket.id, now, "system", "agent_not_reached",
                                 detail + " (nobody told: the ticket's team has no other lead and "
                                          "agent_mail.failure_notice_to is not set)"});
        return false;
    }
    // An agent's full mailbox fails every mail to them: once an hour per address is enough.
    const UnixTime hour = now / 3600 * 3600;
    const std::string key = joinWords(notReached);
    if (!store_.counters.takeUsage(key, "agent_not_reached", hour, 1)) {
        store_.tickets.addEvent({0, ticket.id, now, "system", "agent_not_reached",
                                 detail + " (not told again within the hour)"});
        return false;
    }

    ComposedMail notice;
    notice.template_name = "agent_delivery_failed";
    notice.auto_submitted = "auto-generated";
    notice.language = runtime_.config.language;
    notice.cause = failed.message_id;
    notice.values.set("delivery.kind", failed.kind);
    notice.values.set("delivery.recipients", joinWords(failed.recipients));
    notice.values.set("delivery.agent", joinWords(names));
    notice.values.set("delivery.error", reason);
    notice.values.set("delivery.subject", subjectOf(failed));
    bool queued = false;
    if (lead) {
        notice.reply_to_support = true;  // the lead may answer the customer instead
        queued = queueToAgents(ticket, notice, {lead}) > 0;
        detail += "; told " + lead->name + " (team lead)";
    } else {
        notice.to = admins;
        queued = !queue(ticket, notice).empty();
        std::string to;
        for (const auto& a : admins) to += (to.empty() ? "" : ", ") + a.address;
        detail += "; told " + to + " (agent_mail.failure_notice_to)";
    }
    store_.tickets.addEvent({0, ticket.id, now, "system", "agent_not_reached", detail});
    return queued;
}

}  // namespace deskgate
