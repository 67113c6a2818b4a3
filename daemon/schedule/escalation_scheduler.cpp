#include "daemon/schedule/escalation_scheduler.hpp"

#include "daemon/logging.hpp"

#include <algorithm>
#include <sstream>

#include <spdlog/spdlog.h>

#include "daemon/desk/intake.hpp"
#include "daemon/desk/mail_composer.hpp"
#include "daemon/text_format.hpp"
#include "rules/escalation.hpp"

namespace deskgate {

namespace asio = boost::asio;

namespace {

std::vector<std::string> splitLines(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    for (std::string line; std::getline(in, line);)
        if (!line.empty()) out.push_back(line);
    return out;
}

void earliest(std::optional<UnixTime>& next, UnixTime t) {
    if (!next || t < *next) next = t;
}

}  // namespace

EscalationScheduler::EscalationScheduler(asio::io_context& io, RuntimeSource runtime, SociStore& store, Now now,
                                          std::function<void()> mail_queued)
    : Scheduler(io, std::move(runtime), store, std::move(now), std::move(mail_queued),
                "escalation pass", std::chrono::seconds(10)) {}

namespace {

// What is due for a ticket now: auto-close, or escalation steps (the next wake-up into `next`).
struct DueWork {
    bool auto_close = false;
    EscalationPlan plan;
    bool any() const { return auto_close || !plan.due.empty(); }
};

DueWork dueFor(const RuleSet& rules, const TicketRecord& ticket, UnixTime now, std::optional<UnixTime>& next) {
    DueWork work;
    // Auto-close: pending on the customer for too long.
    if (ticket.status == "pending" && rules.auto_close.pending_for) {
        UnixTime due = ticket.updated_at + rules.auto_close.pending_for->count();
        if (due > now) {
            earliest(next, due);
        } else {
            work.auto_close = true;
            return work;
        }
    }
    if (ticket.sla.empty() || ticket.status == "pending" || isClosedStatus(ticket.status)) return work;
    TicketClock clock;
    clock.sla = ticket.sla;
    if (!ticket.first_response_at && ticket.first_response_due) clock.first_response_due = toSysSeconds(*ticket.first_response_due);
    if (ticket.resolution_due) clock.resolution_due = toSysSeconds(*ticket.resolution_due);
    auto fired = splitLines(ticket.escalations);
    work.plan = planEscalation(rules, clock, fired, toSysSeconds(now));
    if (work.plan.next_wakeup) earliest(next, work.plan.next_wakeup->time_since_epoch().count());
    return work;
}

}  // namespace

std::optional<UnixTime> EscalationScheduler::sweep() {
    auto runtime = runtime_();
    const RuleSet& rules = *runtime->rules;
    const UnixTime now = now_();
    auto log = componentLog("escalation");
    std::optional<UnixTime> next;
    int queued = 0;
    for (const auto& snapshot : store_.tickets.activeTickets()) {
        if (!dueFor(rules, snapshot, now, next).any()) continue;
        // One ticket that cannot be handled (a template that does not render, a write the
        // database refuses) is logged and tried again later; the others still escalate and
        // auto-close. A database that went away ends the pass: the scheduler retries it.
        try {
            sweepTicket(*runtime, snapshot, now, next, queued);
        } catch (const StorageUnavailable&) {
            throw;
        } catch (const std::exception& e) {
            log->error("escalation failed, ticket skipped ticket={} retry_in={}s reason={}", snapshot.number,
                       kRetryFailedTicket, e.what());
            if (monitor_) monitor_->escalationFailed();
            earliest(next, now + kRetryFailedTicket);
        }
    }
    if (queued > 0 && mail_queued_) mail_queued_();
    return next;
}

void EscalationScheduler::sweepTicket(const Runtime& current, const TicketRecord& snapshot, UnixTime now,
                                      std::optional<UnixTime>& next, int& queued) {
    const Runtime* runtime = &current;
    const RuleSet& rules = *runtime->rules;
    // Something is due: claim the ticket and decide again on what is stored now. Another
    // daemon's sweep, or an intake that changes the ticket, holds it meanwhile: skipped
    // (SKIP LOCKED), looked at again in a moment. So each step fires once across daemons,
    // and no change made meanwhile is overwritten.
    int queuedHere = 0;
    std::vector<std::string> firedNow;
    store_.retryingTransaction([&] {
        queuedHere = 0;
        firedNow.clear();  // a retried transaction starts again
        auto locked = store_.tickets.lockTicket(snapshot.id, true);
        if (!locked) {
            earliest(next, now + 1);
            return;
        }
        TicketRecord ticket = std::move(*locked);
        std::optional<UnixTime> ignored;
        auto work = dueFor(rules, ticket, now, ignored);
        if (work.auto_close) {
            store_.tickets.addEvent({0, ticket.id, now, "system", "status", "pending -> closed (auto-close)"});
            ticket.status = "closed";
            ticket.closed_at = now;
            ticket.updated_at = now;
            store_.tickets.updateTicket(ticket);
            MailComposer composer(*runtime, store_, now_);
            ComposedMail notice;
            notice.template_name = rules.auto_close.notice_template.value_or("auto_closed");
            notice.kind = "auto_closed";
            notice.auto_submitted = "auto-generated";
            notice.values.set("auto_close.days", std::to_string(rules.auto_close.pending_for->count() / 86400));
            if (composer.queueToCustomer(ticket, notice)) ++queuedHere;
            return;
        }
        if (work.plan.due.empty()) return;
        MailComposer composer(*runtime, store_, now_);
        for (const auto& due : work.plan.due) {
            const EscalationStep& step = *due.step;
            TicketRouting before;
            before.priority = parsePriority(ticket.priority).value_or(Priority::normal);
            if (!ticket.team.empty()) before.team = ticket.team;
            if (!ticket.assignee.empty()) before.agent = ticket.assignee;
            auto effect = applyEscalation(rules, step, before);
            ticket.priority = std::string(toString(effect.after.priority));
            ticket.team = effect.after.team.value_or("");
            ticket.assignee = effect.after.agent.value_or("");
            ticket.escalations += step.name + "\n";
            firedNow.push_back(step.name);
            std::string changes;
            for (const auto& c : effect.changes) changes += (changes.empty() ? "" : "; ") + c;
            store_.tickets.addEvent({0, ticket.id, now, "escalation", "escalation",
                             step.name + (changes.empty() ? "" : ": " + changes)});
            // Agents each get their own copy (with their reply key: "a reply reaches the customer
            // like any agent reply"); configured addresses one mail together.
            std::vector<const AgentConfig*> agents;
            auto addAgent = [&](const AgentConfig* a) {
                if (a && std::find(agents.begin(), agents.end(), a) == agents.end()) agents.push_back(a);
            };
            for (const auto& name : effect.notify_agents) addAgent(runtime->config.agentByName(name));
            // Moved to another team or agent: the newly responsible agents get it too.
            if (ticket.team != before.team.value_or("") || ticket.assignee != before.agent.value_or(""))
                for (const auto* a : composer.agentsFor(ticket)) addAgent(a);
            std::vector<Address> others;
            for (const auto& addr : effect.notify_addresses) {
                if (const auto* a = runtime->config.agentByAddress(addr))
                    addAgent(a);
                else
                    others.push_back({"", addr});
            }
            if (agents.empty() && others.empty()) continue;
            ComposedMail notice;
            notice.template_name = "escalation";
            notice.reply_to_support = true;  // a reply reaches the customer like any agent reply
            notice.auto_submitted = "auto-generated";
            notice.cause = step.name;        // two steps due at once get two Message-IDs
            notice.values.set("escalation.step", step.name);
            UnixTime deadline = step.target == SlaTarget::first_response ? ticket.first_response_due.value_or(now)
                                                                           : ticket.resolution_due.value_or(now);
            notice.values.set("escalation.deadline", isoTime(deadline));
            if (step.breached) notice.values.set("escalation.breached", "yes");
            notice.values.set("escalation.action", changes);
            queuedHere += composer.queueToAgents(ticket, notice, agents);
            if (!others.empty()) {
                notice.to = others;
                if (!composer.queue(ticket, notice).empty()) ++queuedHere;
            }
        }
        ticket.updated_at = now;
        // A new priority may have other targets: the deadlines move.
        applySla(rules, ticket, store_.tickets.eventsOf(ticket.id));
        store_.tickets.updateTicket(ticket);
        earliest(next, now + 1);  // look again with the moved deadlines
    });
    queued += queuedHere;
    if (monitor_)
        for (const auto& name : firedNow) monitor_->escalationFired(name);
}

}  // namespace deskgate
