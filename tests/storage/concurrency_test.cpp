// Several sessions on one database (several daemons on one PostgreSQL): leases, the ticket
// version that refuses a stale copy, the round-robin position advanced one at a time, outbox
// claims, failures classified by their SQLSTATE / SQLite code, and the SQLite daemon lock.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <soci/postgresql/soci-postgresql.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include "storage/daemon_lock.hpp"
#include "storage/report_queries.hpp"
#include "storage/soci_guard.hpp"
#include "storage/store.hpp"
#include "tests/support/backends.hpp"

using namespace deskgate;
using namespace std::chrono_literals;

namespace {

TicketRecord sample(const std::string& subject) {
    TicketRecord t;
    t.subject = subject;
    t.customer_address = "alice@customer.test";
    t.created_at = t.updated_at = 1'790'000'000;
    return t;
}

// Two sessions on one database, as two daemons have.
void sharedSuite(const std::string& url) {
    SociStore a(parseDatabaseUrl(url));
    SociStore b(parseDatabaseUrl(url));

    SUBCASE("a lease is held by one holder at a time; released or expired, another takes it") {
        CHECK(a.leases.acquire("mailbox:support", "A", 20));
        CHECK(a.leases.acquire("mailbox:support", "A", 20));  // our own: renewed
        CHECK_FALSE(b.leases.acquire("mailbox:support", "B", 20));
        CHECK(a.leases.renew("mailbox:support", "A", 20));
        CHECK_FALSE(b.leases.renew("mailbox:support", "B", 20));
        auto held = b.leases.lease("mailbox:support");
        REQUIRE(held);
        CHECK(held->holder == "A");
        CHECK(held->expires_at >= b.leases.databaseNow() + 19);

        a.leases.release("mailbox:support", "A");
        CHECK(b.leases.acquire("mailbox:support", "B", 20));
        CHECK_FALSE(a.leases.renew("mailbox:support", "A", 20));  // taken over: A must stop

        // B stops renewing (dies): once its expiry has passed, A takes it; B's renewal fails.
        b.session() << "UPDATE leases SET expires_at = expires_at - 21 WHERE name = 'mailbox:support'";
        CHECK(a.leases.acquire("mailbox:support", "A", 20));
        CHECK_FALSE(b.leases.renew("mailbox:support", "B", 20));
        // Taken over from a holder known to be dead: only from that holder.
        CHECK_FALSE(b.leases.takeOver("mailbox:support", "B", "C", 20));  // A holds it, not B
        CHECK(b.leases.takeOver("mailbox:support", "A", "C", 20));
        CHECK(b.leases.lease("mailbox:support")->holder == "C");
        CHECK_FALSE(a.leases.renew("mailbox:support", "A", 20));
        // Other names are independent.
        CHECK(b.leases.acquire("mailbox:billing", "B", 20));
    }

    SUBCASE("a ticket changed by another session since it was read is not overwritten") {
        TicketRecord t;
        a.transaction([&] { t = a.tickets.createTicket(sample("versioned")); });
        auto copyA = a.tickets.ticketById(t.id);
        auto copyB = b.tickets.ticketById(t.id);
        REQUIRE(copyA);
        REQUIRE(copyB);
        copyA->priority = "high";
        a.transaction([&] { a.tickets.updateTicket(*copyA); });
        copyB->queue = "billing";
        CHECK_THROWS_AS(b.transaction([&] { b.tickets.updateTicket(*copyB); }), StorageConflict);
        auto stored = a.tickets.ticketById(t.id);
        CHECK(stored->priority == "high");
        CHECK(stored->queue == "general");
        // Read again (as a retried transaction does), the change goes through on top.
        b.transaction([&] {
            auto fresh = b.tickets.lockTicket(t.id);
            REQUIRE(fresh);
            fresh->queue = "billing";
            b.tickets.updateTicket(*fresh);
        });
        stored = a.tickets.ticketById(t.id);
        CHECK(stored->priority == "high");
        CHECK(stored->queue == "billing");
        CHECK(stored->version == copyA->version + 1);
    }

    SUBCASE("a scheduled report's due time is claimed by one session") {
        bool first = false, second = false;
        a.transaction([&] { CHECK(claimReportRun(a, "weekly", 100, 100)); });  // first sight
        a.transaction([&] { first = claimReportRun(a, "weekly", 200, 200); });
        b.transaction([&] { second = claimReportRun(b, "weekly", 200, 201); });
        CHECK(first);
        CHECK_FALSE(second);  // the same due time again: not claimed twice
        CHECK(lastReportRun(b, "weekly") == 200);
    }

    SUBCASE("outbox claims: the holder's alone; renewed, released, taken by another after the lease") {
        OutboxRecord m;
        m.kind = "acknowledgement";
        m.mail_from = "support@helpdesk.test";
        m.recipients = {"alice@customer.test"};
        m.message_id = "claim@helpdesk.test";
        m.raw = "Subject: x\r\n\r\ny\r\n";
        m.next_attempt_at = 100;
        m.created_at = 100;
        auto id = a.outbox.queueMail(m);
        REQUIRE(a.outbox.claimDueMail(100, 10, 30, "A").size() == 1);
        CHECK(b.outbox.claimDueMail(110, 10, 30, "B").empty());
        CHECK(b.outbox.renewClaims({id}, "B", 200).empty());  // not B's
        CHECK(a.outbox.renewClaims({id}, "A", 200) == std::vector<std::int64_t>{id});
        CHECK(b.outbox.claimDueMail(150, 10, 30, "B").empty());  // renewed to 200
        a.outbox.releaseClaims({id}, "A");
        auto taken = b.outbox.claimDueMail(150, 10, 30, "B");
        REQUIRE(taken.size() == 1);
        CHECK(a.outbox.renewClaims({id}, "A", 300).empty());  // A's claim is gone
        CHECK(b.outbox.claimants(150) == std::vector<std::string>{"B"});
        CHECK(a.outbox.releaseAllClaims("B") == 1);  // B is known to be dead
        CHECK(a.outbox.claimants(150).empty());
        REQUIRE(b.outbox.claimDueMail(150, 10, 30, "B").size() == 1);
        b.outbox.markSent(id, 151);
        CHECK(b.outbox.renewClaims({id}, "B", 300).empty());  // sent: nothing to renew
    }
}

}  // namespace

