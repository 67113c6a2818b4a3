// Agents working by mail: who hears of a ticket, and what an agent's mail does to it —
// commands, notes, relayed replies, closing notices. Part of Intake (see intake.hpp); runs in
// the intake transaction like the rest.
#include "daemon/desk/intake.hpp"

#include <algorithm>
#include <cstdio>

#include "daemon/text_format.hpp"
#include "parsers/agent_mail.hpp"
#include "parsers/charset.hpp"

namespace deskgate {

namespace {

std::string humanSize(std::size_t bytes) {
    char buf[32];
    if (bytes < 1024) std::snprintf(buf, sizeof buf, "%zu bytes", bytes);
    else if (bytes < 1024 * 1024) std::snprintf(buf, sizeof buf, "%.0f KB", static_cast<double>(bytes) / 1024);
    else std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / (1024 * 1024));
    return buf;
}

// `text` with every occurrence of `address` (any case) replaced by `replacement`.
std::string withoutAddress(const std::string& text, const std::string& address, const std::string& replacement) {
    if (address.empty()) return text;
    const std::string needle = normalizeAddress(address), haystack = normalizeAddress(text);
    std::string out;
    std::size_t from = 0;
    for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, from)) {
        out.append(text, from, at - from);
        out += replacement;
        from = at + needle.size();
    }
    out.append(text, from, std::string::npos);
    return out;
}

}  // namespace

int Intake::notifyAgents(const TicketRecord& ticket, const Incoming& in, const std::string& event,
                         const std::string& except) {
    auto agents = composer_.agentsFor(ticket, except);
    if (agents.empty()) return 0;
    const ParsedMail& mail = in.mail;
    const std::string& cause = in.message_id;

    ComposedMail n;
    n.template_name = "agent_notification";
    n.kind = "agent_notification";
    n.reply_to_support = true;
    n.auto_submitted = "auto-generated";
    n.language = config_.language;
    n.cause = cause;
    n.in_reply_to = mail.message_id;
    n.values.set("event." + event, "1");
    n.values.set("text", sanitizeUtf8(in.newText()));
    n.values.set("quoted", sanitizeUtf8(mail.quoted));
    if (ticket.follows_number) {
        n.values.set("link.number", std::to_string(*ticket.follows_number));
        n.values.set("link.token", composer_.tokenFor(*ticket.follows_number));
    }
    for (const auto& a : mail.attachments) {
        TemplateValues item;
        item.set("name", a.filename.empty() ? "(no name)" : a.filename);
        item.set("type", a.content_type);
        item.set("size", humanSize(a.size));
        n.values.add("attachments", item);
    }
    if (config_.agent_mail.attach_original)
        n.attachments.push_back({"ticket-" + std::to_string(ticket.number) + ".eml", "message/rfc822", in.raw});
    return composer_.queueToAgents(ticket, n, agents);
}

IntakeResult Intake::refuseCommands(const TicketRecord& ticket, const Incoming& in, MessageRecord& msg,
                                    const AgentCommands& commands, const AgentConfig& agent) {
    const UnixTime now = now_();
    msg.kind = "command_error";
    store_.tickets.addMessage(msg);
    std::string reasons;
    for (const auto& e : commands.errors) reasons += (reasons.empty() ? "" : "; ") + e.line + ": " + e.reason;
    store_.tickets.addEvent({0, ticket.id, now, "agent:" + agent.name, "command_error", reasons});
    ComposedMail answer;
    answer.template_name = "command_error";
    answer.language = config_.language;
    answer.cause = msg.message_id;
    answer.in_reply_to = in.mail.message_id;
    answer.values.set("error.line", commands.errors.front().line);
    answer.values.set("error.reason", commands.errors.front().reason);
    answer.values.set("text", commands.text);
    const int queued = composer_.queueToAgents(ticket, answer, {&agent});
    store_.intake.recordIntake(in.origin, msg.message_id, "command_error", ticket.id, now, in.defect);
    return {"command_error", ticket.number, queued, reasons};
}

