#include "daemon/schedule/escalation_scheduler.hpp"

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

std::optional<UnixTime> EscalationScheduler::sweep() {
    auto runtime = runtime_();
    const UnixTime now = now_();
    auto log = spdlog::get("escalation") ? spdlog::get("escalation") : spdlog::default_logger();
    std::optional<UnixTime> next;
    int queued = 0;
    for (auto& ticket : store_.tickets.activeTickets()) {
        // One ticket that cannot be handled (a template that does not render, a write the
        // database refuses) is logged and tried again later; the others still escalate and
        // auto-close. A database that went away ends the pass: the scheduler retries it.
        try {
            sweepTicket(*runtime, ticket, now, next, queued);
        } catch (const StorageUnavailable&) {
            throw;
        } catch (const std::exception& e) {
            log->error("escalation failed, ticket skipped ticket={} retry_in={}s reason={}", ticket.number,
                       kRetryFailedTicket, e.what());
            if (monitor_) monitor_->escalationFailed();
            earliest(next, now + kRetryFailedTicket);
        }
    }
    if (queued > 0 && mail_queued_) mail_queued_();
    return next;
}

void EscalationScheduler::sweepTicket(const Runtime& runtime, TicketRecord& ticket, UnixTime now,
                                      std::optional<UnixTime>& next, int& queued) {
    const RuleSet& rules = *runtime.rules;
    // Auto-close: pending on the customer for too long.
    if (ticket.status == "pending" && rules.auto_close.pending_for) {
        UnixTime due = ticket.updated_at + rules.auto_close.pending_for->count();
        if (due > now) {
            earliest(next, due);
        } else {
            store_.transaction([&] {
                store_.tickets.addEvent({0, ticket.id, now, "system", "status", "pending -> closed (auto-close)"});
                ticket.status = "closed";
                ticket.closed_at = now;
                ticket.updated_at = now;
                store_.tickets.updateTicket(ticket);
                MailComposer composer(runtime, store_, now_);
                ComposedMail notice;
                notice.template_name = rules.auto_close.notice_template.value_or("auto_closed");
                notice.kind = "auto_closed";
                notice.auto_submitted = "auto-generated";
                notice.values.set("auto_close.days", std::to_string(rules.auto_close.pending_for->count() / 86400));
                if (composer.queueToCustomer(ticket, notice)) ++queued;
            });
            return;
        }
    }
    if (ticket.sla.empty() || ticket.status == "pending") return;
    TicketClock clock;
    clock.sla = ticket.sla;
    if (!ticket.first_response_at && ticket.first_response_due) clock.first_response_due = toSysSeconds(*ticket.first_response_due);
    if (ticket.resolution_due) clock.resolution_due = toSysSeconds(*ticket.resolution_due);
    auto fired = splitLines(ticket.escalations);
    auto plan = planEscalation(rules, clock, fired, toSysSeconds(now));
    if (plan.next_wakeup) earliest(next, plan.next_wakeup->time_since_epoch().count());
    if (plan.due.empty()) return;
    std::vector<std::string> firedNow;
    store_.transaction([&] {
        firedNow.clear();  // a retried transaction starts again
        MailComposer composer(runtime, store_, now_);
        for (const auto& due : plan.due) {
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
            for (const auto& name : effect.notify_agents) addAgent(runtime.config.agentByName(name));
            // Moved to another team or agent: the newly responsible agents get it too.
            if (ticket.team != before.team.value_or("") || ticket.assignee != before.agent.value_or(""))
                for (const auto* a : composer.agentsFor(ticket)) addAgent(a);
            std::vector<Address> others;
            for (const auto& addr : effect.notify_addresses) {
                if (const auto* a = runtime.config.agentByAddress(addr))
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
            queued += composer.queueToAgents(ticket, notice, agents);
            if (!others.empty()) {
                notice.to = others;
                if (!composer.queue(ticket, notice).empty()) ++queued;
            }
        }
        ticket.updated_at = now;
        // A new priority may have other targets: the deadlines move.
        applySla(rules, ticket, store_.tickets.eventsOf(ticket.id));
        store_.tickets.updateTicket(ticket);
    });
    if (monitor_)
        for (const auto& name : firedNow) monitor_->escalationFired(name);
    earliest(next, now + 1);  // look again with the moved deadlines
}

}  // namespace deskgate
