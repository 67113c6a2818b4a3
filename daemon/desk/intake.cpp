#include "daemon/desk/intake.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <span>

#include "daemon/desk/ticket_facts.hpp"
#include "daemon/text_format.hpp"
#include "parsers/agent_mail.hpp"
#include "parsers/charset.hpp"
#include "parsers/sha256.hpp"
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

MessageRecord Intake::messageFrom(const Incoming& in, std::int64_t ticket_id, const std::string& author) {
    const ParsedMail& mail = in.mail;
    MessageRecord m;
    m.ticket_id = ticket_id;
    m.direction = "in";
    m.message_id = in.message_id;
    m.in_reply_to = mail.in_reply_to;
    m.references = joinWords(mail.references);
    m.from_address = in.from_address;
    m.from_name = sanitizeUtf8(in.from.name);
    m.author = author;
    m.to = joinAddresses(mail.to);
    m.cc = joinAddresses(mail.cc);
    m.subject = sanitizeUtf8(mail.subject);
    m.text = sanitizeUtf8(mail.text);
    m.raw = in.raw;
    m.kind = std::string(toString(mail.kind));
    m.mailbox = in.origin.mailbox;
    m.created_at = now_();
    m.body_sha256 = in.body_sha256;
    return m;
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

void Intake::finish(TicketRecord& ticket, const Incoming& in, const std::string& outcome,
                    const TicketRecord* as_stored) {
    const UnixTime now = now_();
    if (!in.defect.empty()) store_.tickets.addEvent({0, ticket.id, now, "system", "defect", in.defect});
    ticket.updated_at = now;
    if (as_stored == nullptr || !(*as_stored == ticket)) store_.tickets.updateTicket(ticket);
    store_.intake.recordIntake(in.origin, in.message_id, outcome, ticket.id, now, in.defect);
}

IntakeResult Intake::openTicket(const Incoming& in, std::optional<std::int64_t> linkedFrom,
                                const std::string& linkReason) {
    const ParsedMail& mail = in.mail;
    const UnixTime now = now_();
    const RuleSet& rules = *runtime_.rules;
    Decision d = route(rules, mail, RouteContext{in.origin.mailbox, toSysSeconds(now), ""}, RouteOptions{false, false, true});
    std::vector<std::string> matched;
    for (auto i : d.matched) matched.push_back(rules.rules[i].name);
    if (d.hold) {
        for (const auto& name : matched) store_.counters.addRuleHit(name);
        return quarantine(in.origin, in.raw, in.message_id,
                          "held for review by rule '" + (matched.empty() ? "" : matched.back()) + "'");
    }

    TicketRecord t;
    t.subject = sanitizeUtf8(mail.subject.empty() ? "(no subject)" : mail.subject);
    // The customer is who the mail is from; a Reply-To of the same domain is where she is answered.
    t.customer_address = in.from_address;
    t.customer_name = sanitizeUtf8(in.from.name);
    if (const auto answer = normalizeAddress(answerAddressOf(mail).address); answer != in.from_address)
        t.reply_address = answer;
    t.mailbox = in.origin.mailbox;
    // Language: a rule decides first, then what the customer was answered in before, then
    // the mailbox; the configured default (English) when none does.
    const std::string earlier = store_.tickets.customerLanguage(t.customer_address);
    if (const auto* mb = config_.mailbox(in.origin.mailbox); mb && !mb->language.empty()) t.language = mb->language;
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
            // Round robin needs no counts; least_open counts the team's agents only.
            std::map<std::string, std::int64_t, std::less<>> open;
            if (team->assign == AssignMode::least_open) open = store_.counters.openTicketsOf(team->agents);
            auto pick = pickAgent(*team, AssignmentInput{last, open, {}});
            if (pick.agent) {
                t.assignee = *pick.agent;
                store_.counters.saveLastAssigned(team->name, *pick.agent);
            }
            assignReason = pick.reason;
        }
    }
    applySla(rules, t);

    store_.tickets.upsertCustomer(t.customer_address, t.customer_name, t.language, now);
    t = store_.tickets.createTicket(t);
    const TicketRecord created = t;
    const std::string actor = "customer:" + t.customer_address;
    store_.tickets.addEvent({0, t.id, now, actor, "created", "from mail " + in.message_id});
    if (linkedFrom)
        store_.tickets.addEvent(
            {0, t.id, now, "system", "linked", "follows ticket " + std::to_string(*linkedFrom) + ": " + linkReason});
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
    if (!t.assignee.empty())
        store_.tickets.addEvent({0, t.id, now, "rules", "assigned", t.assignee + " (" + assignReason + ")"});
    store_.tickets.addMessage(messageFrom(in, t.id, "customer"));
    widenAudience(t, in, Standing::customer);  // her own Cc on her first mail
    // Her own organisation's address she asked to be answered at may write on the ticket too.
    if (!t.reply_address.empty() && store_.tickets.addParticipant(t.id, t.reply_address, actor, now))
        store_.tickets.addEvent({0, t.id, now, actor, "participant", "+" + t.reply_address + " (Reply-To)"});

    IntakeResult result{"new_ticket", t.number, 0, ""};
    if (!isAutomaticMail(mail.kind) && !d.ignore) {
        // The acknowledgement goes to the sender alone: a new mail's Cc is anyone's to write.
        ComposedMail ack;
        ack.template_name = d.reply_template.value_or("acknowledgement");
        ack.kind = "acknowledgement";
        ack.cause = in.message_id;
        ack.values.set("text", sanitizeUtf8(in.newText()));
        auto recipients = acknowledgementRecipients(mail);
        ack.to = recipients.to;
        ack.in_reply_to = mail.message_id;
        ack.references = mail.references;
        if (!composer_.queue(t, ack).empty()) ++result.queued_mails;
        result.queued_mails += notifyAgents(t, in, "created");
    }
    finish(t, in, result.outcome, &created);
    return result;
}

