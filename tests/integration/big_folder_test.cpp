// A large folder (issue 12): written straight into the Maildir (not over SMTP), then taken in
// from the first start with first_start: new_only (nothing of it imported, intake starts at
// UIDNEXT) and with first_start: all (every message a ticket, nothing sent). The UID windows keep
// every answer small whatever the folder holds.
//
// HD_BIG_FOLDER sets the size: 200,000 is the case (see the README for how long it
// takes); CI uses 20,000.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>

#include "desk_fixture.hpp"

using namespace deskgate;
using namespace deskgate::test;

namespace {

int bigFolderSize() {
    const char* v = std::getenv("HD_BIG_FOLDER");
    return v && *v ? std::atoi(v) : 20000;
}

// Messages of the support account's `folder` matching a doveadm search query (e.g. "UNSEEN"):
// doveadm, because curl 7.88 fails on a SEARCH answer longer than 64 KB.
std::size_t countMatching(const std::string& folder, const std::string& query) {
    auto r = doveadm({"search", "-u", kSupport, "mailbox", folder, query});
    return static_cast<std::size_t>(std::count(r.out.begin(), r.out.end(), '\n'));
}

// Empties the folder; doveadm's expunge of 200,000 messages takes longer than doveadm()'s 60 s.
void emptyFolder(const std::string& folder) {
    auto argv = servers().doveadm;
    argv.insert(argv.end(), {"expunge", "-u", kSupport, "mailbox", folder, "all"});
    auto r = runCommand(argv, std::nullopt, {}, 900s);
    REQUIRE_MESSAGE((r.status.exited && r.status.code == 0), (r.out + r.err));
}

double secondsSince(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

TEST_SUITE("big-folder") {

TEST_CASE("a folder with many messages: new_only leaves them and starts at UIDNEXT; all imports them quietly") {
    const int n = bigFolderSize();
    const std::string folder = "Big";
    createFolder(kSupport, folder);
    emptyFolder(folder);
    auto t0 = std::chrono::steady_clock::now();
    {
        std::vector<std::string> mails;
        mails.reserve(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i)
            mails.push_back(Desk::customerMail("Old Customer <alice@customer.test>", "old mail " + std::to_string(i),
                                               "from the years before deskgate", uniqueMessageId()));
        deliverDirectMany(kSupport, folder, mails);
    }
    MESSAGE(n << " messages written into the Maildir in " << secondsSince(t0) << " s");

    {
        Desk desk(DeskOptions{.folder = folder, .first_start = "new_only"});
        auto t1 = std::chrono::steady_clock::now();
        desk.start();
        REQUIRE_MESSAGE(desk.process().waitForOutput("watching mailbox=support", 300s), desk.process().output());
        MESSAGE("new_only: watching " << secondsSince(t1) << " s after the start (Dovecot indexes the new files)");
        CHECK(desk.process().output().find("first_start=new_only existing=" + std::to_string(n)) != std::string::npos);
        deliverDirect(kSupport, folder, Desk::customerMail("New <bob@customer.test>", "the first new mail", "new",
                                                          uniqueMessageId()));
        REQUIRE_MESSAGE(waitFor([&] { return desk.ticketCount() == 1; }, 60s), desk.process().output());
        CHECK(desk.store().tickets.listTickets("", 10)[0].subject == "the first new mail");
        // Left alone means left alone: the old mail is not flagged either, only the new one.
        REQUIRE(waitFor([&] { return countMatching(folder, "UNSEEN") == std::size_t(n); }, 20s));
        desk.stop();
        CHECK(desk.ticketCount() == 1);
    }
    {
        Desk desk(DeskOptions{.folder = folder, .first_start = "all"});
        auto t2 = std::chrono::steady_clock::now();
        desk.start();
        REQUIRE_MESSAGE(waitFor([&] { return desk.ticketCount() == n + 1; }, 1800s, 500ms),
                        desk.process().output().substr(0, 4000));
        MESSAGE("all: " << n + 1 << " tickets imported in " << secondsSince(t2) << " s");
        REQUIRE(waitFor([&] { return countMatching(folder, "UNSEEN") == 0; }, 60s));
        CHECK(desk.process().output().find("first_start=all existing=" + std::to_string(n + 1)) != std::string::npos);
        // Imported as they are: no acknowledgement, no notification for the old mail.
        CHECK(desk.store().outbox.listOutbox("queued").empty());
        CHECK(desk.store().outbox.listOutbox("sent").empty());
        CHECK(desk.process().output().find("mailbox session failed") == std::string::npos);
        desk.stop();
    }
    emptyFolder(folder);
}

}  // TEST_SUITE
