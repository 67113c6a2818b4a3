// Several daemons on one database (issue 11). On PostgreSQL: a deadlock and a lock timeout in the
// intake transaction are retried, never quarantined. On SQLite: a second daemon is refused.
// The three-daemon run (one daemon killed, one stopped) is in cluster_run_test.cpp.
#include <doctest/doctest.h>

#include <csignal>
#include <thread>

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>

#include "desk_fixture.hpp"

using namespace deskgate;
using namespace deskgate::test;

namespace {

// A session of the test's own on the desk's database: the "other daemon" that gets in the way.
std::unique_ptr<soci::session> otherSession(const Desk& desk) {
    return std::make_unique<soci::session>(*soci::factory_postgresql(), parseDatabaseUrl(desk.dbUrl()).connect);
}

// The daemon's backend is waiting for a lock (pg_stat_activity; read outside the watcher's own
// transaction, whose view of it would be one snapshot).
bool daemonWaitsForLock(soci::session& s) {
    int n = 0;
    s << "SELECT pg_stat_clear_snapshot()";
    s << "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
         " AND wait_event_type = 'Lock'",
        soci::into(n);
    return n > 0;
}

void checkTakenIn(Desk& desk) {
    REQUIRE_MESSAGE(waitFor([&] { return desk.ticketCount() == 1; }, 30s), desk.process().output());
    CHECK(desk.store().intake.listQuarantine().empty());
    REQUIRE(waitFor([&] { return searchMailbox(kSupport, "INBOX", "UNSEEN").empty(); }, 20s));
    CHECK(desk.process().output().find("batch rolled back by a database conflict, running it again") !=
          std::string::npos);
    CHECK(desk.process().output().find(" error [") == std::string::npos);
}

}  // namespace

