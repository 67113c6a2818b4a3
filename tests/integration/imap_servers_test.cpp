// IMAP servers beyond Dovecot (issue 15): Courier-IMAP 5.0.13 and Cyrus IMAP 3.6.1 as the issue
// found them, imitated by the scripted server (Debian's IMAP servers conflict with Dovecot, so
// CI cannot run them): folders under "INBOX." with separator ".", NAMESPACE, Courier's CREATE
// wording, no MOVE, no UIDPLUS, IDLE that tells new mail only at its end. Each: move mode takes
// mail in and moves it exactly once across two restarts. And `deskgate check --connect`
// against the real Dovecot and the scripted Courier.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "desk_fixture.hpp"
#include "scripted_imap.hpp"

using namespace deskgate;
using namespace deskgate::test;

namespace {

std::string mail(int i) {
    return Desk::customerMail("Alice <alice@customer.test>", "server case " + std::to_string(i),
                              "body " + std::to_string(i), uniqueMessageId());
}

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
    return n;
}

std::vector<std::uint64_t> upTo(std::uint64_t n) {
    std::vector<std::uint64_t> out;
    for (std::uint64_t u = 1; u <= n; ++u) out.push_back(u);
    return out;
}

struct MoveCase {
    std::vector<std::string> server;  // scripted_imap.py options
    std::string move_to;              // as configured
    std::string folder_on_server;     // where the mail must end up
    bool expunged;                    // INBOX keeps nothing (MOVE, or UID EXPUNGE) vs \Deleted copies
    std::string idle = "false";
};

// Three runs of the daemon on one server and database: 3 mails before the first start, 2 more
// while it is stopped, then 1; and in each run one more once it watches (found by IDLE or the
// next poll). After each run every mail so far is a ticket and in the move folder once; INBOX
// has nothing undeleted.
struct Runs {
    std::string logs;      // the daemon's, of all runs
    std::string commands;  // what the server received
};
Runs movesExactlyOnce(const MoveCase& c) {
    ScriptedImap server(c.server);
    Desk desk(DeskOptions{.imap_url = server.url(), .after_ingest = "move", .move_to = c.move_to,
                          .extra_mailbox_yaml = "    idle: " + c.idle + "\n"});
    std::string logs;
    int added = 0;
    int run = 0;
    auto addOne = [&] {
        ++added;
        server.add(static_cast<std::uint64_t>(added), mail(added));
    };
    auto allMoved = [&] {
        return desk.ticketCount() == added &&
               server.state().folders[c.folder_on_server].size() >= static_cast<std::size_t>(added);
    };
    for (int before : {3, 2, 1}) {
        ++run;
        for (int i = 0; i < before; ++i) addOne();
        desk.start();
        REQUIRE_MESSAGE(waitFor(allMoved, 30s), "run " << run << "\n" << desk.process().output() << server.commands());
        REQUIRE(desk.process().waitForOutput("watching mailbox=support", 10s));
        addOne();  // while the daemon idles or sleeps until its next poll
        REQUIRE_MESSAGE(waitFor(allMoved, 30s), "run " << run << "\n" << desk.process().output() << server.commands());
        desk.stop();
        logs += desk.process().output();
        const auto total = static_cast<std::uint64_t>(added);
        auto st = server.state();
        std::vector<std::uint64_t> got = st.folders[c.folder_on_server];
        std::sort(got.begin(), got.end());
        CHECK_MESSAGE(got == upTo(total), "run " << run << "\n" << server.commands());
        CHECK(st.undeleted(total).empty());
        if (c.expunged) CHECK(st.gone.size() == total);
        CHECK(st.folders.size() == 1);  // no folder under another name
    }
    CHECK(desk.ticketCount() == 9);
    CHECK(logs.find("mailbox session failed") == std::string::npos);
    CHECK(logs.find("cannot make the move_to folder") == std::string::npos);
    return {logs, server.commands()};
}

}  // namespace

