// Agents working by mail: who hears of a ticket, and what an agent's mail does to it —
// commands, notes, relayed replies, closing notices. Part of Intake (see intake.hpp); runs in
// the intake transaction like the rest.
#include "daemon/desk/intake.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "daemon/text_format.hpp"
#include "parsers/agent_mail.hpp"
#include "parsers/charset.hpp"

namespace deskgate {

namespace {

// `text` cut to at most `max` bytes at a character boundary, with a mark where it was cut.
std::string clipText(const std::string& text, std::size_t max) {
    if (text.size() <= max) return text;
    std::size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    return text.substr(0, cut) + "\n[…]";
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
    // How an admin saves each attachment when the original cannot go along: the command names
    // the mail by its place among the ticket's received mails (it is the newest one) when there
    // are several, and the configuration when it is not the default one.
    std::string where;
    if (!mail.attachments.empty() && config_.agent_mail.attach_original) {
        std::size_t received = 0;
        for (const auto& m : store_.tickets.messagesOf(ticket.id))
            if (m.direction == "in") ++received;
        if (received > 1) where += " --message " + std::to_string(received);
        if (!config_.file.empty() && config_.file != std::filesystem::path(kDefaultConfigPath))
            where += " --config " + shellWord(std::filesystem::absolute(config_.file).string());
    }
    for (const auto& a : mail.attachments) {
        TemplateValues item;
        item.set("name", a.filename);
        item.set("type", a.content_type);
        item.set("size", humanSize(a.size));
        // A name starting with '-' must not read as an option: `--` ends them (options first).
        const std::string base = "deskgate tickets attachment " + std::to_string(ticket.number);
        item.set("command", (a.filename.starts_with('-') ? base + where + " -- " + shellWord(a.filename)
                                                         : base + " " + shellWord(a.filename) + where) +
                                " > " + shellWord(a.filename));
        n.values.add("attachments", item);
    }
    if (config_.agent_mail.attach_original)
        n.attachments.push_back({"ticket-" + std::to_string(ticket.number) + ".eml", "message/rfc822", in.raw});
    // Larger than the relay takes, the notification would be refused for good and the agent
    // would never hear of the ticket: it goes without the original, and says so.
    const std::size_t rawSize = in.raw.size();
    n.shrink = [rawSize, budget = composer_.sizeBudget()](ComposedMail& m, std::size_t) {
        if (!m.attachments.empty()) {
            m.attachments.clear();
            m.values.set("original.omitted", "1");
            m.values.set("original.size", humanSize(rawSize));
            m.values.set("original.limit", humanSize(budget));
        }
        // A text as large as the limit (quoted-printable may triple it) is cut as well.
        const std::size_t textBudget = budget / 4;
        if (const auto* text = m.values.get("text"); text && text->size() > textBudget) {
            m.values.set("text", clipText(*text, textBudget));
            m.values.set("quoted", "");
        } else if (const auto* quoted = m.values.get("quoted"); quoted && quoted->size() > textBudget) {
            m.values.set("quoted", "");
        }
    };
    return composer_.queueToAgents(ticket, n, agents);
}

// The desk's answer to an agent about their mail `msg`: in its thread, in the desk's language,
// with the agent's words (`text`) shown back.
ComposedMail Intake::answerToAgent(const char* template_name, const MessageRecord& msg, const Incoming& in,
                                   const AgentCommands& commands) const {
    ComposedMail answer;
    answer.template_name = template_name;
    answer.language = config_.language;
    answer.cause = msg.message_id;
    answer.in_reply_to = in.mail.message_id;
    answer.values.set("text", commands.text);
    return answer;
}

IntakeResult Intake::refuseCommands(const TicketRecord& ticket, const Incoming& in, MessageRecord& msg,
                                    const AgentCommands& commands, const AgentConfig& agent) {
    const UnixTime now = now_();
    msg.kind = "command_error";
    store_.tickets.addMessage(msg);
    std::string reasons;
    for (const auto& e : commands.errors) reasons += (reasons.empty() ? "" : "; ") + e.line + ": " + e.reason;
    store_.tickets.addEvent({0, ticket.id, now, "agent:" + agent.name, "command_error", reasons});
    ComposedMail answer = answerToAgent("command_error", msg, in, commands);
    answer.values.set("error.line", commands.errors.front().line);
    answer.values.set("error.reason", commands.errors.front().reason);
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

std::vector<OutgoingAttachment> Intake::filesOfAgentMail(const Incoming& in) {
    // The pictures of an HTML body (inline, with a Content-ID: signature logos, mostly) stay
    // behind: the customer gets the agent's words as plain text, where they would arrive as
    // stray attachments. Every file the agent attached goes along.
    std::vector<std::size_t> wanted;
    for (std::size_t i = 0; i < in.mail.attachments.size(); ++i) {
        const Attachment& a = in.mail.attachments[i];
        if (!(a.is_inline && !a.content_id.empty() && a.content_type.starts_with("image/"))) wanted.push_back(i);
    }
    std::vector<OutgoingAttachment> files;
    if (wanted.empty()) return files;
    ParseOptions options;
    options.limits = config_.limits;
    options.token_format = config_.identity.token_format;
    auto contents = attachmentContents(in.raw, wanted, options);
    if (!contents) throw StorageError("cannot read the attachments of mail " + in.message_id + ": " + contents.error().message);
    for (auto& c : *contents)
        files.push_back({c.attachment.filename, c.attachment.content_type, std::move(c.data)});
    return files;
}

IntakeResult Intake::refuseTooLarge(const TicketRecord& ticket, const Incoming& in, MessageRecord& msg,
                                    const AgentCommands& commands, const AgentConfig& agent, const MailTooLarge& why) {
    const UnixTime now = now_();
    msg.kind = "too_large";
    store_.tickets.addMessage(msg);
    std::string names;
    for (const auto& a : in.mail.attachments) names += (names.empty() ? "" : ", ") + a.filename;
    const std::string reason = "the reply with its attachments would be " + humanSize(why.size) +
                               ", the mail server takes at most " + humanSize(why.budget) + " (" + names + ")";
    store_.tickets.addEvent({0, ticket.id, now, "agent:" + agent.name, "reply_too_large", reason});
    ComposedMail answer = answerToAgent("reply_too_large", msg, in, commands);
    answer.auto_submitted = "auto-generated";
    answer.values.set("too_large.size", humanSize(why.size));
    answer.values.set("too_large.limit", humanSize(why.budget));
    for (const auto& a : in.mail.attachments) {
        TemplateValues item;
        item.set("name", a.filename);
        item.set("type", a.content_type);
        item.set("size", humanSize(a.size));
        answer.values.add("attachments", item);
    }
    const int queued = composer_.queueToAgents(ticket, answer, {&agent});
    store_.intake.recordIntake(in.origin, msg.message_id, "reply_too_large", ticket.id, now, in.defect);
    return {"reply_too_large", ticket.number, queued, reason};
}

IntakeResult Intake::agentMail(TicketRecord& ticket, const Incoming& in, const AgentConfig& agent) {
    auto msg = messageFrom(in, ticket.id, "agent:" + agent.name);
    auto commands = parseAgentCommands(in.newText());
    // Names must exist: an #assign to nobody would leave the ticket with no one.
    for (const auto& c : commands.commands)
        if (c.name == "assign" && c.argument != "me" && !config_.agentByName(c.argument))
            commands.errors.push_back({c.line, "no agent is called '" + c.argument + "'"});
    if (!commands.errors.empty()) return refuseCommands(ticket, in, msg, commands, agent);

    auto files = commands.note ? std::vector<OutgoingAttachment>{} : filesOfAgentMail(in);
    // Too large for the relay, the reply is not applied at all (like a wrong command): the
    // customer never gets "see the attached manual" without the manual, and the agent is told.
    const TicketRecord before = ticket;
    store_.savepoint("agent_reply");
    try {
        auto result = applyAgentMail(ticket, in, msg, commands, agent, std::move(files));
        store_.releaseSavepoint("agent_reply");
        return result;
    } catch (const MailTooLarge& e) {
        store_.rollbackToSavepoint("agent_reply");
        store_.releaseSavepoint("agent_reply");
        ticket = before;
        return refuseTooLarge(ticket, in, msg, commands, agent, e);
    }
}

IntakeResult Intake::applyAgentMail(TicketRecord& ticket, const Incoming& in, MessageRecord& msg,
                                    const AgentCommands& commands, const AgentConfig& agent,
                                    std::vector<OutgoingAttachment> files) {
    const UnixTime now = now_();
    const std::string actor = "agent:" + agent.name;
    const std::string& messageId = in.message_id;
    IntakeResult result{"agent_reply", ticket.number, 0, ""};
    msg.kind = commands.note ? "note" : "normal";
    store_.tickets.addMessage(msg);
    const std::string previousStatus = ticket.status;
    const auto applied = applyCommands(ticket, commands, agent);

    // Words or files for the customer (a file alone is an answer too).
    const bool relayText = !commands.note && (!commands.text.empty() || !files.empty());
    // What goes to the customer: the closing notice, a status update, or the relayed reply —
    // each carrying the agent's words and files when there are any.
    ComposedMail toCustomer;
    toCustomer.cause = messageId;
    toCustomer.author = relayText ? actor : "system";
    toCustomer.auto_submitted = relayText ? "" : "auto-generated";  // a person's answer is no automatic mail
    toCustomer.values.set("agent.name", agent.signature());
    toCustomer.attachments = std::move(files);
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
