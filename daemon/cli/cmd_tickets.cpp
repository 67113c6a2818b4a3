// `deskgate tickets list|show` and `deskgate quarantine list`: read-only views of the store
// (`tickets attachment` is in cmd_tickets_attachment.cpp).
#include <cstdio>
#include <ctime>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "daemon/cli/commands.hpp"
#include "daemon/config.hpp"
#include "daemon/text_format.hpp"
#include "storage/store.hpp"

namespace deskgate {

namespace {

using json = nlohmann::ordered_json;

json optTime(const std::optional<UnixTime>& t) { return t ? json(isoTime(*t)) : json(nullptr); }

json ticketJson(const TicketRecord& t) {
    return {{"number", t.number},         {"subject", t.subject},
            {"status", t.status},         {"priority", t.priority},
            {"queue", t.queue},           {"team", t.team},
            {"category", t.category},     {"tags", t.tags},
            {"sla", t.sla},               {"customer", {{"address", t.customer_address}, {"name", t.customer_name}}},
            {"assignee", t.assignee},     {"language", t.language},
            {"mailbox", t.mailbox},       {"created_at", isoTime(t.created_at)},
            {"updated_at", isoTime(t.updated_at)}, {"first_response_at", optTime(t.first_response_at)},
            {"resolved_at", optTime(t.resolved_at)}, {"closed_at", optTime(t.closed_at)},
            {"rating", t.rating ? json(*t.rating) : json(nullptr)}, {"rating_comment", t.rating_comment},
            {"reopened", t.reopened_count},
            {"follows", t.follows_number ? json(*t.follows_number) : json(nullptr)}};
}

std::string clip(const std::string& s, std::size_t width) {
    // Cut at a UTF-8 character boundary.
    if (s.size() <= width) return s;
    std::size_t cut = width - 1;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    return s.substr(0, cut) + "…";
}

}  // namespace

std::unique_ptr<SociStore> openStore(const std::string& configPath) {
    auto config = loadConfig(configPath);
    if (!config) {
        for (const auto& e : config.error()) std::cerr << e.str() << "\n";
        throw CLI::RuntimeError(1);
    }
    try {
        return std::make_unique<SociStore>(parseDatabaseUrl(config->database));
    } catch (const std::exception& e) {
        std::cerr << "cannot open the database: " << e.what() << "\n";
        throw CLI::RuntimeError(75);
    }
}

void addTicketsAttachment(CLI::App* tickets);

void addTicketsCommand(CLI::App& app) {
    auto* tickets = app.add_subcommand("tickets", "List and show tickets, save their attachments");
    tickets->require_subcommand(1);
    auto config = std::make_shared<std::string>(kDefaultConfig);
    auto asJson = std::make_shared<bool>(false);
    auto status = std::make_shared<std::string>();
    auto* list = tickets->add_subcommand("list", "List tickets");
    list->add_option("-c,--config", *config, "Configuration file")->capture_default_str();
    list->add_flag("--json", *asJson, "Print JSON");
    list->add_option("--status", *status, "Only tickets with this status (open, pending, resolved, closed)");
    list->callback([config, asJson, status] {
        auto store = openStore(*config);
        auto all = store->tickets.listTickets(*status, 1000000);
        if (*asJson) {
            json out = json::array();
            for (const auto& t : all) out.push_back(ticketJson(t));
            std::cout << out.dump(2) << "\n";
        } else {
            std::cout << fmt::format("{:>7}  {:<8} {:<7} {:<12} {:<28} {}\n", "NUMBER", "STATUS", "PRIO", "QUEUE",
                                     "CUSTOMER", "SUBJECT");
            for (const auto& t : all)
                std::cout << fmt::format("{:>7}  {:<8} {:<7} {:<12} {:<28} {}\n", t.number, t.status, t.priority,
                                         clip(t.queue, 12), clip(t.customer_address, 28), clip(t.subject, 60));
            std::cout << all.size() << (all.size() == 1 ? " ticket\n" : " tickets\n");
        }
        throw CLI::RuntimeError(0);
    });

    auto number = std::make_shared<std::int64_t>(0);
    auto* show = tickets->add_subcommand("show", "Show one ticket with its messages and events");
    show->add_option("number", *number, "Ticket number")->required();
    show->add_option("-c,--config", *config, "Configuration file")->capture_default_str();
    show->add_flag("--json", *asJson, "Print JSON");
    show->callback([config, asJson, number] {
        auto store = openStore(*config);
        auto t = store->tickets.ticketByNumber(*number);
        if (!t) {
            std::cerr << "no ticket " << *number << "\n";
            throw CLI::RuntimeError(1);
        }
        auto messages = store->tickets.messagesOf(t->id);
        auto events = store->tickets.eventsOf(t->id);
        if (*asJson) {
            json out = ticketJson(*t);
            out["messages"] = json::array();
            for (const auto& m : messages)
                out["messages"].push_back({{"direction", m.direction}, {"author", m.author},
                                           {"message_id", m.message_id}, {"in_reply_to", m.in_reply_to},
                                           {"from", m.from_address}, {"to", m.to}, {"cc", m.cc},
                                           {"subject", m.subject}, {"kind", m.kind}, {"text", m.text},
                                           {"created_at", isoTime(m.created_at)}});
            out["events"] = json::array();
            for (const auto& e : events)
                out["events"].push_back(
                    {{"at", isoTime(e.at)}, {"actor", e.actor}, {"type", e.type}, {"detail", e.detail}});
            std::cout << out.dump(2) << "\n";
        } else {
            std::cout << "Ticket " << t->number << ": " << t->subject << "\n"
                      << "  status " << t->status << ", priority " << t->priority << ", queue " << t->queue
                      << (t->assignee.empty() ? "" : ", assigned to " + t->assignee) << "\n"
                      << "  customer " << t->customer_name << " <" << t->customer_address << ">, created "
                      << isoTime(t->created_at) << "\n";
            if (t->follows_number) std::cout << "  follows ticket " << *t->follows_number << "\n";
            if (t->rating)
                std::cout << "  rated " << *t->rating << "/5"
                          << (t->rating_comment.empty() ? "" : ": " + t->rating_comment) << "\n";
            std::cout << "\nMessages:\n";
            for (const auto& m : messages)
                std::cout << "  " << isoTime(m.created_at) << "  "
                          << (m.direction == "in" ? "<- " + m.from_address : "-> " + m.to) << " (" << m.kind
                          << (m.author.rfind("agent:", 0) == 0 ? ", " + m.author : "") << "): " << clip(m.subject, 70)
                          << "\n";
            std::cout << "\nEvents:\n";
            for (const auto& e : events)
                std::cout << "  " << isoTime(e.at) << "  " << e.type << " by " << e.actor
                          << (e.detail.empty() ? "" : ": " + e.detail) << "\n";
        }
        throw CLI::RuntimeError(0);
    });
    addTicketsAttachment(tickets);
}

void addQuarantineReplay(CLI::App* q);

void addQuarantineCommand(CLI::App& app) {
    auto* q = app.add_subcommand("quarantine", "Mail that could not be taken in, with the reason");
    q->require_subcommand(1);
    auto config = std::make_shared<std::string>(kDefaultConfig);
    auto asJson = std::make_shared<bool>(false);
    auto* list = q->add_subcommand("list", "List quarantined mail");
    list->add_option("-c,--config", *config, "Configuration file")->capture_default_str();
    list->add_flag("--json", *asJson, "Print JSON");
    list->callback([config, asJson] {
        auto store = openStore(*config);
        auto all = store->intake.listQuarantine();
        if (*asJson) {
            json out = json::array();
            for (const auto& r : all)
                out.push_back({{"id", r.id}, {"mailbox", r.mailbox}, {"uidvalidity", r.uidvalidity}, {"uid", r.uid},
                               {"message_id", r.message_id}, {"reason", r.reason},
                               {"created_at", isoTime(r.created_at)}});
            std::cout << out.dump(2) << "\n";
        } else {
            for (const auto& r : all)
                std::cout << fmt::format("{:>5}  {}  {}:{}  {}\n", r.id, isoTime(r.created_at), r.mailbox, r.uid,
                                         r.reason);
            std::cout << all.size() << " quarantined\n";
        }
        throw CLI::RuntimeError(0);
    });
    addQuarantineReplay(q);
}

}  // namespace deskgate
