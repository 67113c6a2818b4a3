// The escalation sweep with an injected clock: steps due at the same moment all fire, each
// with its own Message-ID, and a ticket that fails is logged and skipped while the others
// still escalate and auto-close.
#include <doctest/doctest.h>

#include <set>

#include <boost/asio/io_context.hpp>
#include <soci/soci.h>

#include "daemon/desk/intake.hpp"
#include "daemon/runtime.hpp"
#include "daemon/schedule/escalation_scheduler.hpp"
#include "tests/support/backends.hpp"

using namespace deskgate;
using test::writeFile;

namespace {

// Two steps on the same deadline for the same agent: the shipped rules do the same for a gold
// ticket (30m first response: "warn before" 15 minutes ahead, "breached" at it).
struct Sweep {
    std::filesystem::path dir = test::freshDirectory("escalation-sweep");
    UnixTime now = 1'795'000'000;
    std::shared_ptr<const Runtime> runtime;
    std::unique_ptr<SociStore> store;

    Sweep() {
        writeFile(dir / "rules/rules.yaml", R"(
teams:
  first: { agents: [anna], assign: round_robin, lead: anna }
routing:
  - name: everything
    set: { team: first, sla: gold }
calendars:
  always: { timezone: UTC, hours: 24x7 }
sla:
  gold: { calendar: always, first_response: 30m, resolution: 8h }
escalation:
  - name: warn before first response
    when: { before: first_response, by: 15m }
    do: { notify: [assignee] }
  - name: first response breached
    when: { breached: first_response }
    do: { priority: raise, notify: [team_lead] }
auto_close: { pending_for: 1d }
)");
        writeFile(dir / "deskgate.yaml",
                  "database: sqlite:desk.db\nidentity: { name: ACME, address: support@acme.test }\n"
                  "smtp: { url: smtp://127.0.0.1:1 }\nrules: rules\n"
                  "agents:\n  - { name: anna, address: anna@acme.test }\n"
                  "templates: " + std::string(DESKGATE_SOURCE_DIR) + "/etc/templates\n");
        auto loaded = loadRuntime(dir / "deskgate.yaml");
        REQUIRE_MESSAGE(loaded, (loaded ? "" : loaded.error().front()));
        runtime = *loaded;
        store = std::make_unique<SociStore>(parseDatabaseUrl(runtime->config.database));
    }

    std::int64_t open(const std::string& from) {
        Intake intake(*runtime, *store, [this] { return now; });
        std::string raw = "From: " + from + "\r\nTo: support@acme.test\r\nSubject: Help\r\nMessage-ID: <" +
                          std::to_string(now) + from + ">\r\n\r\nHello\r\n";
        IntakeResult r;
        store->transaction([&] { r = intake.process(MailOrigin{"pipe", 0, 0}, raw); });
        REQUIRE(r.ticket_number);
        return *r.ticket_number;
    }

    TicketRecord ticket(std::int64_t number) { return *store->tickets.ticketByNumber(number); }

    std::vector<OutboxRecord> escalations(std::int64_t number) {
        std::vector<OutboxRecord> out;
        for (const auto& o : store->outbox.listOutbox("queued"))
            if (o.kind == "escalation" && o.ticket_id == ticket(number).id) out.push_back(o);
        return out;
    }
};

// Counts what the scheduler tells its monitor.
struct CountingMonitor : Monitor {
    int fired = 0, failed = 0;
    void escalationFired(std::string_view) override { ++fired; }
    void escalationFailed() override { ++failed; }
};

}  // namespace

TEST_CASE("two escalation steps due at once both fire, each with its own Message-ID, for the same agent") {
    Sweep s;
    const UnixTime created = s.now;
    const auto number = s.open("alice@customer.test");
    boost::asio::io_context io;
    EscalationScheduler scheduler(io, [&] { return s.runtime; }, *s.store, [&] { return s.now; }, {});
    CountingMonitor monitor;
    scheduler.setMonitor(&monitor);
    // The daemon was down over both times (15 and 30 minutes after the mail): one sweep, both due.
    s.now = created + 45 * 60;
    scheduler.sweep();
    auto t = s.ticket(number);
    CHECK(t.escalations == "warn before first response\nfirst response breached\n");
    CHECK(t.priority == "high");
    auto mails = s.escalations(number);
    REQUIRE(mails.size() == 2);
    CHECK(mails[0].recipients == std::vector<std::string>{"anna@acme.test"});
    CHECK(mails[1].recipients == std::vector<std::string>{"anna@acme.test"});
    CHECK(mails[0].message_id != mails[1].message_id);
    CHECK(monitor.fired == 2);
    CHECK(monitor.failed == 0);
    int events = 0;
    for (const auto& e : s.store->tickets.eventsOf(t.id)) events += e.type == "escalation";
    CHECK(events == 2);
}

TEST_CASE("a ticket whose escalation fails is logged and skipped; the next tickets still escalate and auto-close") {
    Sweep s;
    const UnixTime created = s.now;
    const auto broken = s.open("alice@customer.test");
    const auto fine = s.open("bob@customer.test");
    const auto waiting = s.open("carol@customer.test");
    // carol's ticket waits for her: auto-close is due after a day.
    auto w = s.ticket(waiting);
    s.store->tickets.addEvent({0, w.id, s.now, "agent:anna", "status", "open -> pending (agent)"});
    w.status = "pending";
    s.store->tickets.updateTicket(w);
    // The database refuses every change of the first ticket (a corrupt row, a constraint that
    // fails): the kind of error that used to end the whole sweep at that ticket.
    s.store->session() << "CREATE TRIGGER refuse_first BEFORE UPDATE ON tickets WHEN OLD.number = " +
                              std::to_string(broken) + " BEGIN SELECT RAISE(ABORT, 'ticket row refused'); END";
    boost::asio::io_context io;
    EscalationScheduler scheduler(io, [&] { return s.runtime; }, *s.store, [&] { return s.now; }, {});
    CountingMonitor monitor;
    scheduler.setMonitor(&monitor);
    s.now = created + 86400 + 60;
    auto next = scheduler.sweep();
    CHECK(monitor.failed == 1);
    CHECK(s.ticket(broken).escalations.empty());  // rolled back, nothing half done
    CHECK(s.escalations(broken).empty());
    CHECK(s.ticket(fine).escalations == "warn before first response\nfirst response breached\n");
    CHECK(s.escalations(fine).size() == 2);
    CHECK(s.ticket(waiting).status == "closed");
    // The failed ticket is looked at again later (not at once, not never).
    REQUIRE(next);
    CHECK(*next <= s.now + EscalationScheduler::kRetryFailedTicket);

    // Fixed: the next sweep escalates it, and only it.
    s.store->session() << "DROP TRIGGER refuse_first";
    s.now += EscalationScheduler::kRetryFailedTicket;
    scheduler.sweep();
    CHECK(s.ticket(broken).escalations == "warn before first response\nfirst response breached\n");
    CHECK(s.escalations(broken).size() == 2);
    CHECK(s.escalations(fine).size() == 2);
    CHECK(monitor.failed == 1);
}
