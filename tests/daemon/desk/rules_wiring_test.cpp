// The rules in the daemon, without servers: intake routes and assigns, stores SLA deadlines;
// the escalation scheduler, driven by an injected clock, fires each step once, at its time.
#include <doctest/doctest.h>

#include <fstream>

#include <boost/asio/io_context.hpp>

#include "daemon/schedule/escalation_scheduler.hpp"
#include "daemon/desk/intake.hpp"
#include "daemon/runtime.hpp"
#include "tests/support/backends.hpp"

using namespace deskgate;
using test::writeFile;

namespace {

struct World {
    std::filesystem::path dir = test::freshDirectory("rules-wiring");
    UnixTime now = 1'795'000'000;  // 2026-11-18T07:33:20Z, a Wednesday
    std::shared_ptr<const Runtime> runtime;
    std::unique_ptr<SociStore> store;

    World() {
        writeFile(dir / "rules/rules.yaml", R"(
teams:
  first:  { agents: [anna, ben], assign: round_robin }
  second: { agents: [carla], assign: least_open }
routing:
  - name: invoices
    when: { subject: '(?i)\binvoice\b' }
    set: { queue: billing, priority: high, team: first, sla: fast }
  - name: everything else
    set: { queue: general, team: first }
calendars:
  always: { timezone: UTC, hours: 24x7 }
sla:
  fast:
    calendar: always
    first_response: 10m
    resolution: 1h
    pause_when: [pending]
    priorities: { urgent: { first_response: 5m } }
escalation:
  - name: warn before first response
    when: { before: first_response, by: 5m }
    do: { notify: [anna] }
  - name: first response breached
    when: { breached: first_response }
    do: { priority: raise, team: second, notify: [supervisor@acme.test] }
auto_close: { pending_for: 2d }
reopen: { within: 1d }
)");
        writeFile(dir / "deskgate.yaml",
                  "database: sqlite:desk.db\nidentity: { name: ACME, address: support@acme.test }\n"
                  "smtp: { url: smtp://127.0.0.1:1 }\nrules: rules\n"
                  "agents:\n  - { name: anna, address: anna@acme.test }\n  - { name: ben, address: ben@acme.test }\n"
                  "  - { name: carla, address: carla@acme.test }\n"
                  "templates: " + std::string(DESKGATE_SOURCE_DIR) + "/etc/templates\n");
        auto loaded = loadRuntime(dir / "deskgate.yaml");
        REQUIRE_MESSAGE(loaded, (loaded ? "" : loaded.error().front()));
        runtime = *loaded;
        store = std::make_unique<SociStore>(parseDatabaseUrl(runtime->config.database));
    }

    IntakeResult take(const std::string& subject, const std::string& from) {
        Intake intake(*runtime, *store, [this] { return now; });
        std::string raw = "From: " + from + "\r\nTo: support@acme.test\r\nSubject: " + subject +
                          "\r\nMessage-ID: <" + std::to_string(now) + subject.substr(0, 3) + "@x>\r\n\r\nHello\r\n";
        IntakeResult r;
        store->transaction([&] { r = intake.process(MailOrigin{"pipe", 0, 0}, raw); });
        return r;
    }
};

std::vector<std::string> eventTypes(SociStore& store, std::int64_t id) {
    std::vector<std::string> out;
    for (const auto& e : store.tickets.eventsOf(id)) out.push_back(e.type + ":" + e.detail);
    return out;
}

std::size_t outboxOfKind(SociStore& store, const std::string& kind) {
    std::size_t n = 0;
    for (const auto& o : store.outbox.listOutbox("queued"))
        if (o.kind == kind) ++n;
    return n;
}

}  // namespace

