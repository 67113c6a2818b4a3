// `deskgate tickets attachment NUMBER [NAME]`: the attachments of a ticket's received mails,
// listed, or one written out with its decoded bytes. The raw mail is what the database keeps
// (messages.raw_b64); it is parsed again here with the configured limits, so names are the
// ones the agent's notification showed (safe to write, unique in their mail).
#include <algorithm>
#include <cstdio>
#include <fstream>
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

struct ReceivedMail {
    std::size_t number = 0;  // 1-based among the ticket's received mails, oldest first
    MessageRecord message;
    ParsedMail parsed;
};

struct Options {
    std::string config = kDefaultConfig;
    std::int64_t ticket = 0;
    std::string name;
    std::size_t mail = 0;  // --message: 0 = the newest mail holding the name
    std::string output;
    bool json = false;
};

[[noreturn]] void fail(int code, const std::string& message) {
    std::cerr << message << "\n";
    throw CLI::RuntimeError(code);
}

// The ticket's received mails with attachments, parsed again.
std::vector<ReceivedMail> receivedMails(SociStore& store, const Config& config, std::int64_t ticketId) {
    ParseOptions options;
    options.limits = config.limits;
    options.token_format = config.identity.token_format;
    std::vector<ReceivedMail> out;
    std::size_t number = 0;
    for (auto& m : store.tickets.messagesOf(ticketId, true)) {
        if (m.direction != "in") continue;
        ++number;
        if (m.raw.empty()) continue;
        auto parsed = parseMail(m.raw, options);
        if (!parsed) {
            std::cerr << "mail " << number << " <" << m.message_id << "> cannot be read with today's limits: "
                      << parsed.error().code << ": " << parsed.error().message << "\n";
            continue;
        }
        out.push_back({number, std::move(m), std::move(*parsed)});
    }
    return out;
}

void list(const TicketRecord& ticket, const std::vector<ReceivedMail>& mails, bool asJson) {
    if (asJson) {
        json out = json::array();
        for (const auto& r : mails) {
            if (r.parsed.attachments.empty()) continue;
            json files = json::array();
            for (const auto& a : r.parsed.attachments)
                files.push_back({{"name", a.filename}, {"name_given", a.name_given}, {"type", a.content_type},
                                 {"size", a.size}, {"sha256", a.sha256}, {"inline", a.is_inline}});
            out.push_back({{"mail", r.number}, {"message_id", r.message.message_id}, {"from", r.message.from_address},
                           {"at", isoTime(r.message.created_at)}, {"attachments", files}});
        }
        std::cout << out.dump(2) << "\n";
        return;
    }
    std::cout << "Ticket " << ticket.number << ": " << ticket.subject << "\n";
    std::size_t files = 0, withFiles = 0;
    for (const auto& r : mails) {
        if (r.parsed.attachments.empty()) continue;
        ++withFiles;
        std::cout << fmt::format("mail {}  {}  {}  <{}>\n", r.number, isoTime(r.message.created_at),
                                 r.message.from_address, r.message.message_id);
        for (const auto& a : r.parsed.attachments) {
            ++files;
            std::cout << fmt::format("  {:<40} {:<28} {:>10}{}\n", a.filename, a.content_type, humanSize(a.size),
                                     a.is_inline ? "  inline" : "");
        }
    }
    std::cout << files << (files == 1 ? " attachment" : " attachments") << " in " << withFiles
              << (withFiles == 1 ? " mail\n" : " mails\n");
}

