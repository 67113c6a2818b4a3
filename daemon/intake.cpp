#include "daemon/intake.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <span>

#include "daemon/text_format.hpp"
#include "parsers/agent_mail.hpp"
#include "parsers/charset.hpp"
#include "rules/assignment.hpp"
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

// RFC 3834 §2 and DESIGN §6: never answer automatic mail, lists, or mail that is ours.
bool isAutomatic(const ParsedMail& mail) { return mail.kind != MailKind::normal; }

// Written by a machine (bounces, out-of-office, feedback reports); list mail is people's.
bool isMachineMail(const ParsedMail& mail) { return mail.kind != MailKind::normal && mail.kind != MailKind::list; }

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

Intake::Intake(const Runtime& runtime, SociTicketStore& store, Now now)
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
    store_.quarantine(q);
    store_.recordIntake(origin, message_id, "quarantined", std::nullopt, q.created_at);
    return {"quarantined", std::nullopt, 0, reason};
}

std::optional<TicketRecord> Intake::findTicket(const ParsedMail& mail, const std::string& sender,
                                               const AgentConfig* agent, std::optional<std::int64_t>& foreign) {
    foreign.reset();
    // Only people who belong to a ticket write on it: its customer, a participant, an agent.
    // Automatic mail (bounces, out-of-office) comes from servers and robots: it attaches by
    // token or reference, and nothing it says is acted upon.
    auto belongs = [&](const TicketRecord& t) {
        return isMachineMail(mail) || agent != nullptr || normalizeAddress(t.customer_address) == sender ||
               store_.isParticipant(t.id, sender);
    };
    // 1. The token in the subject.
    if (mail.token) {
        if (auto t = store_.ticketByNumber(static_cast<std::int64_t>(*mail.token))) {
            if (belongs(*t)) return t;
            foreign = t->number;
        }
    }
    // 2. In-Reply-To, then References newest first, against Message-IDs we stored or sent —
    //    a Message-ID is no password either.
    std::vector<std::string> ids;
    if (!mail.in_reply_to.empty()) ids.push_back(mail.in_reply_to);
    ids.insert(ids.end(), mail.references.rbegin(), mail.references.rend());
    if (mail.bounce && !mail.bounce->original_message_id.empty()) ids.push_back(mail.bounce->original_message_id);
    for (const auto& id : ids) {
        auto tid = store_.ticketIdByMessageId(id);
        if (!tid) continue;
        auto t = store_.ticketById(*tid);
        if (!t) continue;
        if (belongs(*t)) return t;
        if (!foreign) foreign = t->number;
    }
    return std::nullopt;
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
        store_.addEvent({0, ticket.id, now_(), "system", "suppressed", "no automatic answer to " + address + ": " + why});
        return false;
    };
    if (limits.auto_replies_per_address_per_hour &&
        store_.usage(address, "auto_reply", hour) >= *limits.auto_replies_per_address_per_hour)
        return refuse("limit of " + std::to_string(*limits.auto_replies_per_address_per_hour) +
                      " automatic answers per address and hour reached");
    if (limits.auto_replies_per_hour && store_.usage("*", "auto_reply", hour) >= *limits.auto_replies_per_hour)
        return refuse("limit of " + std::to_string(*limits.auto_replies_per_hour) + " automatic answers per hour reached");
    // Counted only where a limit needs it (the overall counter is one row every intake would lock).
    if (limits.auto_replies_per_address_per_hour) store_.countUsage(address, "auto_reply", hour);
    if (limits.auto_replies_per_hour) store_.countUsage("*", "auto_reply", hour);
    return true;
}

