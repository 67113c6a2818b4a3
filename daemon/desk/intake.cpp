#include "daemon/desk/intake.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <span>

#include "daemon/desk/ticket_facts.hpp"
#include "daemon/text_format.hpp"
#include "parsers/agent_mail.hpp"
#include "parsers/charset.hpp"
#include "rules/assignment.hpp"
#include "rules/desk/audience.hpp"
#include "rules/desk/replies.hpp"
#include "rules/router.hpp"
#include "rules/sla_calendar.hpp"

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

std::vector<std::string> addressesOf(const std::vector<Address>& list) {
    std::vector<std::string> out;
    for (const auto& a : list) out.push_back(a.address);
    return out;
}

}  // namespace

std::string describe(const IntakeResult& result) {
    std::string out = result.outcome;
    if (result.ticket_number) out += " ticket " + std::to_string(*result.ticket_number);
    if (!result.reason.empty()) out += ": " + result.reason;
    return out;
}

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

void applySla(const RuleSet& rules, TicketRecord& t, const std::vector<EventRecord>& events) {
    t.first_response_due.reset();
    t.resolution_due.reset();
    if (t.sla.empty()) return;
    const SlaPolicy* policy = rules.slaPolicy(t.sla);
    if (!policy) return;
    // Status events read "old -> new (why)".
    std::vector<StatusChange> history{{toSysSeconds(t.created_at), "open"}};
    for (const auto& e : events) {
        if (e.type != "status") continue;
        auto arrow = e.detail.find("-> ");
        if (arrow == std::string::npos) continue;
        auto rest = e.detail.substr(arrow + 3);
        history.push_back({toSysSeconds(e.at), rest.substr(0, rest.find(' '))});
    }
    auto pauses = pausesFrom(*policy, history);
    auto deadlines = slaDeadlines(*policy, toSysSeconds(t.created_at), pauses, parsePriority(t.priority));
    if (deadlines.first_response && !t.first_response_at) t.first_response_due = toUnixTime(*deadlines.first_response);
    if (deadlines.resolution) t.resolution_due = toUnixTime(*deadlines.resolution);
}

Intake::Intake(const Runtime& runtime, SociStore& store, Now now)
    : runtime_(runtime), config_(runtime.config), store_(store), now_(now), composer_(runtime, store, now) {}

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
    q.id = store_.intake.quarantine(q);
    store_.intake.recordIntake(origin, message_id, "quarantined", std::nullopt, q.created_at,
                               "quarantine " + std::to_string(q.id) + ": " + reason);
    return {"quarantined", std::nullopt, 0, reason};
}

std::optional<TicketRecord> Intake::findTicket(const ParsedMail& mail, const std::string& sender,
                                               const AgentConfig* agent, std::optional<std::int64_t>& foreign) {
    // The tickets the mail names: by the token in the subject, then by In-Reply-To and
    // References (newest first) against Message-IDs we stored or sent.
    std::vector<TicketRecord> named;
    auto consider = [&](std::optional<TicketRecord> t) {
        if (t && std::none_of(named.begin(), named.end(), [&](const TicketRecord& n) { return n.id == t->id; }))
            named.push_back(std::move(*t));
    };
    if (mail.token) consider(store_.tickets.ticketByNumber(static_cast<std::int64_t>(*mail.token)));
    for (const auto& id : referencedIds(mail))
        if (auto tid = store_.tickets.ticketIdByMessageId(id)) consider(store_.tickets.ticketById(*tid));
    std::vector<TicketFacts> candidates;
    for (const auto& t : named) candidates.push_back(factsOf(t, store_.tickets.customerSideAddresses(t.id)));
    auto choice = chooseTicket(candidates, WriterFacts{sender, agent != nullptr, mail.kind});
    foreign = choice.foreign;
    if (!choice.ticket) return std::nullopt;
    return named[*choice.ticket];
}

