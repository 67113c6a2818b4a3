#include "daemon/intake.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "parsers/charset.hpp"
#include "templates/message_builder.hpp"

namespace deskgate {

namespace {

std::string joinAddresses(const std::vector<Address>& list) {
    std::string out;
    for (const auto& a : list) {
        if (a.address.empty()) continue;
        if (!out.empty()) out += ',';
        out += normalizeAddress(a.address);
    }
    return out;
}

std::string joinSpaces(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
    return out;
}

// RFC 3834 §2 and DESIGN §6: never answer automatic mail, lists, or mail that is ours.
bool isAutomatic(const ParsedMail& mail) { return mail.kind != MailKind::normal; }

}  // namespace

std::string syntheticMessageId(std::string_view raw) {
    // FNV-1a 64 over the exact bytes: the same mail gets the same id on every fetch.
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : raw) {
        h ^= c;
        h *= 1099511628211ull;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "no-id-%016llx-%zu@deskgate.invalid", static_cast<unsigned long long>(h), raw.size());
    return buf;
}

Intake::Intake(const Config& config, const TemplateSet& templates, SociTicketStore& store, Now now)
    : config_(config), templates_(templates), store_(store), now_(std::move(now)) {}

std::string Intake::tokenFor(std::int64_t number) const {
    std::string token = config_.identity.token_format;
    auto pos = token.find("{number}");
    if (pos != std::string::npos) token.replace(pos, 8, std::to_string(number));
    return token;
}

IntakeResult Intake::quarantine(const MailOrigin& origin, const std::string& raw, const std::string& message_id,
                                const std::string& reason) {
    QuarantineRecord q;
    q.mailbox = origin.mailbox;
    q.uidvalidity = origin.uidvalidity;
    q.uid = origin.uid;
    q.message_id = message_id;
    q.reason = reason;
    q.raw = raw;
    q.created_at = now_();
    store_.quarantine(q);
    store_.recordIntake(origin, message_id, "quarantined", std::nullopt, q.created_at);
    return {"quarantined", std::nullopt, 0, reason};
}

std::optional<TicketRecord> Intake::findTicket(const ParsedMail& mail, const std::string& sender,
                                               bool& token_from_stranger) {
    token_from_stranger = false;
    // 1. The token in the subject — but only for people who belong to the ticket.
    if (mail.token) {
        if (auto t = store_.ticketByNumber(static_cast<std::int64_t>(*mail.token))) {
            bool related = normalizeAddress(t->customer_address) == sender || config_.agentByAddress(sender) ||
                           store_.isParticipant(t->id, sender);
            if (related) return t;
            token_from_stranger = true;
        }
    }
    // 2. In-Reply-To, then References newest first, against Message-IDs we stored or sent.
    std::vector<std::string> ids;
    if (!mail.in_reply_to.empty()) ids.push_back(mail.in_reply_to);
    ids.insert(ids.end(), mail.references.rbegin(), mail.references.rend());
    if (mail.bounce && !mail.bounce->original_message_id.empty()) ids.push_back(mail.bounce->original_message_id);
    for (const auto& id : ids)
        if (auto tid = store_.ticketIdByMessageId(id)) return store_.ticketById(*tid);
    return std::nullopt;
}

MessageRecord Intake::messageFrom(const ParsedMail& mail, const std::string& raw, const MailOrigin& origin,
                                  std::int64_t ticket_id, const std::string& message_id) {
    MessageRecord m;
    m.ticket_id = ticket_id;
    m.direction = "in";
    m.message_id = message_id;
    m.in_reply_to = mail.in_reply_to;
    m.references = joinSpaces(mail.references);
    if (!mail.from.empty()) {
        m.from_address = normalizeAddress(mail.from[0].address);
        m.from_name = sanitizeUtf8(mail.from[0].name);
    }
    m.author = config_.agentByAddress(m.from_address) ? "agent:" + config_.agentByAddress(m.from_address)->name
                                                       : "customer";
    m.to = joinAddresses(mail.to);
    m.cc = joinAddresses(mail.cc);
    m.subject = sanitizeUtf8(mail.subject);
    m.text = sanitizeUtf8(mail.text);
    m.raw = raw;
    m.kind = std::string(toString(mail.kind));
    m.mailbox = origin.mailbox;
    m.created_at = now_();
    return m;
}