Intake::AppliedCommands Intake::applyCommands(TicketRecord& ticket, const AgentCommands& commands,
                                              const AgentConfig& agent) {
    const UnixTime now = now_();
    const std::string actor = "agent:" + agent.name;
    AppliedCommands applied;
    const std::string statusBefore = ticket.status, priorityBefore = ticket.priority;
    for (const auto& c : commands.commands) {
        if (c.name == "resolve" || c.name == "close" || c.name == "pending" || c.name == "open") {
            std::string status = c.name == "resolve" ? "resolved" : c.name == "close" ? "closed" : c.name;
            if (isClosedStatus(status) && !isClosedStatus(ticket.status)) applied.closing = status;
            setStatus(ticket, status, actor, "by " + agent.name);
        } else if (c.name == "assign") {
            const AgentConfig* target = c.argument == "me" ? &agent : config_.agentByName(c.argument);
            const std::string name = target->name;  // as configured (checked to exist before)
            if (name == ticket.assignee) continue;
            store_.tickets.addEvent({0, ticket.id, now, actor, "assigned",
                             name + " (by " + agent.name + (ticket.assignee.empty() ? "" : ", was " + ticket.assignee) + ")"});
            ticket.assignee = name;
            applied.new_assignee = name;
        } else if (c.name == "priority") {
            if (c.argument == ticket.priority) continue;
            store_.tickets.addEvent({0, ticket.id, now, actor, "priority", ticket.priority + " -> " + c.argument});
            ticket.priority = c.argument;
        } else if (c.name == "queue") {
            if (c.argument == ticket.queue) continue;
            store_.tickets.addEvent({0, ticket.id, now, actor, "queue", ticket.queue + " -> " + c.argument});
            ticket.queue = c.argument;
        } else if (c.name == "cc") {
            // An agent's command is one of the two ways a ticket's audience widens.
            if (composer_.isDeskAddress(c.argument) || c.argument == normalizeAddress(ticket.customer_address)) continue;
            if (store_.tickets.addParticipant(ticket.id, c.argument, actor, now))
                store_.tickets.addEvent({0, ticket.id, now, actor, "participant", "+" + c.argument});
        } else if (c.name == "uncc") {
            if (store_.tickets.removeParticipant(ticket.id, c.argument))
                store_.tickets.addEvent({0, ticket.id, now, actor, "participant", "-" + c.argument});
        } else if (c.name == "tag") {
            auto tags = splitWords(ticket.tags);
            if (std::find(tags.begin(), tags.end(), c.argument) != tags.end()) continue;
            tags.push_back(c.argument);
            ticket.tags = joinWords(tags);
            store_.tickets.addEvent({0, ticket.id, now, actor, "tag", "+" + c.argument});
        }
    }
    // Status (pauses) and priority (targets) move the SLA deadlines: computed once, after all commands.
    if (ticket.status != statusBefore || ticket.priority != priorityBefore)
        applySla(*runtime_.rules, ticket, store_.tickets.eventsOf(ticket.id));
    return applied;
}

IntakeResult Intake::agentMail(TicketRecord& ticket, const Incoming& in, const AgentConfig& agent) {
    const UnixTime now = now_();
    const std::string actor = "agent:" + agent.name;
    const std::string& messageId = in.message_id;
    auto msg = messageFrom(in, ticket.id, actor);
    IntakeResult result{"agent_reply", ticket.number, 0, ""};

    auto commands = parseAgentCommands(in.newText());
    // Names must exist: an #assign to nobody would leave the ticket with no one.
    for (const auto& c : commands.commands)
        if (c.name == "assign" && c.argument != "me" && !config_.agentByName(c.argument))
            commands.errors.push_back({c.line, "no agent is called '" + c.argument + "'"});
    if (!commands.errors.empty()) return refuseCommands(ticket, in, msg, commands, agent);

    msg.kind = commands.note ? "note" : "normal";
    store_.tickets.addMessage(msg);
    const std::string previousStatus = ticket.status;
    const auto applied = applyCommands(ticket, commands, agent);

    const bool relayText = !commands.note && !commands.text.empty();
    // What goes to the customer: the closing notice, a status update, or the relayed reply —
    // each carrying the agent's words when there are any.
    ComposedMail toCustomer;
    toCustomer.cause = messageId;
    toCustomer.author = relayText ? actor : "system";
    toCustomer.auto_submitted = relayText ? "" : "auto-generated";  // a person's answer is no automatic mail
    toCustomer.values.set("agent.name", agent.signature());
    // The agent's address never reaches the customer, not even through a signature.
    if (relayText) toCustomer.values.set("text", withoutAddress(commands.text, agent.address, config_.identity.address));
    if (commands.note) {
        store_.tickets.addEvent({0, ticket.id, now, actor, "note", "mail " + messageId});
        result.outcome = "note";
    } else if (!applied.closing.empty()) {
        toCustomer.template_name = "resolved";
        toCustomer.auto_submitted = "auto-generated";
        toCustomer.values.set("rating_question", "1");
        ticket.rating_requested_at = now;
    } else if (ticket.status != previousStatus) {  // #pending, #open
        toCustomer.template_name = "status_changed";
        toCustomer.values.set("previous_status", previousStatus);
    } else if (relayText) {
        toCustomer.template_name = "agent_reply";
    } else {
        store_.tickets.addEvent({0, ticket.id, now, actor, "message", "commands only: nothing sent to the customer"});
    }
    if (!toCustomer.template_name.empty() && composer_.queueToCustomer(ticket, toCustomer)) ++result.queued_mails;
    if (relayText && !ticket.first_response_at) {
        ticket.first_response_at = now;
        ticket.first_response_due.reset();
        store_.tickets.addEvent({0, ticket.id, now, actor, "first_response", ""});
    }
    if (!applied.new_assignee.empty() && applied.new_assignee != agent.name)
        result.queued_mails += notifyAgents(ticket, in, "assigned", agent.name);
    finish(ticket, in, "reply");
    return result;
}

}  // namespace deskgate