TEST_CASE("intake routes new tickets, assigns round robin across restarts, stores SLA deadlines") {
    World w;
    auto a = w.take("Invoice 4711 is wrong", "alice@customer.test");
    REQUIRE(a.outcome == "new_ticket");
    auto t = w.store->tickets.ticketByNumber(*a.ticket_number);
    REQUIRE(t);
    CHECK(t->queue == "billing");
    CHECK(t->priority == "high");
    CHECK(t->team == "first");
    CHECK(t->sla == "fast");
    CHECK(t->assignee == "anna");
    CHECK(t->first_response_due == w.now + 600);
    CHECK(t->resolution_due == w.now + 3600);

    // The round-robin position lives in the database: a new process continues with ben.
    w.store = std::make_unique<SociStore>(parseDatabaseUrl(w.runtime->config.database));
    auto b = w.take("Question", "bob@customer.test");
    auto tb = w.store->tickets.ticketByNumber(*b.ticket_number);
    CHECK(tb->queue == "general");
    CHECK(tb->assignee == "ben");
    CHECK_FALSE(tb->first_response_due);
    auto hits = w.store->counters.ruleHits();
    REQUIRE(hits.size() == 2);
    CHECK(hits[0] == std::pair<std::string, std::int64_t>{"everything else", 1});
    CHECK(hits[1] == std::pair<std::string, std::int64_t>{"invoices", 1});
}

TEST_CASE("escalation: each step fires once, in order, at its time, with an injected clock") {
    World w;
    const UnixTime created = w.now;
    auto r = w.take("Invoice missing", "alice@customer.test");
    auto number = *r.ticket_number;
    boost::asio::io_context io;
    int wakeups = 0;
    EscalationScheduler scheduler(io, [&] { return w.runtime; }, *w.store, [&] { return w.now; }, [&] { ++wakeups; });

    auto next = scheduler.sweep();
    REQUIRE(next);
    CHECK(*next == created + 300);  // the warning, 5 minutes before the 10-minute deadline
    CHECK(outboxOfKind(*w.store, "escalation") == 0);

    w.now = created + 299;
    CHECK(scheduler.sweep() == created + 300);
    CHECK(outboxOfKind(*w.store, "escalation") == 0);

    w.now = created + 300;
    scheduler.sweep();
    auto t = w.store->tickets.ticketByNumber(number);
    CHECK(t->escalations == "warn before first response\n");
    CHECK(t->priority == "high");
    CHECK(outboxOfKind(*w.store, "escalation") == 1);
    CHECK(wakeups == 1);

    w.now = created + 400;  // nothing new is due; the warning does not fire again
    next = scheduler.sweep();
    CHECK(next == created + 600);
    CHECK(outboxOfKind(*w.store, "escalation") == 1);

    w.now = created + 600;
    scheduler.sweep();
    t = w.store->tickets.ticketByNumber(number);
    CHECK(t->escalations == "warn before first response\nfirst response breached\n");
    CHECK(t->priority == "urgent");
    CHECK(t->team == "second");
    CHECK(t->first_response_due == created + 300);  // urgent has its own, shorter target: the deadline moved
    CHECK(outboxOfKind(*w.store, "escalation") == 3);
    auto queued = w.store->outbox.listOutbox("queued");
    // Carla, because the ticket moved to her team, in a mail of her own (with her reply key), and
    // the supervisor the step names.
    REQUIRE(queued.size() >= 2);
    CHECK(queued[queued.size() - 2].recipients == std::vector<std::string>{"carla@acme.test"});
    CHECK(carriesReplyKey(queued[queued.size() - 2].message_id,
                          MailComposer(*w.runtime, *w.store, [&] { return w.now; }).replyKeySecret(), number, "carla"));
    CHECK(queued.back().recipients == std::vector<std::string>{"supervisor@acme.test"});

    w.now = created + 5000;
    scheduler.sweep();
    scheduler.sweep();
    CHECK(outboxOfKind(*w.store, "escalation") == 3);
    std::size_t escalationEvents = 0;
    for (const auto& e : eventTypes(*w.store, t->id))
        if (e.starts_with("escalation:")) ++escalationEvents;
    CHECK(escalationEvents == 2);
}

