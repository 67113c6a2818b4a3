// Exactly-once in effect (issue 16): the daemon is killed with SIGKILL at random moments while
// it takes in 2,000 mails, and restarted each time; in the middle Dovecot itself is stopped and
// started again under the running daemon. At the end: one ticket per mail, none twice, one
// acknowledgement each, and on the server's side every mail flagged (UID SEARCH UNSEEN empty)
// within seconds of the last start.
//
// HD_CRASH_MAILS and HD_CRASH_KILLS change the size (defaults below; see the README).
#include <doctest/doctest.h>

#include <csignal>
#include <cstdlib>
#include <random>
#include <set>
#include <thread>

#include "desk_fixture.hpp"

using namespace deskgate;
using namespace deskgate::test;

namespace {

const char* const kCustomers[] = {"alice@customer.test", "bob@customer.test", "carol@customer.test"};

// The end of a daemon's log, for failure messages (the whole debug log of 2,000 mails is too long).
std::string tail(const std::string& log, std::size_t n = 6000) { return log.size() > n ? log.substr(log.size() - n) : log; }

int envInt(const char* name, int fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::atoi(v) : fallback;
}

void killLoop(Db db) {
    const int kMails = envInt("HD_CRASH_MAILS", 2000);
    const int kKills = envInt("HD_CRASH_KILLS", 20);
    clearAllMailboxes();
    Desk desk(DeskOptions{.db = db, .batch_size = 20});
    std::vector<std::string> mails;
    for (int i = 0; i < kMails; ++i)
        // Senders rotate over the test server's real customer accounts, so every acknowledgement
        // can really be delivered (unknown users would be refused with 550: a permanent failure).
        mails.push_back(Desk::customerMail("Customer " + std::to_string(i) + " <" + kCustomers[i % 3] + ">",
                                           "crash test mail " + std::to_string(i), "body " + std::to_string(i),
                                           uniqueMessageId()));
    deliverDirectMany("support@helpdesk.test", "INBOX", mails);
    std::mt19937 rng(20261127);
    std::uniform_int_distribution<int> pause(0, 400);
    int kills = 0;
    bool restarted = false;
    while (kills < kKills) {
        desk.start({"--log-level", "debug"});
        // Kill while it works: once it has started taking mail in, at a random moment.
        REQUIRE_MESSAGE(desk.process().waitForOutput("watching mailbox", 60s), tail(desk.process().output()));
        if (!restarted && kills == kKills / 2) {
            // Dovecot goes away under the running daemon (every imap process with it) and comes back.
            std::this_thread::sleep_for(std::chrono::milliseconds(pause(rng)));
            stopImapServer();
            std::this_thread::sleep_for(5s);
            startImapServer();
            restarted = true;
            REQUIRE_MESSAGE(waitFor([&] { return desk.process().output().find("watching mailbox") !=
                                                 desk.process().output().rfind("watching mailbox"); },
                                    60s),
                            tail(desk.process().output()));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(pause(rng)));
        desk.process().signal(SIGKILL);
        REQUIRE(desk.process().wait(10s));
        ++kills;
    }
    // A last, undisturbed run finishes whatever the last kill interrupted (flags, sends). What was
    // taken in before is flagged within seconds of the start, not minutes.
    desk.start({"--log-level", "debug"});
    REQUIRE_MESSAGE(desk.process().waitForOutput("watching mailbox", 60s), tail(desk.process().output()));
    REQUIRE_MESSAGE(waitFor([&] { return desk.ticketCount() == kMails; }, 300s), tail(desk.process().output()));
    REQUIRE_MESSAGE(waitFor([&] { return searchMailbox("support@helpdesk.test", "INBOX", "UNSEEN").empty(); }, 30s),
                    "still unseen: " << searchMailbox("support@helpdesk.test", "INBOX", "UNSEEN").size() << "\n"
                                     << tail(desk.process().output()));
    // Each mail: one acknowledgement to the customer and one notification to each of the two agents.
    REQUIRE(waitFor([&] { return desk.store().outbox.listOutbox("sent").size() == 3 * std::size_t(kMails); }, 300s));
    desk.stop();
    MESSAGE("killed with SIGKILL " << kills << " times");
    CHECK(kills >= kKills);
    CHECK(restarted);

    auto& store = desk.store();
    CHECK(store.tickets.countTickets() == kMails);
    std::set<std::string> subjects;
    std::set<std::int64_t> numbers;
    for (const auto& t : store.tickets.listTickets("", 100000)) {
        subjects.insert(t.subject);
        numbers.insert(t.number);
        auto messages = store.tickets.messagesOf(t.id);
        REQUIRE(messages.size() == 4);  // the customer's mail, one acknowledgement, a notification per agent
        CHECK(messages[1].kind == "acknowledgement");
        CHECK(messages[2].kind == "agent_notification");
        CHECK(messages[3].kind == "agent_notification");
    }
    CHECK(subjects.size() == static_cast<std::size_t>(kMails));
    CHECK(*numbers.begin() == 1001);
    CHECK(*numbers.rbegin() == 1000 + kMails);  // gapless: no number was taken twice or lost
    std::set<std::int64_t> acked;
    for (const auto& o : store.outbox.listOutbox("sent")) acked.insert(o.ticket_id.value_or(0));
    CHECK(acked.size() == static_cast<std::size_t>(kMails));
    CHECK(store.outbox.listOutbox("queued").empty());
    CHECK(store.intake.listQuarantine().empty());
}

}  // namespace

TEST_SUITE("crash") {
TEST_CASE("SIGKILL at random moments and a Dovecot restart: every mail once, all flagged (SQLite)") {
    killLoop(Db::sqlite);
}
TEST_CASE("SIGKILL at random moments and a Dovecot restart: every mail once, all flagged (PostgreSQL)") {
    killLoop(Db::postgresql);
}
}
