#include "templates/template_catalog.hpp"

#include <algorithm>
#include <array>

namespace deskgate {

namespace {

const std::array<TemplateVariable, 19> kCommon = {{
    {"ticket.number", "ticket number, e.g. 1042"},
    {"token", "ticket token for subjects, e.g. [Ticket#1042]"},
    {"ticket.subject", "the ticket's subject (the customer's first subject)"},
    {"ticket.status", "status: new, open, pending, resolved, closed"},
    {"status.new", "set automatically from ticket.status: non-empty when it is new (for wording per status)"},
    {"status.open", "likewise for open"},
    {"status.pending", "likewise for pending (waiting for the customer)"},
    {"status.resolved", "likewise for resolved"},
    {"status.closed", "likewise for closed"},
    {"ticket.priority", "priority: low, normal, high, urgent"},
    {"ticket.queue", "queue name"},
    {"customer.name", "customer's display name (may be empty: use {{#customer.name}}…{{/customer.name}})"},
    {"customer.address", "customer's mail address"},
    {"agent.name", "assigned (or acting) agent's name; empty when nobody is assigned"},
    {"support.address", "the support address the mail comes from"},
    {"support.name", "the help desk's display name"},
    {"link.number", "number of a linked ticket (the old ticket a new one continues); empty if none"},
    {"link.token", "token of the linked ticket"},
    {"language", "language code the mail is rendered in (en, de, …)"},
}};

std::vector<TemplateInfo> makeCatalog() {
    const auto text = [](std::string_view what) { return TemplateVariable{"text", what}; };
    const TemplateVariable quoted{"quoted", "the quoted history split off the customer's message"};
    return {
        {"acknowledgement", "to the customer: a new ticket was opened", true,
         {text("the customer's message (new text only); not shown by default, so the acknowledgement "
               "cannot carry a forger's text to a third party")}},
        {"agent_notification", "to the agent (or team): new ticket, new customer message or assignment", false,
         {text("the customer's new text"), quoted,
          {"event.created", "non-empty when the ticket is new"},
          {"event.customer_reply", "non-empty when the customer wrote again"},
          {"event.assigned", "non-empty when the ticket was (re)assigned"},
          {"attachments", "list of attachments (section); each has name, type, size, command"},
          {"attachments.name", "attachment file name (safe, unique in the mail)"},
          {"attachments.type", "attachment content type"},
          {"attachments.size", "attachment size, human readable (e.g. 12 KB)"},
          {"attachments.command", "the command an admin saves it with, e.g. deskgate tickets attachment 1042 report.pdf > report.pdf"},
          {"original.omitted", "non-empty when the customer's mail is not attached because it is larger than smtp.max_message_size allows (section)"},
          {"original.size", "the size of the customer's mail, e.g. 12.2 MB"},
          {"original.limit", "the largest mail deskgate sends, e.g. 9.7 MB"}}},
        {"agent_reply", "to the customer: an agent's reply relayed from the support address", true,
         {text("the agent's text, command lines and quoted history removed")}},
        {"status_changed", "to the customer: the ticket's status changed", true,
         {{"previous_status", "the status before the change"}, text("optional words from the agent")}},
        {"resolved", "to the customer: the ticket was resolved or closed, with the satisfaction question", true,
         {text("optional closing words from the agent"), {"rating_question", "non-empty when the satisfaction question is asked (section)"}}},
        {"auto_closed", "to the customer: closed after waiting for the customer too long", true,
         {{"auto_close.days", "how many days the ticket waited for the customer, e.g. 7"}}},
        {"escalation", "to agents/team leads: an SLA deadline is near or breached", false,
         {{"escalation.step", "name of the escalation step, e.g. first_response_warning"},
          {"escalation.deadline", "deadline, e.g. 2026-11-27 17:00 CET"},
          {"escalation.breached", "non-empty when the deadline has passed (section)"},
          {"escalation.action", "what the step did, e.g. priority raised to high"}}},
        {"rating_thanks", "to the customer: thanks for the satisfaction rating", true,
         {{"rating", "the rating given, 1 to 5"}, text("the words the customer added to the rating")}},
        {"command_error", "to the agent: a command line in their reply was wrong; nothing changed", false,
         {{"error.line", "the command line as written, e.g. #priorty high"},
          {"error.reason", "why it was refused (English)"},
          text("the text of the agent's mail (it was not sent)")}},
        {"agent_unproven", "to an agent: a mail from their address was not accepted as theirs (at most once a day)", false,
         {{"unproven.message_id", "the Message-ID of the mail that was not accepted"},
          {"unproven.reason", "what proof was missing (English)"}}},
        {"delivery_failed", "to the agent (or team): a mail to the customer could not be delivered", false,
         {{"delivery.kind", "which mail failed, e.g. agent_reply or acknowledgement"},
          {"delivery.recipients", "the addresses it was for"},
          {"delivery.error", "the mail server's answer, e.g. 550 5.1.1 user unknown"},
          {"delivery.subject", "the subject of the mail that failed"}}},
        {"agent_delivery_failed",
         "to the team lead (or agent_mail.failure_notice_to): a mail to an agent could not be delivered", false,
         {{"delivery.kind", "which mail failed, e.g. agent_notification or escalation"},
          {"delivery.recipients", "the addresses it was for"},
          {"delivery.agent", "the agents among them, by name (empty for other addresses)"},
          {"delivery.error", "the mail server's answer, e.g. 552 5.3.4 message size exceeds fixed limit"},
          {"delivery.subject", "the subject of the mail that failed"}}},
        {"reply_too_large", "to the agent: their reply with its attachments is larger than the mail server takes; nothing changed", false,
         {{"too_large.size", "the size the reply would have had, e.g. 14.1 MB"},
          {"too_large.limit", "the largest mail deskgate sends, e.g. 9.7 MB"},
          {"attachments", "the files of the reply (section); each has name, type, size"},
          {"attachments.name", "file name"},
          {"attachments.type", "content type"},
          {"attachments.size", "size, human readable"},
          text("the text of the agent's mail (it was not sent)")}},
    };
}

}  // namespace

std::span<const TemplateVariable> commonTemplateVariables() { return kCommon; }

std::span<const TemplateInfo> templateCatalog() {
    static const std::vector<TemplateInfo> catalog = makeCatalog();
    return catalog;
}

const TemplateInfo* findTemplateInfo(std::string_view name) {
    for (const TemplateInfo& info : templateCatalog())
        if (info.name == name) return &info;
    return nullptr;
}

std::vector<std::string> requiredTemplateNames() {
    std::vector<std::string> names;
    for (const TemplateInfo& info : templateCatalog()) names.emplace_back(info.name);
    return names;
}

bool isTemplateVariable(std::string_view name, std::string_view variable) {
    const auto matches = [&](const TemplateVariable& v) {
        // A section may open an object ("ticket") or a list ("attachments"): a prefix counts.
        return v.name == variable ||
               (v.name.size() > variable.size() && v.name.starts_with(variable) && v.name[variable.size()] == '.');
    };
    if (std::any_of(kCommon.begin(), kCommon.end(), matches)) return true;
    const TemplateInfo* info = findTemplateInfo(name);
    return info && std::any_of(info->variables.begin(), info->variables.end(), matches);
}

}  // namespace deskgate