TEST_SUITE("cluster") {

TEST_CASE("PostgreSQL: a real deadlock in the intake transaction is retried and the mail taken in, not quarantined") {
    clearAllMailboxes();
    Desk desk(DeskOptions{.db = Db::postgresql});
    desk.store();  // migrated: the counter row exists
    auto other = otherSession(desk);
    // The other session holds the ticket counter, so the daemon's batch waits for it while it
    // holds its mailbox lease row (the batch's first lock); then the other session wants that
    // row: a cycle. The daemon waited first, so its deadlock check runs first: it is the victim.
    other->begin();
    *other << "SELECT value FROM counters WHERE name = 'ticket_number' FOR UPDATE";
    deliverDirect(kSupport, "INBOX", Desk::customerMail(kAlice, "Deadlock", "Bitte.", uniqueMessageId()));
    desk.start();
    REQUIRE_MESSAGE(waitFor([&] { return daemonWaitsForLock(*other); }, 30s), desk.process().output());
    *other << "UPDATE leases SET expires_at = expires_at WHERE name = 'mailbox:support'";  // deadlock: one loses
    other->commit();
    REQUIRE_MESSAGE(desk.process().waitForOutput("deadlock detected", 20s), desk.process().output());
    checkTakenIn(desk);
    desk.stop();
}

TEST_CASE("PostgreSQL: a lock timeout in the intake transaction is retried until the lock is free") {
    clearAllMailboxes();
    Desk desk(DeskOptions{.db = Db::postgresql});
    desk.store();
    auto other = otherSession(desk);
    std::string name;
    *other << "SELECT current_database()", soci::into(name);
    *other << "ALTER DATABASE \"" + name + "\" SET lock_timeout = '300ms'";  // for the daemon's sessions, opened later
    other->begin();
    *other << "SELECT value FROM counters WHERE name = 'ticket_number' FOR UPDATE";
    deliverDirect(kSupport, "INBOX", Desk::customerMail(kAlice, "Lock timeout", "Bitte.", uniqueMessageId()));
    desk.start();
    REQUIRE_MESSAGE(desk.process().waitForOutput("lock timeout", 30s), desk.process().output());
    other->commit();  // the next run of the batch gets the lock
    checkTakenIn(desk);
    desk.stop();
}

TEST_CASE("PostgreSQL: a batch that waits long for another session's lock is said in the log, and taken in") {
    clearAllMailboxes();
    Desk desk(DeskOptions{.db = Db::postgresql});
    desk.store();
    auto other = otherSession(desk);
    // As a daemon that hangs inside its batch: the counter stays locked (no lock_timeout here).
    other->begin();
    *other << "SELECT value FROM counters WHERE name = 'ticket_number' FOR UPDATE";
    deliverDirect(kSupport, "INBOX", Desk::customerMail(kAlice, "Slow lock", "Bitte.", uniqueMessageId()));
    desk.start();
    REQUIRE_MESSAGE(waitFor([&] { return daemonWaitsForLock(*other); }, 30s), desk.process().output());
    std::this_thread::sleep_for(6s);
    CHECK(desk.ticketCount() == 0);
    other->commit();
    REQUIRE_MESSAGE(desk.process().waitForOutput("the database held the batch for", 20s), desk.process().output());
    REQUIRE_MESSAGE(waitFor([&] { return desk.ticketCount() == 1; }, 30s), desk.process().output());
    CHECK(desk.store().intake.listQuarantine().empty());
    CHECK(desk.process().output().find(" error [") == std::string::npos);
    desk.stop();
}

TEST_CASE("PostgreSQL: the daemon's connections terminated (57P01): it reconnects, and the next mails are taken in") {
    clearAllMailboxes();
    Desk desk(DeskOptions{.db = Db::postgresql});
    desk.start();
    sendMail(kAlice, {kSupport}, Desk::customerMail(kAlice, "Before", "Eins.", uniqueMessageId()));
    REQUIRE_MESSAGE(waitFor([&] { return desk.ticketCount() == 1; }, 20s), desk.process().output());
    REQUIRE(waitFor([&] { return desk.store().outbox.listOutbox("queued").empty(); }, 20s));
    auto other = otherSession(desk);
    // As an administrator would (or a failover): every session of the daemon ends.
    int terminated = 0;
    *other << "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database()"
              " AND pid <> pg_backend_pid()",
        soci::into(terminated);
    CHECK(terminated >= 2);  // the loop's session and the outbox worker's (and this test's store)
    // The test's own store was ended too: its next statement finds out, the one after reconnects,
    // as the daemon's sessions do.
    CHECK_THROWS_AS(desk.store().intake.checkpoint("support"), StorageUnavailable);
    CHECK(desk.ticketCount() == 1);
    sendMail(kBob, {kSupport}, Desk::customerMail(kBob, "After", "Zwei.", uniqueMessageId()));
    sendMail(kCarol, {kSupport}, Desk::customerMail(kCarol, "After, too", "Drei.", uniqueMessageId()));
    REQUIRE_MESSAGE(waitFor([&] { return desk.ticketCount() == 3; }, 60s), desk.process().output());
    CHECK(desk.store().intake.listQuarantine().empty());
    // The answers go out through the outbox worker's new session.
    REQUIRE_MESSAGE(waitFor([&] { return mailsFromSupport(kCarol).size() == 1; }, 60s), desk.process().output());
    REQUIRE(waitFor([&] { return searchMailbox(kSupport, "INBOX", "UNSEEN").empty(); }, 20s));
    desk.stop();
}

TEST_CASE("SQLite: a second daemon on the same database is refused with a clear message") {
    clearAllMailboxes();
    Desk desk;
    desk.start();
    REQUIRE_MESSAGE(desk.process().waitForOutput("watching mailbox", 20s), desk.process().output());
    auto second = desk.spawn();
    auto st = second->wait(20s);
    REQUIRE_MESSAGE(st, second->output());
    CHECK(st->exited);
    CHECK(st->code == 1);
    const auto out = second->output();
    CHECK_MESSAGE(out.find("refusing to start: another deskgate daemon (pid " + std::to_string(desk.process().pid())) !=
                      std::string::npos,
                  out);
    CHECK(out.find("already runs on the SQLite database") != std::string::npos);
    CHECK(out.find("use PostgreSQL") != std::string::npos);
    // The first one is untouched and still works.
    CHECK(desk.process().running());
    sendMail(kAlice, {kSupport}, Desk::customerMail(kAlice, "Still there?", "Ja.", uniqueMessageId()));
    REQUIRE_MESSAGE(waitFor([&] { return desk.ticketCount() == 1; }, 20s), desk.process().output());
    // The CLI shares the file with the daemon as before (SQLite's own locking).
    auto list = desk.cli({"tickets", "list"});
    CHECK(list.status.code == 0);
    desk.stop();
    // Once it has stopped, a daemon may start again.
    desk.start();
    REQUIRE_MESSAGE(desk.process().waitForOutput("watching mailbox", 20s), desk.process().output());
    desk.stop();
}
}