TEST_CASE("several sessions on SQLite") {
    auto dir = test::freshDirectory("storage-shared");
    sharedSuite("sqlite:" + (dir / "s.db").string());
}

TEST_CASE("several sessions on PostgreSQL") {
    auto url = test::freshPostgresDatabase();
    if (!url) return;
    sharedSuite(*url);
}

TEST_CASE("PostgreSQL: the round-robin position is advanced by one session at a time") {
    auto url = test::freshPostgresDatabase();
    if (!url) return;
    SociStore a(parseDatabaseUrl(*url));
    SociStore b(parseDatabaseUrl(*url));
    std::atomic<bool> bRead{false};
    std::optional<std::string> seenByB;
    std::thread other;
    a.transaction([&] {
        CHECK_FALSE(a.counters.lastAssigned("first-level"));  // nobody yet; now locked by A
        other = std::thread([&] {
            b.transaction([&] {
                seenByB = b.counters.lastAssigned("first-level");  // waits for A's commit
                bRead = true;
                b.counters.saveLastAssigned("first-level", seenByB == "anna" ? "ben" : "anna");
            });
        });
        std::this_thread::sleep_for(300ms);
        CHECK_FALSE(bRead.load());  // still waiting for A's turn to be saved
        a.counters.saveLastAssigned("first-level", "anna");
    });
    other.join();
    CHECK(seenByB == "anna");  // B read A's turn, not the stale one: B hands out the next
    CHECK(a.counters.lastAssigned("first-level") == "ben");
}

TEST_CASE("PostgreSQL: two daemons seeing a scheduled report for the first time at once make one row, no error") {
    auto url = test::freshPostgresDatabase();
    if (!url) return;
    SociStore a(parseDatabaseUrl(*url));
    SociStore b(parseDatabaseUrl(*url));
    bool second = true;
    std::thread other;
    a.transaction([&] {
        CHECK(claimReportRun(a, "weekly", 100, 100));  // inserted, not yet committed
        other = std::thread([&] {
            try {
                b.transaction([&] { second = claimReportRun(b, "weekly", 100, 100); });
            } catch (const std::exception& e) {
                MESSAGE("the second daemon failed: " << e.what());  // second stays true: the CHECK below fails
            }
        });
        std::this_thread::sleep_for(200ms);  // b saw no row and waits on a's insert
    });
    other.join();
    CHECK_FALSE(second);
    CHECK(lastReportRun(a, "weekly") == 100);
}