void Intake::setStatus(TicketRecord& ticket, const std::string& status, const std::string& actor,
                       const std::string& why) {
    if (ticket.status == status) return;
    const UnixTime now = now_();
    store_.addEvent({0, ticket.id, now, actor, "status", ticket.status + " -> " + status + " (" + why + ")"});
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
        for (const auto& name : matched) store_.addRuleHit(name);
        return quarantine(origin, raw, messageId, "held for review by rule '" + (matched.empty() ? "" : matched.back()) + "'");
    }

    TicketRecord t;
    t.subject = sanitizeUtf8(mail.subject.empty() ? "(no subject)" : mail.subject);
    t.customer_address = senderAddr;
    t.customer_name = sanitizeUtf8(sender.name);
    t.mailbox = origin.mailbox;
    // Language: a rule decides first, then what the customer was answered in before, then
    // the mailbox; the configured default (English) when none does.
    const std::string earlier = store_.customerLanguage(senderAddr);
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
            auto last = store_.lastAssigned(team->name);
            auto open = store_.openTicketsByAssignee();
            auto pick = pickAgent(*team, AssignmentInput{last, open, {}});
            if (pick.agent) {
                t.assignee = *pick.agent;
                store_.saveLastAssigned(team->name, *pick.agent);
            }
            assignReason = pick.reason;
        }
    }
    applySla(rules, t);

    store_.upsertCustomer(senderAddr, t.customer_name, t.language, now);
    t = store_.createTicket(t);
    const std::string actor = "customer:" + senderAddr;
    store_.addEvent({0, t.id, now, actor, "created", "from mail " + messageId});
    if (linkedFrom)
        store_.addEvent({0, t.id, now, "system", "linked", "follows ticket " + std::to_string(*linkedFrom) + ": " + linkReason});
    if (!matched.empty()) {
        std::string names;
        for (const auto& n : matched) {
            names += (names.empty() ? "'" : ", '") + n + "'";
            store_.addRuleHit(n);
        }
        store_.addEvent({0, t.id, now, "rules", "routed",
                         "rules " + names + ": queue " + t.queue + ", priority " + t.priority +
                             (t.team.empty() ? "" : ", team " + t.team) + (t.sla.empty() ? "" : ", sla " + t.sla)});
    }
    if (!t.assignee.empty()) store_.addEvent({0, t.id, now, "rules", "assigned", t.assignee + " (" + assignReason + ")"});
    const auto message = messageFrom(mail, raw, origin, t.id, messageId, nullptr);
    store_.addMessage(message);

    IntakeResult result{"new_ticket", t.number, 0, ""};
    if (!isAutomatic(mail) && !d.ignore && allowAutomaticAnswer(t, senderAddr)) {
        ComposedMail ack;
        ack.template_name = d.reply_template.value_or("acknowledgement");
        ack.kind = "acknowledgement";
        ack.cause = messageId;
        ack.values.set("text", sanitizeUtf8(mail.reply_text.empty() ? mail.text : mail.reply_text));
        ack.to = {Address{sender.name, sender.address}};
        ack.cc = composer_.participantsOf(t, std::span(&message, 1));  // the ticket's only message so far
        ack.in_reply_to = mail.message_id;
        ack.references = mail.references;
        composer_.queue(t, ack);
        ++result.queued_mails;
    }
    if (!isAutomatic(mail) && !d.ignore) result.queued_mails += notifyAgents(t, mail, raw, "created", messageId);
    store_.recordIntake(origin, messageId, result.outcome, t.id, now);
    return result;
}