TEST_SUITE("imap-servers") {

TEST_CASE("Courier-like: move_to Handled becomes INBOX.Handled from NAMESPACE; no MOVE: COPY and UID EXPUNGE; "
          "moved once across two restarts") {
    const auto [logs, commands] = movesExactlyOnce({.server = {"--courier"}, .move_to = "Handled",
                                                    .folder_on_server = "INBOX.Handled", .expunged = true});
    CHECK(count(commands, "CREATE \"INBOX.Handled\"") == 1);
    CHECK(commands.find("CREATE \"Handled\"") == std::string::npos);
    CHECK(commands.find("UID COPY") != std::string::npos);
    CHECK(commands.find("UID EXPUNGE") != std::string::npos);
    CHECK(logs.find("folder names mailbox=support folder=INBOX move_to=INBOX.Handled configured_folder=INBOX "
                    "configured_move_to=Handled prefix=\"INBOX.\" separator=\".\" from=NAMESPACE") != std::string::npos);
    CHECK(count(logs, "created folder mailbox=support folder=INBOX.Handled") == 1);  // LIST shows it later
    CHECK(logs.find("neither MOVE nor UIDPLUS") == std::string::npos);
}

TEST_CASE("Cyrus-like: INBOX.Handled configured with its prefix stays as it is; UID MOVE; moved once across two "
          "restarts") {
    const auto [logs, commands] = movesExactlyOnce({.server = {"--cyrus"}, .move_to = "INBOX.Handled",
                                                    .folder_on_server = "INBOX.Handled", .expunged = true});
    CHECK(commands.find("UID MOVE") != std::string::npos);
    CHECK(commands.find("UID COPY") == std::string::npos);
    CHECK(logs.find("move_to=INBOX.Handled configured_folder=INBOX configured_move_to=INBOX.Handled") !=
          std::string::npos);
}

TEST_CASE("neither MOVE nor UIDPLUS: copied once, \\Deleted mail stays and is never copied again across two "
          "restarts; the log says so") {
    const auto [logs, commands] = movesExactlyOnce({.server = {"--no-move", "--no-uidplus"}, .move_to = "Handled",
                                                    .folder_on_server = "Handled", .expunged = false});
    CHECK(commands.find("EXPUNGE") == std::string::npos);  // never a plain EXPUNGE of others' \Deleted mail
    CHECK(count(logs, "server has neither MOVE nor UIDPLUS") == 3);  // once per run
    // No NAMESPACE: the separator comes from LIST "" "".
    CHECK(logs.find("prefix=\"\" separator=\"/\" from=LIST") != std::string::npos);
    CHECK(logs.find("server has neither MOVE nor UIDPLUS mailbox=support folder=INBOX: mail is copied to Handled "
                    "and flagged \\Deleted; it stays in INBOX until a client or the server expunges it") !=
          std::string::npos);
}

TEST_CASE("Courier-like IDLE that tells new mail only when deskgate ends it: mail comes in within poll_interval, "
          "moved once across two restarts") {
    const auto [logs, commands] = movesExactlyOnce({.server = {"--courier"}, .move_to = "Handled",
                                                    .folder_on_server = "INBOX.Handled", .expunged = true,
                                                    .idle = "true"});
    CHECK(logs.find("idle=true") != std::string::npos);
    CHECK(commands.find(" IDLE\n") != std::string::npos);
}

TEST_CASE("a NO to CREATE (Courier's 'Cannot create this folder.') followed by a LIST that shows the folder is "
          "success") {
    ScriptedImap server({"--courier", "--create-race"});
    server.add(1, mail(1));
    Desk desk(DeskOptions{.imap_url = server.url(), .after_ingest = "move",
                          .extra_mailbox_yaml = "    idle: false\n"});
    desk.start();
    REQUIRE_MESSAGE(waitFor([&] { return server.state().folders["INBOX.Handled"].size() == 1; }, 30s),
                    desk.process().output() << server.commands());
    desk.stop();
    const auto cmds = server.commands();
    CHECK(count(cmds, "CREATE \"INBOX.Handled\"") == 1);
    CHECK(count(cmds, "LIST \"\" \"INBOX.Handled\"") >= 2);  // before CREATE, and after its NO
    const auto out = desk.process().output();
    CHECK(out.find("cannot make the move_to folder") == std::string::npos);
    CHECK(out.find("mailbox session failed") == std::string::npos);
}

TEST_CASE("a move_to folder the server will not make: flagged instead, one clear error, intake goes on") {
    // The prefix without NAMESPACE: deskgate cannot know it, and the server refuses "Handled".
    ScriptedImap server({"--prefix", "INBOX.", "--separator", "."});
    server.add(1, mail(1));
    Desk desk(DeskOptions{.imap_url = server.url(), .after_ingest = "move",
                          .extra_mailbox_yaml = "    idle: false\n"});
    desk.start();
    REQUIRE_MESSAGE(waitFor([&] { return desk.ticketCount() == 1; }, 30s), desk.process().output());
    server.add(2, mail(2));  // the next poll finds it
    REQUIRE_MESSAGE(waitFor([&] { return desk.ticketCount() == 2; }, 30s), desk.process().output());
    REQUIRE(waitFor([&] { return server.state().seen.size() == 2; }, 10s));
    desk.stop();
    const auto out = desk.process().output();
    CHECK(count(out, "cannot make the move_to folder mailbox=support folder=Handled answer=NO Invalid mailbox name.") ==
          1);
    CHECK(out.find("mailbox session failed") == std::string::npos);
    CHECK(server.commands().find("UID MOVE") == std::string::npos);
    CHECK(server.state().folders.empty());

    auto check = desk.cli({"check", "--connect"});
    CHECK(check.status.code == 1);
    CHECK_MESSAGE(check.out.find("move_to: Handled is \"Handled\" on the server: missing and cannot be made: NO Invalid "
                                 "mailbox name.") != std::string::npos,
                  check.out);
    CHECK(check.out.find("1 problem:") != std::string::npos);
    CHECK(check.out.find("Create it on the server, or set move_to to one of: INBOX") != std::string::npos);
}

TEST_CASE("real Dovecot with Courier's folder layout (prefixed@: INBOX. and \".\"): move_to Handled is INBOX.Handled, "
          "moved once across two restarts; check --connect shows it") {
    const std::string kPrefixed = "prefixed@helpdesk.test";
    {
        auto argv = servers().doveadm;  // a fresh start: no INBOX.Handled yet (may not exist: not checked)
        argv.insert(argv.end(), {"mailbox", "delete", "-u", kPrefixed, "-s", "INBOX.Handled"});
        runCommand(argv);
    }
    clearMailbox(kPrefixed, "INBOX");
    clearAllMailboxes();  // the desk's support mailbox too: it must bring no tickets of its own
    Desk desk(DeskOptions{.extra_mailbox_yaml = "  - { name: prefixed, url: " + servers().imapUrl() + ", username: " +
                                                kPrefixed + ", password_file: support.password, address: " +
                                                kPrefixed + ", after_ingest: move, move_to: Handled, poll_interval: 1s, "
                                                "first_start: { since: 1d } }\n"});
    std::string logs;
    std::set<std::string> ids;
    for (int run = 1; run <= 3; ++run) {
        for (int i = 0; i < 2; ++i) {
            const std::string raw = mail(100 + run * 10 + i);
            ids.insert(*headerValue(raw, "Message-ID"));
            deliverDirect(kPrefixed, "INBOX", raw);
        }
        desk.start();
        auto handled = [&]() -> std::size_t {
            try {
                return listMailbox(kPrefixed, "INBOX.Handled").size();
            } catch (const std::exception&) {
                return 0;  // not made yet
            }
        };
        REQUIRE_MESSAGE(waitFor([&] { return handled() >= ids.size(); }, 30s),
                        desk.process().output());
        REQUIRE(waitFor([&] { return listMailbox(kPrefixed, "INBOX").empty(); }, 10s));
        desk.stop();
        logs += desk.process().output();
        std::multiset<std::string> moved;
        for (const auto& m : fetchAll(kPrefixed, "INBOX.Handled")) moved.insert(*headerValue(m.raw, "Message-ID"));
        CHECK(moved == std::multiset<std::string>(ids.begin(), ids.end()));  // each once
    }
    CHECK(desk.ticketCount() == 6);
    CHECK(logs.find("folder names mailbox=prefixed folder=INBOX move_to=INBOX.Handled configured_folder=INBOX "
                    "configured_move_to=Handled prefix=\"INBOX.\" separator=\".\" from=NAMESPACE") != std::string::npos);
    CHECK(count(logs, "created folder mailbox=prefixed folder=INBOX.Handled") == 1);
    CHECK(logs.find("mailbox session failed") == std::string::npos);

    auto check = desk.cli({"check", "--connect"});
    INFO(check.out);
    CHECK(check.status.code == 0);
    CHECK(check.out.find("namespace: personal prefix \"INBOX.\", separator \".\" (from NAMESPACE)") != std::string::npos);
    CHECK(check.out.find("move_to: Handled is \"INBOX.Handled\" on the server: exists, 6 messages") != std::string::npos);
}

TEST_CASE("deskgate check --connect against Dovecot: greeting, capabilities, names, counts; exit 0, and 1 with a "
          "wrong password") {
    clearAllMailboxes();
    deliverDirect(kSupport, "INBOX", mail(1));
    Desk desk(DeskOptions{.after_ingest = "move"});
    auto check = desk.cli({"check", "--connect"});
    INFO(check.out << check.err);
    CHECK(check.status.code == 0);
    CHECK(check.out.find("mailbox support: imap://127.0.0.1:") != std::string::npos);
    CHECK(check.out.find("  greeting: * OK [CAPABILITY IMAP4rev1") != std::string::npos);
    CHECK(check.out.find("Dovecot") != std::string::npos);
    CHECK(check.out.find("capabilities: IDLE yes, MOVE yes, UIDPLUS yes, NAMESPACE yes") != std::string::npos);
    CHECK(check.out.find("namespace: personal prefix \"\", separator \"/\" (from NAMESPACE)") != std::string::npos);
    CHECK(check.out.find("folder: INBOX is \"INBOX\" on the server: 1 messages, ") != std::string::npos);
    CHECK(check.out.find("move_to: Handled is \"Handled\" on the server: ") != std::string::npos);
    CHECK(check.out.find("moving: UID MOVE") != std::string::npos);
    CHECK(check.out.find("smtp: smtp://") != std::string::npos);
    CHECK(check.out.find("  greeting: 220 ") != std::string::npos);
    CHECK(check.out.find("SIZE ") != std::string::npos);
    CHECK(check.out.find("connections: OK (1 mailboxes, SMTP)") != std::string::npos);
    // Without --connect, check stays offline and says so.
    auto offline = desk.cli({"check"});
    CHECK(offline.status.code == 0);
    CHECK(offline.out.find("connections not tried: deskgate check --connect") != std::string::npos);
    CHECK(offline.out.find("greeting:") == std::string::npos);

    Desk wrong;
    std::ofstream(std::filesystem::path(wrong.configPath()).parent_path() / "support.password") << "not-it\n";
    auto bad = wrong.cli({"check", "--connect"});
    CHECK(bad.status.code == 1);
    CHECK_MESSAGE(bad.out.find("cannot log in: cannot connect to imap://") != std::string::npos, bad.out);
    CHECK(bad.out.find("check url, username, password (or password_file), ca_file and starttls") != std::string::npos);
}

TEST_CASE("deskgate check --connect against the Courier-like server: no MOVE, INBOX. prefix, move_to made") {
    ScriptedImap server({"--courier"});
    server.add(1, mail(1));
    server.add(2, mail(2));
    Desk desk(DeskOptions{.imap_url = server.url(), .after_ingest = "move"});
    auto check = desk.cli({"check", "--connect"});
    INFO(check.out << check.err);
    CHECK(check.status.code == 0);
    CHECK(check.out.find("greeting: * OK [CAPABILITY IMAP4rev1 UIDPLUS CHILDREN NAMESPACE") != std::string::npos);
    CHECK(check.out.find("capabilities: IDLE yes, MOVE no, UIDPLUS yes, NAMESPACE yes, CONDSTORE no") !=
          std::string::npos);
    CHECK(check.out.find("namespace: personal prefix \"INBOX.\", separator \".\" (from NAMESPACE)") != std::string::npos);
    CHECK(check.out.find("folder: INBOX is \"INBOX\" on the server: 2 messages, 2 unseen") != std::string::npos);
    CHECK(check.out.find("move_to: Handled is \"INBOX.Handled\" on the server: missing; created it now") !=
          std::string::npos);
    CHECK(check.out.find("moving: no MOVE: UID COPY, STORE \\Deleted and UID EXPUNGE") != std::string::npos);
    CHECK(check.out.find("note: Courier-IMAP: unless its enhanced IDLE is on") != std::string::npos);
    // A second run finds it.
    auto again = desk.cli({"check", "--connect"});
    CHECK(again.status.code == 0);
    CHECK(again.out.find("move_to: Handled is \"INBOX.Handled\" on the server: exists, 0 messages") != std::string::npos);
    CHECK(server.commands().find("CREATE \"Handled\"") == std::string::npos);
}

}  // TEST_SUITE