int Intake::queueAcknowledgement(const TicketRecord& ticket, const ParsedMail& mail, const Address& customer) {
    TemplateValues v;
    v.set("ticket.number", std::to_string(ticket.number));
    v.set("token", tokenFor(ticket.number));
    v.set("ticket.subject", ticket.subject);
    v.set("ticket.status", ticket.status);
    v.set("ticket.priority", ticket.priority);
    v.set("ticket.queue", ticket.queue);
    v.set("customer.name", customer.name.empty() ? customer.address : customer.name);
    v.set("customer.address", customer.address);
    v.set("support.name", config_.identity.name);
    v.set("support.address", config_.identity.address);
    v.set("text", sanitizeUtf8(mail.reply_text.empty() ? mail.text : mail.reply_text));
    auto rendered = templates_.render("acknowledgement", ticket.language.empty() ? config_.language : ticket.language, v);
    if (!rendered) throw StorageError("cannot render the acknowledgement: " + rendered.error().str());

    OutgoingMail out;
    out.from = {config_.identity.name, config_.identity.address};
    out.to = {customer};
    out.subject = rendered->subject;
    out.text = rendered->text;
    out.html = rendered->html;
    out.message_id = makeMessageId(config_.identity.domain,
                                   "ack-" + std::to_string(ticket.number) + "-" + std::to_string(now_()) + "-" +
                                       (mail.message_id.empty() ? std::to_string(ticket.id) : mail.message_id));
    out.in_reply_to = mail.message_id;
    out.references = mail.references;
    if (!mail.message_id.empty()) out.references.push_back(mail.message_id);
    out.auto_submitted = "auto-replied";  // RFC 3834 §5
    out.extra_headers.push_back({std::string(kLoopHeader), config_.identity.address});
    out.date = std::chrono::system_clock::time_point(std::chrono::seconds(now_()));
    std::string raw = buildMessage(out);

    OutboxRecord o;
    o.ticket_id = ticket.id;
    o.kind = "acknowledgement";
    o.mail_from = config_.identity.address;
    o.recipients = {customer.address};
    o.message_id = out.message_id;
    o.raw = raw;
    o.next_attempt_at = now_();
    o.created_at = now_();
    store_.queueMail(o);

    // The sent mail is part of the conversation: a reply to it (In-Reply-To) finds the ticket.
    MessageRecord m;
    m.ticket_id = ticket.id;
    m.direction = "out";
    m.author = "system";
    m.message_id = out.message_id;
    m.in_reply_to = out.in_reply_to;
    m.references = joinSpaces(out.references);
    m.from_address = normalizeAddress(config_.identity.address);
    m.from_name = config_.identity.name;
    m.to = normalizeAddress(customer.address);
    m.subject = out.subject;
    m.text = out.text;
    m.raw = raw;
    m.kind = "acknowledgement";
    m.mailbox = ticket.mailbox;
    m.created_at = now_();
    store_.addMessage(m);
    return 1;
}

IntakeResult Intake::processIsolated(const MailOrigin& origin, const std::string& raw) {
    store_.savepoint("mail");
    try {
        auto r = process(origin, raw);
        store_.releaseSavepoint("mail");
        return r;
    } catch (const StorageUnavailable&) {
        throw;
    } catch (const std::exception& e) {
        store_.rollbackToSavepoint("mail");
        store_.releaseSavepoint("mail");
        return quarantine(origin, raw, syntheticMessageId(raw), std::string("could not be handled: ") + e.what());
    }
}

