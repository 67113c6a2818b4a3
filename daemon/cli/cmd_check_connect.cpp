// `deskgate check --connect` (issue 15): logs in to every mailbox and to SMTP, as the daemon
// would, and prints what the admin needs before the first start: greetings, the capabilities
// deskgate uses, the folder names resolved against the server's namespace, whether move_to
// exists or can be made, message counts, and every problem with what to change.
#include <iostream>
#include <sstream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "daemon/cli/check_connect.hpp"
#include "daemon/imap/curl_imap_client.hpp"
#include "daemon/imap/folder_names.hpp"
#include "daemon/imap/mailbox_watcher.hpp"
#include "daemon/smtp/curl_smtp_sender.hpp"

namespace deskgate {

namespace asio = boost::asio;

// A named namespace, not an anonymous one, on purpose: with internal linkage g++ 12 inlines the
// coroutine frames' allocation and warns (-Wmismatched-new-delete) about Asio's recycling allocator.
namespace check_connect {

struct Report {
    std::vector<std::string> problems;
    void problem(const std::string& where, const std::string& what) { problems.push_back(where + ": " + what); }
};

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

std::string yesNo(const CurlImapClient& c, const char* cap) {
    return std::string(cap) + (c.hasCapability(cap) ? " yes" : " no");
}


void checkSmtp(const SmtpConfig& smtp, std::ostream& out, Report& report) {
    out << "\nsmtp: " << smtp.url << (smtp.username.empty() ? std::string() : " as " + smtp.username) << "\n";
    CurlSmtpSender sender(smtp);
    const SmtpProbe p = sender.probe();
    if (!p.greeting.empty()) out << "  greeting: " << p.greeting << "\n";
    std::string ext;
    for (const auto& e : p.extensions) ext += (ext.empty() ? "" : ", ") + e;
    if (!ext.empty()) out << "  extensions: " << ext << "\n";
    if (!p.ok) {
        out << "  cannot connect or log in: " << p.error << "\n";
        report.problem("smtp", p.error + " - check smtp.url, username, password (or password_file), ca_file and "
                                         "starttls");
        return;
    }
    out << "  " << (smtp.username.empty() ? "connected (no login configured)" : "logged in") << "\n";
    for (const auto& e : p.extensions) {
        // RFC 1870: "SIZE n", the largest message the server takes (0: no limit).
        if (!e.starts_with("SIZE ")) continue;
        const auto limit = std::strtoull(e.c_str() + 5, nullptr, 10);
        if (limit > 0 && limit < smtp.max_message_size)
            report.problem("smtp", "the server takes mail up to " + std::to_string(limit) +
                                       " bytes, smtp.max_message_size is " + std::to_string(smtp.max_message_size) +
                                       ": set smtp.max_message_size to " + std::to_string(limit) + " or less");
    }
}

// The folders the server has, for "did you mean" in a problem (first 20).
asio::awaitable<std::string> folderList(CurlImapClient& client) {
    std::string out;
    try {
        const auto entries = co_await client.list("", "*");
        std::size_t n = 0;
        for (const auto& e : entries) {
            if (e.hasAttribute("\\Noselect")) continue;
            if (n++ == 20) {
                out += ", ...";
                break;
            }
            out += (out.empty() ? "" : ", ") + folderNameForDisplay(e.name);
        }
    } catch (const ImapRefused&) {
    }
    co_return out.empty() ? std::string("(LIST gave none)") : out;
}

asio::awaitable<void> checkMailbox(asio::io_context& io, const MailboxConfig& mb, std::size_t max_size, std::ostream& out,
                                   Report& report) {
    const std::string where = "mailbox " + mb.name;
    out << "\n" << where << ": " << mb.url << " as " << mb.username << "\n";
    // On the heap, not in the coroutine frame: g++ 12 warns (-Wmismatched-new-delete) about Asio's
    // frame allocator for a frame that holds the client.
    const auto owned = std::make_unique<CurlImapClient>(io, imapSettingsFor(mb, max_size));
    CurlImapClient& client = *owned;
    std::optional<std::string> loginFailed;
    try {
        co_await client.connect();
    } catch (const ImapFailure& e) {
        loginFailed = e.what();
    }
    if (loginFailed) {
        out << "  cannot log in: " << *loginFailed << "\n";
        report.problem(where, *loginFailed + " - check url, username, password (or password_file), ca_file and "
                                             "starttls");
        co_return;
    }
    try {
        out << "  greeting: " << client.greeting() << "\n";
        const auto ns = co_await discoverNamespace(client);
        out << "  capabilities: " << yesNo(client, "IDLE") << ", " << yesNo(client, "MOVE") << ", "
            << yesNo(client, "UIDPLUS") << ", " << yesNo(client, "NAMESPACE") << ", " << yesNo(client, "CONDSTORE")
            << "\n";
        out << "  namespace: personal prefix " << quoted(ns.personal.prefix) << ", separator "
            << (ns.personal.separator.empty() ? std::string("none") : quoted(ns.personal.separator)) << " (from "
            << ns.source << ")\n";
        if (mb.idle && !client.hasCapability("IDLE"))
            out << "  note: no IDLE: the folder is polled every poll_interval (" << mb.poll_interval.count() << "s)\n";
        // Courier with Debian's defaults tells new mail in IDLE only when the client ends it
        // (issue 15): mail then waits up to poll_interval.
        if (mb.idle && client.hasCapability("IDLE") && client.greeting().find("Courier-IMAP") != std::string::npos)
            out << "  note: Courier-IMAP: unless its enhanced IDLE is on (IMAP_ENHANCEDIDLE=1 with FAM), IDLE tells new "
                   "mail only when deskgate ends it, so mail may wait up to poll_interval ("
                << mb.poll_interval.count() << "s): use a short poll_interval (e.g. 10s)\n";

        const std::string folder = serverFolderName(mb.folder, ns.personal);
        bool folderOk = false;
        try {
            const FolderStatus st = co_await client.status(folder);
            out << "  folder: " << mb.folder << " is " << quoted(folder) << " on the server: " << st.messages
                << " messages, " << st.unseen << " unseen\n";
            folderOk = true;
        } catch (const ImapRefused& e) {
            out << "  folder: " << mb.folder << " is " << quoted(folder) << " on the server: " << e.server_text << "\n";
        }
        if (!folderOk) {
            const std::string have = co_await folderList(client);
            report.problem(where, "folder " + quoted(folder) + " cannot be opened; set folder to one the server has: " +
                                      have);
        }

        if (mb.after_ingest == MailboxConfig::After::move) {
            const std::string target = serverFolderName(mb.move_to, ns.personal);
            out << "  move_to: " << mb.move_to << " is " << quoted(target) << " on the server: ";
            std::optional<std::string> refused;
            try {
                const bool existed = co_await folderExists(client, target, ns.personal.separator);
                if (!existed) {
                    const FolderMade made = co_await ensureFolder(client, target, ns.personal.separator);
                    if (made == FolderMade::created) out << "missing; created it now (the daemon makes it at its start too), ";
                }
                const FolderStatus st = co_await client.status(target);
                out << (existed ? "exists, " : "") << st.messages << " messages\n";
            } catch (const ImapRefused& e) {
                refused = e.server_text;
            }
            if (refused) {
                out << "missing and cannot be made: " << *refused << "\n";
                const std::string have = co_await folderList(client);
                report.problem(where, "move_to folder " + quoted(target) + " cannot be made (" + *refused +
                                          "); mail would be flagged \\Seen instead of moved. Create it on the "
                                          "server, or set move_to to one of: " + have);
            }
            if (client.hasCapability("MOVE"))
                out << "  moving: UID MOVE (RFC 6851)\n";
            else if (client.hasCapability("UIDPLUS"))
                out << "  moving: no MOVE: UID COPY, STORE \\Deleted and UID EXPUNGE of just those (UIDPLUS)\n";
            else
                out << "  note: neither MOVE nor UIDPLUS: moved mail is copied and flagged \\Deleted, and stays in "
                    << folder << " until a client or the server expunges it (or use after_ingest: flag)\n";
        }
    } catch (const ImapFailure& e) {
        out << "  connection failed: " << e.what() << "\n";
        report.problem(where, e.what());
    }
    client.disconnect();
}

}  // namespace check_connect

int checkConnections(const Config& config, std::ostream& out) {
    using namespace check_connect;
    Report report;
    asio::io_context io;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            for (const auto& mb : config.mailboxes) co_await check_connect::checkMailbox(io, mb, config.limits.max_size, out, report);
        },
        asio::detached);
    io.run();
    checkSmtp(config.smtp, out, report);
    out << "\n";
    if (report.problems.empty()) {
        out << "connections: OK (" << config.mailboxes.size() << " mailboxes, SMTP)\n";
        return 0;
    }
    out << report.problems.size() << (report.problems.size() == 1 ? " problem:\n" : " problems:\n");
    for (const auto& p : report.problems) out << "  " << p << "\n";
    return 1;
}

}  // namespace deskgate