IntakeResult Intake::rating(TicketRecord& ticket, const Incoming& in, const Rating& answer) {
    const UnixTime now = now_();
    auto msg = messageFrom(in, ticket.id, "customer");
    msg.kind = "rating";
    store_.tickets.addMessage(msg);
    const std::string actor = "customer:" + in.from_address;
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
                                 std::to_string(answer.score) +
                                     (answer.comment.empty() ? "" : ": " + ticket.rating_comment)});
        ComposedMail thanks;
        thanks.template_name = "rating_thanks";
        thanks.cause = in.message_id;
        thanks.values.set("rating", std::to_string(answer.score));
        thanks.values.set("text", ticket.rating_comment);
        if (composer_.queueToCustomer(ticket, thanks)) ++result.queued_mails;
    }
    finish(ticket, in, "reply");
    return result;
}

IntakeResult Intake::addToTicket(TicketRecord& ticket, const Incoming& in, Standing writer, bool reopen) {
    const UnixTime now = now_();
    const bool machine = writer == Standing::machine;
    // Machine mail (a bounce, an out-of-office) is a note for agents: never the customer's words.
    store_.tickets.addMessage(messageFrom(in, ticket.id, machine ? "machine" : "customer"));
    const std::string actor = (machine ? "machine:" : "customer:") + in.from_address;
    std::string detail = "mail " + in.message_id;
    if (in.mail.bounce && !in.mail.bounce->failed_recipient.empty())
        detail += ": " + in.mail.bounce->failed_recipient + " failed" +
                  (in.mail.bounce->status.empty() ? "" : " (" + in.mail.bounce->status + ")");
    store_.tickets.addEvent(
        {0, ticket.id, now, actor, in.mail.kind == MailKind::normal ? "message" : std::string(toString(in.mail.kind)), detail});
    IntakeResult result{"reply", ticket.number, 0, ""};
    widenAudience(ticket, in, writer);
    if (in.mail.kind == MailKind::normal) {
        if (reopen) {
            setStatus(ticket, "open", actor, "customer wrote");
            applySla(*runtime_.rules, ticket, store_.tickets.eventsOf(ticket.id));  // the SLA clock runs again
        }
        result.queued_mails += notifyAgents(ticket, in, "customer_reply");
    }
    finish(ticket, in, "reply");
    return result;
}

IntakeResult Intake::replay(const QuarantineRecord& record) {
    store_.intake.releaseQuarantine(record.id, now_());
    return processIsolated(MailOrigin{record.mailbox, 0, 0}, record.raw);
}

template <typename F>
auto Intake::unisolated(F&& work) -> decltype(work()) {
    try {
        return work();
    } catch (const StorageUnavailable&) {
        throw;  // the database, not a mail
    } catch (const std::exception& e) {
        throw MailNeedsIsolation(e.what());
    }
}

void Intake::finishBatch() {
    // Isolated, each mail's rows went with its savepoint; the commit writes the rest.
    if (!isolate_) unisolated([&] { store_.writeHeldBack(); });
}

IntakeResult Intake::processIsolated(const MailOrigin& origin, const std::string& raw) {
    if (!isolate_) return unisolated([&] { return process(origin, raw); });
    for (int attempt = 1;; ++attempt) {
        store_.savepoint("mail");
        try {
            auto r = process(origin, raw);
            store_.releaseSavepoint("mail");
            return r;
        } catch (const StorageUnavailable&) {
            throw;  // the database, not the mail (conflicts too): retried later, never quarantined
        } catch (const std::exception& e) {
            store_.rollbackToSavepoint("mail");
            store_.releaseSavepoint("mail");
            // A key another session committed a moment ago (PostgreSQL: the same mail taken in
            // through another mailbox): read again, it is recognised. A second time is no race.
            if (dynamic_cast<const StorageDuplicateKey*>(&e) && attempt == 1) continue;
            return quarantine(origin, raw, syntheticMessageId(raw), std::string("could not be handled: ") + e.what());
        }
    }
}

void Intake::expectUids(const std::string& mailbox, std::int64_t uidvalidity, std::int64_t first, std::int64_t last) {
    expected_ = ExpectedUids{mailbox, uidvalidity, first, last,
                             store_.intake.intakeOutcomes(mailbox, uidvalidity, first, last)};
}