IntakeResult Intake::process(const MailOrigin& origin, const std::string& raw) {
    if (origin.uid > 0) {
        if (auto done = store_.intakeOutcome(origin)) return {"already_processed", std::nullopt, 0, *done};
    }
    ParseOptions options;
    options.limits = config_.limits;
    options.token_format = config_.identity.token_format;
    auto parsed = parseMail(raw, options);
    if (!parsed) return quarantine(origin, raw, syntheticMessageId(raw), parsed.error().code + ": " + parsed.error().message);
    ParsedMail& mail = *parsed;
    const std::string messageId = mail.message_id.empty() ? syntheticMessageId(raw) : mail.message_id;
    const UnixTime now = now_();

    // The same mail again (another UID, a second delivery, a re-fetch after UIDVALIDITY changed).
    if (store_.hasMessageId(messageId)) {
        store_.recordIntake(origin, messageId, "duplicate", std::nullopt, now);
        return {"duplicate", std::nullopt, 0, "Message-ID " + messageId + " was already taken in"};
    }

    const Address sender = !mail.reply_to.empty() && !mail.reply_to[0].address.empty() ? mail.reply_to[0]
                           : !mail.from.empty()                                          ? mail.from[0]
                                                                                         : Address{};
    const std::string senderAddr = normalizeAddress(sender.address);
    const std::string fromAddr = mail.from.empty() ? "" : normalizeAddress(mail.from[0].address);

    // Our own mail coming back (a loop through a forward, or a misconfigured alias).
    if (config_.isOwnAddress(fromAddr) || mail.header(kLoopHeader))
        return quarantine(origin, raw, messageId, "own mail came back (mail loop): not taken in");
    if (senderAddr.empty()) return quarantine(origin, raw, messageId, "no sender address (From/Reply-To)");

    bool tokenFromStranger = false;
    auto ticket = findTicket(mail, senderAddr, tokenFromStranger);

    if (!ticket && (mail.kind == MailKind::bounce || mail.kind == MailKind::auto_reply ||
                    mail.kind == MailKind::feedback_report)) {
        // A bounce or out-of-office that belongs to nothing we know must not open a ticket.
        return quarantine(origin, raw, messageId,
                          std::string(toString(mail.kind)) + " that matches no ticket: kept for review, not answered");
    }

    IntakeResult result;
    if (ticket) {
        auto msg = messageFrom(mail, raw, origin, ticket->id, messageId);
        store_.addMessage(msg);
        std::string actor = msg.author == "customer" ? "customer:" + senderAddr : msg.author;
        store_.addEvent({0, ticket->id, now, actor, mail.kind == MailKind::normal ? "message" : std::string(toString(mail.kind)),
                         "mail " + messageId});
        if (mail.kind == MailKind::normal && msg.author == "customer" &&
            (ticket->status == "resolved" || ticket->status == "closed" || ticket->status == "pending")) {
            store_.addEvent({0, ticket->id, now, actor, "status", ticket->status + " -> open (customer wrote)"});
            ticket->status = "open";
            ticket->resolved_at.reset();
            ticket->closed_at.reset();
        }
        ticket->updated_at = now;
        store_.updateTicket(*ticket);
        result = {"reply", ticket->number, 0, ""};
    } else {
        TicketRecord t;
        t.subject = sanitizeUtf8(mail.subject.empty() ? "(no subject)" : mail.subject);
        t.customer_address = senderAddr;
        t.customer_name = sanitizeUtf8(sender.name);
        t.mailbox = origin.mailbox;
        if (const auto* mb = config_.mailbox(origin.mailbox); mb && !mb->language.empty()) t.language = mb->language;
        t.created_at = t.updated_at = now;
        store_.upsertCustomer(senderAddr, t.customer_name, now);
        t = store_.createTicket(t);
        store_.addEvent({0, t.id, now, "customer:" + senderAddr, "created", "from mail " + messageId});
        if (tokenFromStranger && mail.token)
            store_.addEvent({0, t.id, now, "system", "linked",
                             "subject names ticket " + std::to_string(*mail.token) +
                                 ", but the sender is not part of it: opened as a new ticket"});
        store_.addMessage(messageFrom(mail, raw, origin, t.id, messageId));
        result = {"new_ticket", t.number, 0, ""};
        if (!isAutomatic(mail)) result.queued_mails += queueAcknowledgement(t, mail, Address{sender.name, sender.address});
        ticket = t;
    }
    store_.recordIntake(origin, messageId, result.outcome, ticket->id, now);
    return result;
}

}  // namespace deskgate