void write(const Options& o, const TicketRecord& ticket, const std::vector<ReceivedMail>& mails, const Config& config) {
    if (o.mail && std::none_of(mails.begin(), mails.end(), [&](const ReceivedMail& r) { return r.number == o.mail; }))
        fail(1, "ticket " + std::to_string(ticket.number) + " has no readable received mail " + std::to_string(o.mail) +
                    " (deskgate tickets attachment " + std::to_string(ticket.number) + " lists them)");
    // The newest mail holding the name, unless --message names one.
    const ReceivedMail* from = nullptr;
    std::size_t index = 0;
    std::vector<std::size_t> others;
    for (auto it = mails.rbegin(); it != mails.rend(); ++it) {
        if (o.mail && it->number != o.mail) continue;
        if (auto i = findAttachment(it->parsed, o.name)) {
            if (!from) {
                from = &*it;
                index = *i;
            } else {
                others.push_back(it->number);
            }
        }
    }
    if (!from) {
        std::string names;
        for (const auto& r : mails)
            if (!o.mail || r.number == o.mail)
                for (const auto& a : r.parsed.attachments) names += "\n  " + a.filename;
        fail(1, "ticket " + std::to_string(ticket.number) + (o.mail ? " mail " + std::to_string(o.mail) : "") +
                    " has no attachment called '" + o.name + "'" +
                    (names.empty() ? " (it has no attachments)" : "; it has:" + names));
    }
    for (auto n : others)
        std::cerr << "note: mail " << n << " holds an attachment of that name too (--message " << n
                  << " for that one)\n";
    ParseOptions options;
    options.limits = config.limits;
    options.token_format = config.identity.token_format;
    auto contents = attachmentContents(from->message.raw, {index}, options);
    if (!contents || contents->empty())
        fail(1, "cannot read attachment '" + o.name + "' of mail " + std::to_string(from->number) + ": " +
                    (contents ? "not found again" : contents.error().message));
    const std::string& data = contents->front().data;
    if (o.output.empty() || o.output == "-") {
        std::cout.write(data.data(), static_cast<std::streamsize>(data.size()));
        std::cout.flush();
        if (!std::cout) fail(1, "cannot write to standard output");
        return;
    }
    std::ofstream file(o.output, std::ios::binary | std::ios::trunc);
    file.write(data.data(), static_cast<std::streamsize>(data.size()));
    file.close();
    if (!file) fail(1, "cannot write " + o.output);
    std::cerr << "wrote " << o.output << " (" << data.size() << " bytes, " << contents->front().attachment.content_type
              << ", from mail " << from->number << ")\n";
}

}  // namespace

void addTicketsAttachment(CLI::App* tickets) {
    auto o = std::make_shared<Options>();
    auto* cmd = tickets->add_subcommand(
        "attachment",
        "Write an attachment of a ticket's received mail to a file or stdout, or list them (without NAME)");
    cmd->footer(
        "NAME is the attachment's name as the agent's notification and the list show it (decoded, safe to\n"
        "write, unique in its mail; case does not matter). Without --message, the newest received mail\n"
        "holding it. The bytes are decoded from the transfer encoding (base64 exactly).\n"
        "Examples:\n"
        "  deskgate tickets attachment 1042                      # list the attachments, by mail\n"
        "  deskgate tickets attachment 1042 report.pdf > report.pdf\n"
        "  deskgate tickets attachment 1042 'Rechnung März.pdf' --message 2 -o rechnung.pdf\n"
        "Exit status: 0 written or listed; 1 no such ticket or attachment, or the file cannot be written;\n"
        "75 the database cannot be reached.");
    cmd->add_option("number", o->ticket, "Ticket number")->required();
    cmd->add_option("name", o->name, "Attachment name (omit to list them)");
    cmd->add_option("--message", o->mail, "The received mail, by its number in the list (1 = the first)")
        ->check(CLI::PositiveNumber);
    cmd->add_option("-o,--output", o->output, "Write to this file instead of standard output");
    cmd->add_flag("--json", o->json, "List as JSON");
    cmd->add_option("-c,--config", o->config, "Configuration file")->capture_default_str();
    cmd->callback([o] {
        auto config = loadConfig(o->config);
        if (!config) {
            for (const auto& e : config.error()) std::cerr << e.str() << "\n";
            throw CLI::RuntimeError(1);
        }
        std::unique_ptr<SociStore> store;
        try {
            store = std::make_unique<SociStore>(parseDatabaseUrl(config->database));
        } catch (const std::exception& e) {
            fail(75, std::string("cannot open the database: ") + e.what());
        }
        auto ticket = store->tickets.ticketByNumber(o->ticket);
        if (!ticket) fail(1, "no ticket " + std::to_string(o->ticket));
        auto mails = receivedMails(*store, *config, ticket->id);
        if (o->name.empty()) {
            list(*ticket, mails, o->json);
        } else {
            write(*o, *ticket, mails, *config);
        }
        throw CLI::RuntimeError(0);
    });
}

}  // namespace deskgate