IntakeResult Intake::process(const MailOrigin& origin, const std::string& raw) {
    if (origin.uid > 0) {
        const bool expected = expected_ && expected_->mailbox == origin.mailbox &&
                              expected_->uidvalidity == origin.uidvalidity && origin.uid >= expected_->first &&
                              origin.uid <= expected_->last;
        if (expected) {
            if (auto it = expected_->done.find(origin.uid); it != expected_->done.end())
                return {"already_processed", std::nullopt, 0, it->second};
        } else if (auto done = store_.intake.intakeOutcome(origin)) {
            return {"already_processed", std::nullopt, 0, *done};
        }
    }
    ParseOptions options;
    options.limits = config_.limits;
    options.token_format = config_.identity.token_format;
    auto parsed = parseMail(raw, options);
    if (!parsed)
        return quarantine(origin, raw, syntheticMessageId(raw), parsed.error().code + ": " + parsed.error().message);
    const ParsedMail& mail = *parsed;
    Incoming in{origin, raw, mail, mail.message_id.empty() ? syntheticMessageId(raw) : mail.message_id,
                sha256Hex(bodyOf(raw)), identityOf(mail), "", ""};
    in.from_address = normalizeAddress(in.from.address);

    // Our own mail coming back (a loop through a forward, or a misconfigured alias).
    if (config_.isOwnAddress(in.from_address) || mail.header("X-Deskgate-Loop"))
        return quarantine(origin, raw, in.message_id, "own mail came back (mail loop): not taken in");
    if (in.from_address.empty()) return quarantine(origin, raw, in.message_id, "no sender address (From)");
    // The same mail again (another UID, a second delivery, a re-fetch after UIDVALIDITY changed).
    if (isRepeat(in)) {
        const std::string why = "Message-ID " + in.message_id + " was already taken in";
        store_.intake.recordIntake(origin, in.message_id, "duplicate", std::nullopt, now_(), why);
        return {"duplicate", std::nullopt, 0, why};
    }

    // Who wrote it, and on which of the tickets it names: the desk's rules decide.
    Named named = namedTickets(mail);
    const AgentConfig* claimed = config_.agentByAddress(in.from_address);
    AgentVerdict verdict;
    if (claimed) verdict = proveAgentMail(in, *claimed, named);
    const WriterFacts writer{in.from_address, verdict.everywhere, verdict.tickets, mail.kind};
    const ThreadChoice choice = chooseTicket(named.facts, writer);
    if (claimed && !verdict.proven() && !named.tickets.empty() && mail.kind == MailKind::normal)
        tellUnprovenAgent(in, *claimed, named.tickets.front(), verdict.why_not);

    if (!choice.ticket) {
        // A bounce or out-of-office that belongs to nothing we know must not open a ticket.
        if (isMachineMail(mail.kind))
            return quarantine(origin, raw, in.message_id,
                              std::string(toString(mail.kind)) + " that matches no ticket: kept for review, not answered");
        // A new mail to many addresses is how a help desk gets used as a relay: held for review.
        const auto max = runtime_.rules->limits.max_recipients.value_or(kDefaultMaxRecipients);
        if (const auto n = static_cast<std::int64_t>(mail.to.size() + mail.cc.size()); n > max)
            return quarantine(origin, raw, in.message_id,
                              "held: " + std::to_string(n) + " recipients in To and Cc (limit " + std::to_string(max) + ")");
        const std::string strangerReason =
            claimed && !verdict.proven()
                ? "it is from agent " + claimed->name + "'s address without proof (" + verdict.why_not + ")"
                : "the sender is not part of it";
        if (choice.foreign && runtime_.rules->threading.foreign_token == ThreadingSettings::ForeignToken::hold)
            return quarantine(origin, raw, in.message_id,
                              "the mail names ticket " + std::to_string(*choice.foreign) + " but " + strangerReason);
        return openTicket(in, choice.foreign, "the mail names it, but " + strangerReason);
    }

    TicketRecord& ticket = named.tickets[*choice.ticket];
    // Read again for the update: locked until the commit, so a change another daemon (or the
    // escalation sweep) makes meanwhile is neither overwritten nor overwrites this one.
    if (auto locked = store_.tickets.lockTicket(ticket.id)) ticket = std::move(*locked);
    const Standing standing = standingOn(named.facts[*choice.ticket], writer);
    if (standing == Standing::agent) return agentMail(ticket, in, *claimed);
    auto meaning = meaningOfReply(named.facts[*choice.ticket], mail.kind, in.newText(), now_(), runtime_.rules->reopen);
    switch (meaning.kind) {
        case ReplyMeaning::Kind::rating: return rating(ticket, in, *meaning.rating);
        case ReplyMeaning::Kind::follow_up: return openTicket(in, ticket.number, meaning.reason);
        case ReplyMeaning::Kind::reopen: return addToTicket(ticket, in, standing, true);
        case ReplyMeaning::Kind::add: break;
    }
    return addToTicket(ticket, in, standing, false);
}

}  // namespace deskgate