MessageRecord Intake::messageFrom(const ParsedMail& mail, const std::string& raw, const MailOrigin& origin,
                                  std::int64_t ticket_id, const std::string& message_id, const AgentConfig* agent) {
    MessageRecord m;
    m.ticket_id = ticket_id;
    m.direction = "in";
    m.message_id = message_id;
    m.in_reply_to = mail.in_reply_to;
    m.references = joinWords(mail.references);
    if (!mail.from.empty()) {
        m.from_address = normalizeAddress(mail.from[0].address);
        m.from_name = sanitizeUtf8(mail.from[0].name);
    }
    m.author = agent ? "agent:" + agent->name : "customer";
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

bool Intake::allowAutomaticAnswer(const TicketRecord& ticket, const std::string& address) {
    const auto& limits = runtime_.rules->limits;
    const UnixTime hour = now_() / 3600 * 3600;
    auto refuse = [&](const std::string& why) {
        store_.tickets.addEvent({0, ticket.id, now_(), "system", "suppressed", "no automatic answer to " + address + ": " + why});
        return false;
    };
    if (limits.auto_replies_per_address_per_hour &&
        store_.counters.usage(address, "auto_reply", hour) >= *limits.auto_replies_per_address_per_hour)
        return refuse("limit of " + std::to_string(*limits.auto_replies_per_address_per_hour) +
                      " automatic answers per address and hour reached");
    if (limits.auto_replies_per_hour && store_.counters.usage("*", "auto_reply", hour) >= *limits.auto_replies_per_hour)
        return refuse("limit of " + std::to_string(*limits.auto_replies_per_hour) + " automatic answers per hour reached");
    // Counted only where a limit needs it (the overall counter is one row every intake would lock).
    if (limits.auto_replies_per_address_per_hour) store_.counters.countUsage(address, "auto_reply", hour);
    if (limits.auto_replies_per_hour) store_.counters.countUsage("*", "auto_reply", hour);
    return true;
}

void Intake::setStatus(TicketRecord& ticket, const std::string& status, const std::string& actor,
                       const std::string& why) {
    if (ticket.status == status) return;
    const UnixTime now = now_();
    store_.tickets.addEvent({0, ticket.id, now, actor, "status", ticket.status + " -> " + status + " (" + why + ")"});
    if (isClosedStatus(ticket.status) && !isClosedStatus(status)) {
        ++ticket.reopened_count;
        ticket.resolved_at.reset();
        ticket.closed_at.reset();
    }
    if (status == "resolved") ticket.resolved_at = now;
    if (status == "closed") ticket.closed_at = now;  // closed without resolving keeps resolved_at empty
    ticket.status = status;
}

IntakeResult Intake::openTicket(const MailOrigin& origin, const std::string& raw, const ParsedMail& mail,
                                const std::string& messageId, const Address& sender,
                                std::optional<std::int64_t> linkedFrom, const std::string& linkReason) {
    const UnixTime now = now_();
    const RuleSet& rules = *runtime_.rules;
    const std::string senderAddr = normalizeAddress(sender.address);
    Decision d = route(rules, mail, RouteContext{origin.mailbox, toSysSeconds(now), ""}, RouteOptions{false, false, true});
    std::vector<std::string> matched;
    for (auto i : d.matched) matched.push_back(rules.rules[i].name);
    if (d.hold) {
        for (const auto& name : matched) store_.counters.addRuleHit(name);
        return quarantine(origin, raw, messageId, "held for review by rule '" + (matched.empty() ? "" : matched.back()) + "'");
    }

    TicketRecord t;
    t.subject = sanitizeUtf8(mail.subject.empty() ? "(no subject)" : mail.subject);
    t.customer_address = senderAddr;
    t.customer_name = sanitizeUtf8(sender.name);
    t.mailbox = origin.mailbox;
    // Language: a rule decides first, then what the customer was answered in before, then
    // the mailbox; the configured default (English) when none does.
    const std::string earlier = store_.tickets.customerLanguage(senderAddr);
    if (const auto* mb = config_.mailbox(origin.mailbox); mb && !mb->language.empty()) t.language = mb->language;
    if (!earlier.empty()) t.language = earlier;
    if (d.queue) t.queue = *d.queue;
    if (d.priority) t.priority = std::string(toString(*d.priority));
    if (d.team) t.team = *d.team;
    if (d.category) t.category = *d.category;
    if (d.sla) t.sla = *d.sla;
    if (d.language) t.language = *d.language;
    t.tags = joinWords(d.tags);
    t.created_at = t.updated_at = now;
    t.follows_number = linkedFrom;

    std::string assignReason;
    if (d.agent) {
        t.assignee = *d.agent;
        assignReason = "fixed by rule";
    } else if (d.team) {
        if (const Team* team = rules.team(*d.team)) {
            auto last = store_.counters.lastAssigned(team->name);
            auto open = store_.counters.openTicketsByAssignee();
            auto pick = pickAgent(*team, AssignmentInput{last, open, {}});
            if (pick.agent) {
                t.assignee = *pick.agent;
                store_.counters.saveLastAssigned(team->name, *pick.agent);
            }
            assignReason = pick.reason;
        }
    }
    applySla(rules, t);

    store_.tickets.upsertCustomer(senderAddr, t.customer_name, t.language, now);
    t = store_.tickets.createTicket(t);
    const std::string actor = "customer:" + senderAddr;
    store_.tickets.addEvent({0, t.id, now, actor, "created", "from mail " + messageId});
    if (linkedFrom)
        store_.tickets.addEvent({0, t.id, now, "system", "linked", "follows ticket " + std::to_string(*linkedFrom) + ": " + linkReason});
    if (!matched.empty()) {
        std::string names;
        for (const auto& n : matched) {
            names += (names.empty() ? "'" : ", '") + n + "'";
            store_.counters.addRuleHit(n);
        }
        store_.tickets.addEvent({0, t.id, now, "rules", "routed",
                         "rules " + names + ": queue " + t.queue + ", priority " + t.priority +
                             (t.team.empty() ? "" : ", team " + t.team) + (t.sla.empty() ? "" : ", sla " + t.sla)});
    }
    if (!t.assignee.empty()) store_.tickets.addEvent({0, t.id, now, "rules", "assigned", t.assignee + " (" + assignReason + ")"});
    const auto message = messageFrom(mail, raw, origin, t.id, messageId, nullptr);
    store_.tickets.addMessage(message);

    IntakeResult result{"new_ticket", t.number, 0, ""};
    if (!isAutomaticMail(mail.kind) && !d.ignore && allowAutomaticAnswer(t, senderAddr)) {
        ComposedMail ack;
        ack.template_name = d.reply_template.value_or("acknowledgement");
        ack.kind = "acknowledgement";
        ack.cause = messageId;
        ack.values.set("text", sanitizeUtf8(mail.reply_text.empty() ? mail.text : mail.reply_text));
        auto recipients =
            acknowledgementRecipients(sender, addressesOf(composer_.participantsOf(t, std::span(&message, 1))));
        ack.to = recipients.to;
        ack.cc = recipients.cc;
        ack.in_reply_to = mail.message_id;
        ack.references = mail.references;
        composer_.queue(t, ack);
        ++result.queued_mails;
    }
    if (!isAutomaticMail(mail.kind) && !d.ignore) result.queued_mails += notifyAgents(t, mail, raw, "created", messageId);
    store_.intake.recordIntake(origin, messageId, result.outcome, t.id, now);
    return result;
}

IntakeResult Intake::rating(TicketRecord& ticket, const MailOrigin& origin, const std::string& raw,
                            const ParsedMail& mail, const std::string& messageId, const std::string& senderAddr,
                            const Rating& answer) {
    const UnixTime now = now_();
    auto msg = messageFrom(mail, raw, origin, ticket.id, messageId, nullptr);
    msg.kind = "rating";
    store_.tickets.addMessage(msg);
    const std::string actor = "customer:" + senderAddr;
    IntakeResult result{"rating", ticket.number, 0, ""};
    if (ticket.rating) {
        // Answered before (a second click, a resend): keep the first, thank once, reopen nothing.
        store_.tickets.addEvent({0, ticket.id, now, actor, "rating",
                         "repeated " + std::to_string(answer.score) + ", kept " + std::to_string(*ticket.rating)});
    } else {
        ticket.rating = answer.score;
        ticket.rating_comment = sanitizeUtf8(answer.comment);
        ticket.rated_at = now;
        store_.tickets.addEvent({0, ticket.id, now, actor, "rating",
                         std::to_string(answer.score) + (answer.comment.empty() ? "" : ": " + ticket.rating_comment)});
        if (allowAutomaticAnswer(ticket, senderAddr)) {
            ComposedMail thanks;
            thanks.template_name = "rating_thanks";
            thanks.cause = messageId;
            thanks.values.set("rating", std::to_string(answer.score));
            thanks.values.set("text", ticket.rating_comment);
            composer_.queueToCustomer(ticket, thanks);
            ++result.queued_mails;
        }
    }
    ticket.updated_at = now;
    store_.tickets.updateTicket(ticket);
    store_.intake.recordIntake(origin, messageId, "reply", ticket.id, now);
    return result;
}

IntakeResult Intake::addToTicket(TicketRecord& ticket, const MailOrigin& origin, const std::string& raw,
                                 const ParsedMail& mail, const std::string& messageId, const std::string& senderAddr,
                                 bool reopen) {
    const UnixTime now = now_();
    store_.tickets.addMessage(messageFrom(mail, raw, origin, ticket.id, messageId, nullptr));
    const std::string actor = "customer:" + senderAddr;
    store_.tickets.addEvent({0, ticket.id, now, actor,
                     mail.kind == MailKind::normal ? "message" : std::string(toString(mail.kind)), "mail " + messageId});
    IntakeResult result{"reply", ticket.number, 0, ""};
    if (mail.kind == MailKind::normal) {
        if (reopen) {
            setStatus(ticket, "open", actor, "customer wrote");
            applySla(*runtime_.rules, ticket, store_.tickets.eventsOf(ticket.id));  // the SLA clock runs again
        }
        result.queued_mails += notifyAgents(ticket, mail, raw, "customer_reply", messageId);
    }
    ticket.updated_at = now;
    store_.tickets.updateTicket(ticket);
    store_.intake.recordIntake(origin, messageId, "reply", ticket.id, now);
    return result;
}

IntakeResult Intake::replay(const QuarantineRecord& record) {
    store_.intake.releaseQuarantine(record.id, now_());
    return processIsolated(MailOrigin{record.mailbox, 0, 0}, record.raw);
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
        if (auto done = store_.intake.intakeOutcome(origin)) return {"already_processed", std::nullopt, 0, *done};
    }
    ParseOptions options;
    options.limits = config_.limits;
    options.token_format = config_.identity.token_format;
    auto parsed = parseMail(raw, options);
    if (!parsed)
        return quarantine(origin, raw, syntheticMessageId(raw), parsed.error().code + ": " + parsed.error().message);
    const ParsedMail& mail = *parsed;
    const std::string messageId = mail.message_id.empty() ? syntheticMessageId(raw) : mail.message_id;

    // The same mail again (another UID, a second delivery, a re-fetch after UIDVALIDITY changed).
    if (store_.intake.hasMessageId(messageId)) {
        const std::string why = "Message-ID " + messageId + " was already taken in";
        store_.intake.recordIntake(origin, messageId, "duplicate", std::nullopt, now_(), why);
        return {"duplicate", std::nullopt, 0, why};
    }

    const Address sender = replyAddressOf(mail);
    const std::string senderAddr = normalizeAddress(sender.address);
    const std::string fromAddr = mail.from.empty() ? "" : normalizeAddress(mail.from[0].address);

    // Our own mail coming back (a loop through a forward, or a misconfigured alias).
    if (config_.isOwnAddress(fromAddr) || mail.header("X-Deskgate-Loop"))
        return quarantine(origin, raw, messageId, "own mail came back (mail loop): not taken in");
    if (senderAddr.empty()) return quarantine(origin, raw, messageId, "no sender address (From/Reply-To)");
    if (const auto& max = runtime_.rules->limits.max_recipients;
        max && static_cast<std::int64_t>(mail.to.size() + mail.cc.size()) > *max)
        return quarantine(origin, raw, messageId,
                          "held: " + std::to_string(mail.to.size() + mail.cc.size()) + " recipients in To and Cc (limit " +
                              std::to_string(*max) + ")");

    std::string unauthenticated;
    const AgentConfig* agent = agentOf(mail, fromAddr, unauthenticated);
    std::optional<std::int64_t> foreign;  // the ticket a stranger's mail names
    auto ticket = findTicket(mail, agent ? fromAddr : senderAddr, agent, foreign);

    if (!ticket && isMachineMail(mail.kind)) {
        // A bounce or out-of-office that belongs to nothing we know must not open a ticket.
        return quarantine(origin, raw, messageId,
                          std::string(toString(mail.kind)) + " that matches no ticket: kept for review, not answered");
    }
    const std::string strangerReason =
        unauthenticated.empty() ? "the sender is not part of it" : unauthenticated;
    if (!ticket && foreign && runtime_.rules->threading.foreign_token == ThreadingSettings::ForeignToken::hold)
        return quarantine(origin, raw, messageId, "the mail names ticket " + std::to_string(*foreign) + " but " + strangerReason);

    if (ticket) {
        if (agent) return agentMail(*ticket, origin, raw, mail, messageId, *agent);
        auto meaning = meaningOfReply(factsOf(*ticket), mail.kind, mail.reply_text.empty() ? mail.text : mail.reply_text,
                                      now_(), runtime_.rules->reopen);
        switch (meaning.kind) {
            case ReplyMeaning::Kind::rating:
                return rating(*ticket, origin, raw, mail, messageId, senderAddr, *meaning.rating);
            case ReplyMeaning::Kind::follow_up:
                return openTicket(origin, raw, mail, messageId, sender, ticket->number, meaning.reason);
            case ReplyMeaning::Kind::reopen:
            case ReplyMeaning::Kind::add:
                return addToTicket(*ticket, origin, raw, mail, messageId, senderAddr,
                                   meaning.kind == ReplyMeaning::Kind::reopen);
        }
    }
    return openTicket(origin, raw, mail, messageId, sender, foreign, "the mail names it, but " + strangerReason);
}

}  // namespace deskgate