std::optional<IntakeResult> Intake::rating(TicketRecord& ticket, const MailOrigin& origin, const std::string& raw,
                                           const ParsedMail& mail, const std::string& messageId,
                                           const std::string& senderAddr) {
    if (!ticket.rating_requested_at || !isClosedStatus(ticket.status) || mail.kind != MailKind::normal) return std::nullopt;
    auto answer = parseRating(mail.reply_text.empty() ? mail.text : mail.reply_text);
    if (!answer) return std::nullopt;
    const UnixTime now = now_();
    auto msg = messageFrom(mail, raw, origin, ticket.id, messageId, nullptr);
    msg.kind = "rating";
    store_.addMessage(msg);
    const std::string actor = "customer:" + senderAddr;
    IntakeResult result{"rating", ticket.number, 0, ""};
    if (ticket.rating) {
        // Answered before (a second click, a resend): keep the first, thank once, reopen nothing.
        store_.addEvent({0, ticket.id, now, actor, "rating",
                         "repeated " + std::to_string(answer->score) + ", kept " + std::to_string(*ticket.rating)});
    } else {
        ticket.rating = answer->score;
        ticket.rating_comment = sanitizeUtf8(answer->comment);
        ticket.rated_at = now;
        store_.addEvent({0, ticket.id, now, actor, "rating",
                         std::to_string(answer->score) + (answer->comment.empty() ? "" : ": " + ticket.rating_comment)});
        if (allowAutomaticAnswer(ticket, senderAddr)) {
            ComposedMail thanks;
            thanks.template_name = "rating_thanks";
            thanks.cause = messageId;
            thanks.values.set("rating", std::to_string(answer->score));
            thanks.values.set("text", ticket.rating_comment);
            composer_.queueToCustomer(ticket, thanks);
            ++result.queued_mails;
        }
    }
    ticket.updated_at = now;
    store_.updateTicket(ticket);
    store_.recordIntake(origin, messageId, "reply", ticket.id, now);
    return result;
}

IntakeResult Intake::addToTicket(TicketRecord& ticket, const MailOrigin& origin, const std::string& raw,
                                 const ParsedMail& mail, const std::string& messageId, const std::string& senderAddr) {
    const UnixTime now = now_();
    store_.addMessage(messageFrom(mail, raw, origin, ticket.id, messageId, nullptr));
    const std::string actor = "customer:" + senderAddr;
    store_.addEvent({0, ticket.id, now, actor,
                     mail.kind == MailKind::normal ? "message" : std::string(toString(mail.kind)), "mail " + messageId});
    IntakeResult result{"reply", ticket.number, 0, ""};
    if (mail.kind == MailKind::normal) {
        if (isClosedStatus(ticket.status) || ticket.status == "pending") {
            setStatus(ticket, "open", actor, "customer wrote");
            applySla(*runtime_.rules, ticket, store_.eventsOf(ticket.id));  // the SLA clock runs again
        }
        result.queued_mails += notifyAgents(ticket, mail, raw, "customer_reply", messageId);
    }
    ticket.updated_at = now;
    store_.updateTicket(ticket);
    store_.recordIntake(origin, messageId, "reply", ticket.id, now);
    return result;
}

IntakeResult Intake::replay(const QuarantineRecord& record) {
    store_.releaseQuarantine(record.id, now_());
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
        if (auto done = store_.intakeOutcome(origin)) return {"already_processed", std::nullopt, 0, *done};
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
    if (store_.hasMessageId(messageId)) {
        store_.recordIntake(origin, messageId, "duplicate", std::nullopt, now_());
        return {"duplicate", std::nullopt, 0, "Message-ID " + messageId + " was already taken in"};
    }

    const Address sender = !mail.reply_to.empty() && !mail.reply_to[0].address.empty() ? mail.reply_to[0]
                           : !mail.from.empty()                                          ? mail.from[0]
                                                                                         : Address{};
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

    if (!ticket && isMachineMail(mail)) {
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
        // The answer to the satisfaction question reopens nothing, also after the reopen window.
        if (auto rated = rating(*ticket, origin, raw, mail, messageId, senderAddr)) return *rated;
        // A customer writing to a closed ticket after the reopen window gets a new, linked ticket.
        const auto& within = runtime_.rules->reopen.within;
        UnixTime closedAt = ticket->closed_at.value_or(ticket->resolved_at.value_or(ticket->updated_at));
        if (mail.kind == MailKind::normal && isClosedStatus(ticket->status) && within &&
            now_() - closedAt > within->count())
            return openTicket(origin, raw, mail, messageId, sender, ticket->number,
                              "it was " + ticket->status + " longer than the reopen window");
        return addToTicket(*ticket, origin, raw, mail, messageId, senderAddr);
    }
    return openTicket(origin, raw, mail, messageId, sender, foreign, "the mail names it, but " + strangerReason);
}

}  // namespace deskgate
