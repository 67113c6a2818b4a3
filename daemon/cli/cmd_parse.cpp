// `deskgate parse FILE… [--json]`: shows what parseMail makes of a mail, so admins can see
// why a mail was handled as it was (and tests can check it end to end).
#include "daemon/cli/commands.hpp"

#include "parsers/parsed_mail.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace deskgate {
namespace {

nlohmann::ordered_json addressesJson(const std::vector<Address>& list) {
    auto out = nlohmann::ordered_json::array();
    for (const auto& a : list) out.push_back({{"name", a.name}, {"address", a.address}});
    return out;
}

// Field names are exactly ParsedMail's member names.
nlohmann::ordered_json toJson(const ParsedMail& m) {
    nlohmann::ordered_json j;
    j["message_id"] = m.message_id;
    j["date"] = m.date;
    j["from"] = addressesJson(m.from);
    j["reply_to"] = addressesJson(m.reply_to);
    j["to"] = addressesJson(m.to);
    j["cc"] = addressesJson(m.cc);
    j["subject"] = m.subject;
    j["in_reply_to"] = m.in_reply_to;
    j["references"] = m.references;
    j["text"] = m.text;
    j["reply_text"] = m.reply_text;
    j["quoted"] = m.quoted;
    auto atts = nlohmann::ordered_json::array();
    for (const auto& a : m.attachments)
        atts.push_back({{"filename", a.filename}, {"name_given", a.name_given}, {"content_type", a.content_type}, {"size", a.size},
                        {"sha256", a.sha256}, {"is_inline", a.is_inline}, {"content_id", a.content_id}});
    j["attachments"] = atts;
    j["kind"] = std::string(toString(m.kind));
    if (m.bounce)
        j["bounce"] = {{"failed_recipient", m.bounce->failed_recipient}, {"status", m.bounce->status},
                       {"permanent", m.bounce->permanent}, {"original_message_id", m.bounce->original_message_id}};
    else
        j["bounce"] = nullptr;
    j["auto_reply_reason"] = m.auto_reply_reason;
    j["token"] = m.token ? nlohmann::ordered_json(*m.token) : nlohmann::ordered_json(nullptr);
    j["defects"] = m.defects;
    auto headers = nlohmann::ordered_json::array();
    for (const auto& [name, value] : m.headers) headers.push_back({{"name", name}, {"value", value}});
    j["headers"] = headers;
    return j;
}

std::string addressesText(const std::vector<Address>& list) {
    std::string out;
    for (const auto& a : list) {
        if (!out.empty()) out += ", ";
        out += a.name.empty() ? a.address : a.name + " <" + a.address + ">";
    }
    return out;
}

void printText(const std::string& file, const ParsedMail& m) {
    std::cout << "== " << file << "\n"
              << "kind:        " << toString(m.kind) << "\n";
    if (m.bounce)
        std::cout << "bounce:      status " << m.bounce->status << (m.bounce->permanent ? " (permanent)" : " (temporary)")
                  << ", recipient " << m.bounce->failed_recipient << ", original " << m.bounce->original_message_id << "\n";
    if (!m.auto_reply_reason.empty()) std::cout << "auto-reply:  " << m.auto_reply_reason << "\n";
    std::cout << "message-id:  " << m.message_id << "\n"
              << "date:        " << m.date << "\n"
              << "from:        " << addressesText(m.from) << "\n"
              << "to:          " << addressesText(m.to) << "\n";
    if (!m.cc.empty()) std::cout << "cc:          " << addressesText(m.cc) << "\n";
    if (!m.reply_to.empty()) std::cout << "reply-to:    " << addressesText(m.reply_to) << "\n";
    std::cout << "subject:     " << m.subject << "\n";
    if (m.token) std::cout << "token:       " << *m.token << "\n";
    if (!m.in_reply_to.empty()) std::cout << "in-reply-to: " << m.in_reply_to << "\n";
    for (const auto& a : m.attachments)
        std::cout << "attachment:  " << a.filename << " (" << a.content_type << ", " << a.size << " bytes"
                  << (a.is_inline ? ", inline" : "") << ") sha256 " << a.sha256 << "\n";
    for (const auto& d : m.defects) std::cout << "defect:      " << d << "\n";
    std::cout << "--- reply_text\n" << m.reply_text << "\n";
    if (!m.quoted.empty()) std::cout << "--- quoted\n" << m.quoted << "\n";
}

}  // namespace

void addParseCommand(CLI::App& app) {
    auto* cmd = app.add_subcommand("parse", "Parse mail files and print what deskgate sees in them");
    struct Options {
        std::vector<std::string> files;
        bool json = false;
        std::string token_format = "[Ticket#{number}]";
    };
    auto opts = std::make_shared<Options>();
    cmd->add_option("files", opts->files, "raw mail files (RFC 5322), '-' for stdin")->required();
    cmd->add_flag("--json", opts->json, "one JSON object per file (ParsedMail's field names)");
    cmd->add_option("--token-format", opts->token_format, "ticket token format in the subject")
        ->capture_default_str();
    cmd->callback([opts] {
        // Exit status: 0 all parsed, 1 some file was rejected by the parser, 2 some file unreadable.
        int status = 0;
        ParseOptions options;
        options.token_format = opts->token_format;
        for (const auto& file : opts->files) {
            std::string raw;
            if (file == "-") {
                raw.assign(std::istreambuf_iterator<char>(std::cin), {});
            } else {
                std::ifstream in(file, std::ios::binary);
                if (!in) {
                    std::cerr << file << ": cannot read\n";
                    status = 2;
                    continue;
                }
                std::ostringstream buf;
                buf << in.rdbuf();
                raw = std::move(buf).str();
            }
            auto parsed = parseMail(raw, options);
            if (!parsed) {
                std::cerr << file << ": " << parsed.error().code << ": " << parsed.error().message << "\n";
                if (opts->json)
                    std::cout << nlohmann::ordered_json{{"error", {{"code", parsed.error().code},
                                                                   {"message", parsed.error().message}}}}
                                     .dump()
                              << "\n";
                status = std::max(status, 1);
                continue;
            }
            if (opts->json)
                std::cout << toJson(*parsed).dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
            else
                printText(file, *parsed);
        }
        if (status != 0) throw CLI::RuntimeError(status);
    });
}

}  // namespace deskgate
