// Exactly-once in effect: the daemon is killed with SIGKILL at random moments while it takes
// in 500 mails, and restarted each time. At the end: 500 tickets, none twice, one
// acknowledgement each, every mail flagged on the server.
#include <doctest/doctest.h>

#include <csignal>
#include <random>
#include <set>
#include <thread>

#include "desk_fixture.hpp"

using namespace deskgate;
using namespace deskgate::test;

namespace {

const char* const kCustomers[] = {"alice@customer.test", "bob@customer.test", "carol@customer.test"};

void killLoop(Db db) {
    constexpr int kMails = 500;
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
    while (desk.ticketCount() < kMails && kills < 40) {
        desk.start();
        // Kill while it works: once it has started taking mail in, at a random moment.
        REQUIRE_MESSAGE(desk.process().waitForOutput("watching mailbox", 30s), desk.process().output());
        std::this_thread::sleep_for(std::chrono::milliseconds(pause(rng)));
        desk.process().signal(SIGKILL);
        REQUIRE(desk.process().wait(10s));
        ++kills;
    }
    // A last, undisturbed run finishes whatever the last kill interrupted (flags, sends).
    desk.start();
    REQUIRE_MESSAGE(waitFor([&] { return searchMailbox("support@helpdesk.test", "INBOX", "UNSEEN").empty(); }, 120s),
                    desk.process().output());
    // Each mail: one acknowledgement to the customer and one notification to each of the two agents.
    REQUIRE(waitFor([&] { return desk.store().outbox.listOutbox("sent").size() == 3 * kMails; }, 120s));
    desk.stop();
    MESSAGE("killed with SIGKILL " << kills << " times");
    CHECK(kills >= 3);

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
TEST_CASE("SIGKILL at random moments during 500 mails: 500 tickets, none twice, all flagged (SQLite)") {
    killLoop(Db::sqlite);
}
TEST_CASE("SIGKILL at random moments during 500 mails: 500 tickets, none twice, all flagged (PostgreSQL)") {
    killLoop(Db::postgresql);
}
}