TEST_CASE("pending on the customer stops the SLA clock; the customer's reply starts it again, later") {
    World w;
    const UnixTime created = w.now;
    auto r = w.take("Invoice unclear", "alice@customer.test");
    auto t = w.store->tickets.ticketByNumber(*r.ticket_number);
    REQUIRE(t->resolution_due == created + 3600);
    // An agent sets the ticket pending (what `#pending` will do): status event + status.
    w.now = created + 60;
    w.store->tickets.addEvent({0, t->id, w.now, "agent:anna", "status", "open -> pending (agent)"});
    t->status = "pending";
    t->updated_at = w.now;
    w.store->tickets.updateTicket(*t);
    boost::asio::io_context io;
    EscalationScheduler scheduler(io, [&] { return w.runtime; }, *w.store, [&] { return w.now; }, {});
    w.now = created + 2000;  // past the first-response deadline, but the clock is stopped
    scheduler.sweep();
    CHECK(w.store->tickets.ticketByNumber(t->number)->escalations.empty());
    // The customer answers after 660 s of pause: the deadlines move by exactly that.
    w.now = created + 720;
    Intake intake(*w.runtime, *w.store, [&] { return w.now; });
    std::string reply = "From: alice@customer.test\r\nTo: support@acme.test\r\nSubject: Re: [Ticket#" +
                        std::to_string(t->number) + "] Invoice unclear\r\nMessage-ID: <answer@customer.test>\r\n\r\nHere.\r\n";
    w.store->transaction([&] { intake.process(MailOrigin{"pipe", 0, 0}, reply); });
    t = w.store->tickets.ticketByNumber(t->number);
    CHECK(t->status == "open");
    CHECK(t->resolution_due == created + 3600 + 660);
    CHECK(t->first_response_due == created + 600 + 660);
}

namespace {
void setStatus(World& w, TicketRecord& t, const std::string& status) {
    w.store->tickets.addEvent({0, t.id, w.now, "agent:anna", "status", t.status + " -> " + status + " (agent)"});
    t.status = status;
    t.updated_at = w.now;
    if (status == "resolved") t.resolved_at = w.now;
    w.store->tickets.updateTicket(t);
}
std::string replyTo(const TicketRecord& t, const std::string& id) {
    return "From: alice@customer.test\r\nTo: support@acme.test\r\nSubject: Re: [Ticket#" + std::to_string(t.number) +
           "] again\r\nMessage-ID: <" + id + "@customer.test>\r\n\r\nStill broken.\r\n";
}
}  // namespace

TEST_CASE("auto-close: a ticket pending on the customer for pending_for is closed once, with a notice") {
    World w;
    const UnixTime created = w.now;
    auto t = *w.store->tickets.ticketByNumber(*w.take("Question", "alice@customer.test").ticket_number);
    setStatus(w, t, "pending");
    boost::asio::io_context io;
    EscalationScheduler scheduler(io, [&] { return w.runtime; }, *w.store, [&] { return w.now; }, {});
    CHECK(scheduler.sweep() == created + 2 * 86400);  // sleeps until then
    w.now = created + 2 * 86400 - 1;
    scheduler.sweep();
    CHECK(w.store->tickets.ticketByNumber(t.number)->status == "pending");
    w.now = created + 2 * 86400;
    scheduler.sweep();
    scheduler.sweep();
    auto closed = w.store->tickets.ticketByNumber(t.number);
    CHECK(closed->status == "closed");
    CHECK(closed->closed_at == w.now);
    CHECK(outboxOfKind(*w.store, "auto_closed") == 1);
}

