// Mail taken in before a restart but not yet flagged comes again with its UID: the intake log
// says so and nothing is taken in twice, whether the batch's UIDs were looked up at once
// (Intake::expectUids, what the mailbox watcher does) or one by one (ingest, replay).
#include <doctest/doctest.h>

#include "daemon/desk/intake.hpp"
#include "tests/daemon/desk/desk_fixture.hpp"

using namespace deskgate;
using test::Desk;

namespace {

std::string mailFrom(const std::string& from, const std::string& id) {
    return "From: " + from + "\r\nTo: support@acme.test\r\nSubject: VPN down\r\nMessage-ID: <" + id +
           ">\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe VPN drops every hour.\r\n";
}

}  // namespace

TEST_CASE("a UID already in the intake log is not taken in again, looked up for the batch or alone") {
    Desk desk;
    auto now = [&desk] { return desk.now; };
    const MailOrigin first{"support", 7, 41}, second{"support", 7, 42}, third{"support", 7, 43};
    {
        Intake intake(*desk.runtime, *desk.store, now);
        desk.store->transaction([&] {
            intake.expectUids("support", 7, 41, 42);
            CHECK(intake.processIsolated(first, mailFrom("alice@customer.test", "a1@customer.test")).outcome ==
                  "new_ticket");
            CHECK(intake.processIsolated(second, mailFrom("bob@customer.test", "b1@customer.test")).outcome ==
                  "new_ticket");
        });
    }
    CHECK(desk.store->tickets.countTickets() == 2);

    // After a restart the same UIDs come again, with a third one.
    Intake again(*desk.runtime, *desk.store, now);
    desk.store->transaction([&] {
        again.expectUids("support", 7, 41, 43);
        auto r = again.processIsolated(first, mailFrom("alice@customer.test", "a1@customer.test"));
        CHECK(r.outcome == "already_processed");
        CHECK(r.reason == "new_ticket");
        CHECK(again.processIsolated(third, mailFrom("carol@customer.test", "c1@customer.test")).outcome ==
              "new_ticket");
    });
    // Outside the expected range (another UIDVALIDITY's batch, ingest): asked one by one.
    Intake alone(*desk.runtime, *desk.store, now);
    desk.store->transaction([&] {
        alone.expectUids("support", 8, 1, 100);
        CHECK(alone.processIsolated(second, mailFrom("bob@customer.test", "b1@customer.test")).outcome ==
              "already_processed");
    });
    CHECK(desk.store->tickets.countTickets() == 3);
}