TEST_CASE("PostgreSQL: a lock timeout and a deadlock are conflicts; retryingTransaction runs the work again") {
    auto url = test::freshPostgresDatabase();
    if (!url) return;
    SociStore a(parseDatabaseUrl(*url));
    SociStore b(parseDatabaseUrl(*url));
    TicketRecord t;
    a.transaction([&] { t = a.tickets.createTicket(sample("locked")); });

    SUBCASE("lock timeout (55P03)") {
        b.session() << "SET lock_timeout = '200ms'";
        a.transaction([&] {
            a.tickets.lockTicket(t.id);
            try {
                b.transaction([&] { b.tickets.lockTicket(t.id); });
                FAIL("the lock was not held");
            } catch (const StorageConflict& e) {
                CHECK(std::string(e.what()).find("lock") != std::string::npos);
            }
        });
    }

    SUBCASE("deadlock (40P01): the loser's work is run again and succeeds") {
        TicketRecord u;
        a.transaction([&] { u = a.tickets.createTicket(sample("second")); });
        std::atomic<int> runs{0};
        std::atomic<bool> bHoldsU{false};
        std::atomic<bool> bLost{false};
        std::thread other([&] {
            try {
                b.transaction([&] {
                    b.tickets.lockTicket(u.id);
                    bHoldsU = true;
                    std::this_thread::sleep_for(300ms);  // A locks t meanwhile
                    b.tickets.lockTicket(t.id);           // waits for A, which waits for B: one of them loses
                });
            } catch (const StorageConflict&) {
                bLost = true;
            }
        });
        a.retryingTransaction([&] {
            ++runs;
            while (!bHoldsU) std::this_thread::sleep_for(5ms);
            auto mine = a.tickets.lockTicket(t.id);
            std::this_thread::sleep_for(100ms);
            auto theirs = a.tickets.lockTicket(u.id);
            REQUIRE(mine);
            REQUIRE(theirs);
            theirs->priority = "urgent";
            a.tickets.updateTicket(*theirs);
        });
        other.join();
        // The first to wait (A) is the first whose deadlock check runs: A loses and runs again.
        CHECK(runs >= 1);
        CHECK((runs >= 2 || bLost));  // one side lost the deadlock and was rolled back
        CHECK(a.tickets.ticketById(u.id)->priority == "urgent");
        MESSAGE("the retrying side ran " << runs.load() << " time(s)");
    }
}

TEST_CASE("failures are classified by their code: conflicts and temporary ones are never a mail's fault") {
    auto kindOf = [](const soci::soci_error& e) -> std::string {
        try {
            throwStorageFailure("doing it", e);
        } catch (const StorageConflict&) {
            return "conflict";
        } catch (const StorageUnavailable&) {
            return "unavailable";
        } catch (const StorageDuplicateKey&) {
            return "duplicate";
        } catch (const StorageError&) {
            return "error";
        }
        return "none";
    };
    using pg = soci::postgresql_soci_error;
    CHECK(kindOf(pg("ERROR: deadlock detected", "40P01")) == "conflict");
    CHECK(kindOf(pg("ERROR: could not serialize access", "40001")) == "conflict");
    CHECK(kindOf(pg("ERROR: canceling statement due to lock timeout", "55P03")) == "conflict");
    CHECK(kindOf(pg("ERROR: duplicate key value violates unique constraint", "23505")) == "duplicate");
    CHECK(kindOf(pg("FATAL: terminating connection due to administrator command", "57P01")) == "unavailable");
    CHECK(kindOf(pg("FATAL: the database system is starting up", "57P03")) == "unavailable");
    CHECK(kindOf(pg("could not send data", "08006")) == "unavailable");
    CHECK(kindOf(pg("server closed the connection unexpectedly", "     ")) == "unavailable");
    CHECK(kindOf(pg("ERROR: could not extend file: No space left on device", "53100")) == "unavailable");
    CHECK(kindOf(pg("ERROR: syntax error at or near", "42601")) == "error");
    CHECK(kindOf(pg("ERROR: null value in column violates not-null constraint", "23502")) == "error");
    using lite = soci::sqlite3_soci_error;
    CHECK(kindOf(lite("database is locked", SQLITE_BUSY)) == "unavailable");
    CHECK(kindOf(lite("database table is locked", SQLITE_LOCKED)) == "unavailable");
    CHECK(kindOf(lite("busy snapshot", SQLITE_BUSY | (2 << 8))) == "unavailable");
    CHECK(kindOf(lite("database or disk is full", SQLITE_FULL)) == "unavailable");
    CHECK(kindOf(lite("UNIQUE constraint failed: messages.message_id", SQLITE_CONSTRAINT)) == "duplicate");
    CHECK(kindOf(lite("NOT NULL constraint failed: messages.kind", SQLITE_CONSTRAINT)) == "error");
}

TEST_CASE("SQLite: one daemon per database file") {
    auto dir = test::freshDirectory("storage-daemon-lock");
    const std::string db = (dir / "desk.db").string();
    {
        SqliteDaemonLock first(db);
        try {
            SqliteDaemonLock second(db);
            FAIL("a second lock on the same database was granted");
        } catch (const DaemonLockHeld& e) {
            const std::string what = e.what();
            CHECK(what.find("another deskgate daemon (pid " + std::to_string(::getpid())) != std::string::npos);
            CHECK(what.find(db) != std::string::npos);
            CHECK(what.find("PostgreSQL") != std::string::npos);
        }
        SqliteDaemonLock other((dir / "other.db").string());  // another database: its own lock
    }
    SqliteDaemonLock again(db);  // the first daemon ended: free again
}