TEST_CASE("reopen window: a reply to a resolved ticket reopens it within `within`, later opens a linked ticket") {
    World w;
    auto t = *w.store->tickets.ticketByNumber(*w.take("Question", "alice@customer.test").ticket_number);
    setStatus(w, t, "resolved");
    w.now += 3600;  // within the day: reopened
    Intake intake(*w.runtime, *w.store, [&] { return w.now; });
    IntakeResult r;
    w.store->transaction([&] { r = intake.process(MailOrigin{"pipe", 0, 0}, replyTo(t, "r1")); });
    CHECK(r.outcome == "reply");
    t = *w.store->tickets.ticketByNumber(t.number);
    CHECK(t.status == "open");
    setStatus(w, t, "resolved");
    w.now += 86400 + 1;  // after the window: a new ticket that names the old one
    w.store->transaction([&] { r = intake.process(MailOrigin{"pipe", 0, 0}, replyTo(t, "r2")); });
    CHECK(r.outcome == "new_ticket");
    CHECK(*r.ticket_number == t.number + 1);
    CHECK(w.store->tickets.ticketByNumber(t.number)->status == "resolved");
    bool linked = false;
    for (const auto& e : w.store->tickets.eventsOf(w.store->tickets.ticketByNumber(*r.ticket_number)->id))
        linked = linked || (e.type == "linked" && e.detail.find(std::to_string(t.number)) != std::string::npos);
    CHECK(linked);
}

TEST_CASE("an agent's mail on the ticket is the first response: no breach afterwards") {
    World w;
    auto r = w.take("Invoice twice", "alice@customer.test");
    auto t = w.store->tickets.ticketByNumber(*r.ticket_number);
    w.now += 120;
    Intake intake(*w.runtime, *w.store, [&] { return w.now; });
    // Anna answers the notification she got (its Message-ID carries her reply key).
    std::string notification;
    for (const auto& o : w.store->outbox.listOutbox("queued"))
        if (o.kind == "agent_notification" && o.recipients == std::vector<std::string>{"anna@acme.test"})
            notification = o.message_id;
    REQUIRE_FALSE(notification.empty());
    std::string reply = "From: anna@acme.test\r\nTo: support@acme.test\r\nSubject: Re: [Ticket#" +
                        std::to_string(t->number) + "] Invoice twice\r\nMessage-ID: <reply1@acme.test>\r\n"
                        "In-Reply-To: <" + notification + ">\r\n\r\nOn it.\r\n";
    w.store->transaction([&] { intake.process(MailOrigin{"pipe", 0, 0}, reply); });
    t = w.store->tickets.ticketByNumber(t->number);
    CHECK(t->first_response_at == w.now);
    CHECK_FALSE(t->first_response_due);
    boost::asio::io_context io;
    EscalationScheduler scheduler(io, [&] { return w.runtime; }, *w.store, [&] { return w.now; }, {});
    w.now += 3000;
    scheduler.sweep();
    CHECK(w.store->tickets.ticketByNumber(t->number)->escalations.find("first response") == std::string::npos);
}

TEST_CASE("quarantine replay: a held mail comes back once the limit is raised, and leaves the quarantine") {
    World w;
    // A mail over a tiny header limit is quarantined; replayed with the limit raised it becomes a ticket.
    Config tight = w.runtime->config;
    tight.limits.max_headers = 2;
    Runtime strict{tight, w.runtime->templates, w.runtime->rules};
    std::string raw = "From: alice@customer.test\r\nTo: support@acme.test\r\nSubject: many headers\r\n"
                      "Message-ID: <held@customer.test>\r\n\r\nBody\r\n";
    {
        Intake intake(strict, *w.store, [&] { return w.now; });
        IntakeResult r;
        w.store->transaction([&] { r = intake.process(MailOrigin{"support", 7, 1}, raw); });
        REQUIRE(r.outcome == "quarantined");
    }
    auto held = w.store->intake.listQuarantine();
    REQUIRE(held.size() == 1);
    auto record = w.store->intake.quarantined(held[0].id);
    REQUIRE(record);
    CHECK(record->raw == raw);
    Intake intake(*w.runtime, *w.store, [&] { return w.now; });
    IntakeResult r;
    w.store->transaction([&] { r = intake.replay(*record); });
    CHECK(r.outcome == "new_ticket");
    CHECK(w.store->intake.listQuarantine().empty());
    CHECK(w.store->tickets.countTickets() == 1);
}
