// Three daemons on one PostgreSQL with the same configuration (issue 11): a mailbox with 2,000
// mails and a second one with 200, replies through both onto the same tickets, SLA escalations.
// The daemon watching the big mailbox hangs mid-way (SIGSTOP) and is then killed (SIGKILL) once
// another has taken the mailbox over; that one is stopped with SIGTERM later; the third finishes. Then: every mail taken in once, one
// acknowledgement per ticket, every answer sent (once, but for the one mail a killed daemon
// may have had on the wire), each escalation step fired once, the round robin handing out
// each turn once, and no error in any daemon's log.
//
// HD_CLUSTER_MAILS=N changes the 2,000 (CI keeps the issue's figure; the run takes about a
// minute on the 2-core machine, see the MESSAGE lines).
#include <doctest/doctest.h>

#include <csignal>
#include <cstdlib>
#include <map>
#include <set>
#include <thread>

#include <soci/soci.h>

#include "desk_fixture.hpp"
#include "smtp_sink.hpp"

using namespace deskgate;
using namespace deskgate::test;

namespace {

constexpr const char* kBilling = "supervisor@helpdesk.test";  // the second mailbox's account

std::string mail(int i, const std::string& subject, const std::string& messageId, const std::string& extra = "") {
    return Desk::customerMail("Customer " + std::to_string(i) + " <c" + std::to_string(i) + "@customer.test>", subject,
                              "Text of mail " + std::to_string(i), messageId, extra);
}

std::string msgId(const std::string& kind, int i) { return "<" + kind + "-" + std::to_string(i) + "@customer.test>"; }

long long count(SociStore& store, const std::string& sql) {
    long long n = 0;
    store.session() << sql, soci::into(n);
    return n;
}

// The daemon (by pid) that holds the lease of `mailbox`: holders are "host:pid:random".
int leaseHolderPid(SociStore& store, const std::string& mailbox) {
    auto lease = store.leases.lease("mailbox:" + mailbox);
    if (!lease || lease->expires_at <= store.leases.databaseNow()) return 0;
    auto first = lease->holder.find(':'), second = lease->holder.find(':', first + 1);
    return std::atoi(lease->holder.substr(first + 1, second - first - 1).c_str());
}

}  // namespace

TEST_SUITE("cluster") {

TEST_CASE("three daemons on one PostgreSQL: one killed, one stopped; every mail, answer and escalation once") {
    const auto started = std::chrono::steady_clock::now();
    const int kMails = std::getenv("HD_CLUSTER_MAILS") ? std::atoi(std::getenv("HD_CLUSTER_MAILS")) : 2000;
    const int kBillingMails = kMails / 10, kReplies = kMails / 20;
    clearAllMailboxes();
    SmtpSink sink;
    TempDir rules("cluster-rules");
    rules.write("rules.yaml", R"(
teams:
  first-level: { agents: [agent1, agent2], assign: round_robin }
routing:
  - name: urgent
    when: { subject: '(?i)urgent' }
    set: { team: first-level, sla: instant }
  - name: default
    set: { team: first-level }
calendars:
  always: { timezone: UTC, hours: 24x7 }
sla:
  instant: { calendar: always, first_response: 12s, resolution: 1h }
escalation:
  - name: warn
    when: { before: first_response, by: 6s }
    do: { notify: [assignee] }
  - name: breached
    when: { breached: first_response }
    do: { priority: raise, notify: [boss@helpdesk.test] }
)");
    Desk desk(DeskOptions{
        .db = Db::postgresql,
        .extra_mailbox_yaml = "  - { name: billing, url: " + servers().imapUrl() + ", username: " + kBilling +
                              ", password_file: support.password, address: " + kBilling +
                              ", poll_interval: 1s, batch_size: 50, first_start: { since: 1d } }\n",
        .extra_yaml = "rules: " + rules.path().string() + "\nlease: 4s\n",
        .smtp_url = sink.url(),
    });
    // Every tenth mail is urgent (SLA, escalations); replies come later, once their ticket exists.
    std::vector<std::string> support, billing;
    for (int i = 0; i < kMails; ++i)
        support.push_back(mail(i, (i % 10 == 0 ? "urgent: " : "question ") + std::to_string(i), msgId("s", i)));
    for (int i = 0; i < kBillingMails; ++i)
        billing.push_back(mail(kMails + i, "invoice " + std::to_string(i), msgId("b", i)));
    deliverDirectMany(kSupport, "INBOX", support);
    deliverDirectMany(kBilling, "INBOX", billing);

    std::vector<std::unique_ptr<DeskgateProcess>> daemons;
    for (int i = 0; i < 3; ++i) daemons.push_back(desk.spawn());
    auto& store = desk.store();
    auto byPid = [&](int pid) -> DeskgateProcess* {
        for (auto& d : daemons)
            if (d->pid() == pid) return d.get();
        return nullptr;
    };
    auto logs = [&] {
        std::string all;
        for (auto& d : daemons) all += "---- daemon " + std::to_string(d->pid()) + "\n" + d->output();
        return all;
    };
    auto tickets = [&] { return desk.ticketCount(); };

    // 1. Mid-way, the daemon that watches the big mailbox hangs (SIGSTOP: it neither renews its
    // lease nor ends the transaction it may be in, as when it is cut off from the database).
    // The others wait for its lease to run out (and the server to end its open transaction),
    // take the mailbox over; then it is killed (SIGKILL).
    REQUIRE_MESSAGE(waitFor([&] { return tickets() >= kMails / 5; }, 120s, 50ms), logs());
    DeskgateProcess* killed = byPid(leaseHolderPid(store, "support"));
    REQUIRE_MESSAGE(killed, logs());
    killed->signal(SIGSTOP);
    const auto killedAt = std::chrono::steady_clock::now();
    const auto ticketsAtKill = tickets();

    // Replies: through both mailboxes onto tickets already taken in (by In-Reply-To to the
    // customer's first mail), so that daemons change the same tickets at the same time.
    std::vector<std::string> supportReplies, billingReplies;
    std::vector<int> answered;  // mails of the big mailbox already taken in (Dovecot's UID order is its own)
    {
        soci::rowset<std::string> ids = (store.session().prepare << "SELECT message_id FROM messages WHERE direction = 'in'"
                                                                    " AND message_id LIKE 's-%' ORDER BY id");
        for (const auto& id : ids)
            if (static_cast<int>(answered.size()) < kReplies) answered.push_back(std::atoi(id.c_str() + 2));
    }
    REQUIRE(static_cast<int>(answered.size()) == kReplies);
    for (int i = 0; i < kReplies; ++i) {
        const int to = answered[static_cast<std::size_t>(i)];
        (i % 2 ? billingReplies : supportReplies)
            .push_back(mail(to, "Re: question " + std::to_string(to), msgId("r", i), "In-Reply-To: " + msgId("s", to) + "\r\n"));
    }
    deliverDirectMany(kSupport, "INBOX", supportReplies);
    deliverDirectMany(kBilling, "INBOX", billingReplies);

    // Another daemon takes the mailbox over once the hung one's lease has run out (4 s), or, if
    // it hung inside a batch, once the server has ended that transaction (twice the lease).
    int taker = 0;
    REQUIRE_MESSAGE(waitFor([&] { return (taker = leaseHolderPid(store, "support")) != 0 && taker != killed->pid(); },
                            60s, 50ms),
                    logs());
    const double takeover = std::chrono::duration<double>(std::chrono::steady_clock::now() - killedAt).count();
    MESSAGE("mailbox taken over " << takeover << " s after the holder hung (lease 4 s), tickets then: " << ticketsAtKill);
    CHECK(takeover < 15.0);
    killed->signal(SIGKILL);
    REQUIRE(killed->wait(10s));

    // 2. Later the daemon that took it over is stopped (SIGTERM): it gives the lease up at once.
    REQUIRE_MESSAGE(waitFor([&] { return tickets() >= kMails / 2; }, 120s, 50ms), logs());
    DeskgateProcess* stopped = byPid(taker);
    REQUIRE(stopped);
    stopped->signal(SIGTERM);
    auto st = stopped->wait(30s);
    REQUIRE_MESSAGE(st, logs());
    CHECK(st->exited);
    CHECK(st->code == 0);
    DeskgateProcess* last = nullptr;
    for (auto& d : daemons)
        if (d.get() != killed && d.get() != stopped) last = d.get();
    REQUIRE_MESSAGE(waitFor([&] { return leaseHolderPid(store, "support") == last->pid(); }, 10s, 50ms), logs());

    // 3. The last one finishes everything: intake, answers, escalations (12 s after the last ticket).
    const long long kAll = kMails + kBillingMails + kReplies;
    REQUIRE_MESSAGE(waitFor([&] { return count(store, "SELECT COUNT(*) FROM intake_log") >= kAll; }, 300s, 100ms),
                    logs());
    const long long urgent = count(store, "SELECT COUNT(*) FROM tickets WHERE sla = 'instant'");
    REQUIRE_MESSAGE(waitFor([&] {
                        return count(store, "SELECT COUNT(*) FROM events WHERE type = 'escalation'") >= 2 * urgent &&
                               count(store, "SELECT COUNT(*) FROM outbox WHERE status <> 'sent'") == 0;
                    },
                    120s, 200ms),
                    logs());
    std::this_thread::sleep_for(std::chrono::seconds(2));  // anything late (a second firing) shows up now
    last->signal(SIGTERM);
    REQUIRE(last->wait(30s));
    MESSAGE("three-daemon run: " << kAll << " mails in "
                                 << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()
                                 << " s");

    // Every mail taken in once (the intake log has one row per mailbox and UID), nothing
    // quarantined, nothing seen twice.
    CHECK(count(store, "SELECT COUNT(*) FROM intake_log") == kAll);
    CHECK(count(store, "SELECT COUNT(*) FROM intake_log WHERE outcome NOT IN ('new_ticket', 'reply')") == 0);
    CHECK(store.intake.listQuarantine().empty());
    CHECK(count(store, "SELECT COUNT(*) FROM messages WHERE direction = 'in'") == kAll);
    CHECK(tickets() == kMails + kBillingMails);
    // Each reply is on the ticket of the mail it answers.
    CHECK(count(store, "SELECT COUNT(*) FROM intake_log WHERE outcome = 'reply'") == kReplies);
    // One acknowledgement per ticket; a notification for each new ticket and each reply.
    CHECK(count(store, "SELECT COUNT(*) FROM (SELECT ticket_id FROM outbox WHERE kind = 'acknowledgement'"
                       " GROUP BY ticket_id HAVING COUNT(*) = 1) AS once") == kMails + kBillingMails);
    CHECK(count(store, "SELECT COUNT(*) FROM outbox WHERE kind = 'acknowledgement'") == kMails + kBillingMails);
    CHECK(count(store, "SELECT COUNT(*) FROM outbox WHERE kind = 'agent_notification'") == kAll);
    // Each escalation step fired once per urgent ticket, and mailed once.
    CHECK(count(store, "SELECT COUNT(*) FROM (SELECT ticket_id, detail FROM events WHERE type = 'escalation'"
                       " GROUP BY ticket_id, detail HAVING COUNT(*) > 1) AS twice") == 0);
    CHECK(count(store, "SELECT COUNT(*) FROM events WHERE type = 'escalation'") == 2 * urgent);
    CHECK(count(store, "SELECT COUNT(*) FROM outbox WHERE kind = 'escalation'") == 2 * urgent);
    CHECK(count(store, "SELECT COUNT(*) FROM tickets WHERE sla = 'instant' AND priority <> 'high'") == 0);

    // Every answer arrived; twice only for the mail the killed daemon may have had on the wire.
    auto received = sink.received();
    int missing = 0, twice = 0;
    for (const auto& o : store.outbox.listOutbox("sent")) {
        auto it = received.find(o.message_id);
        if (it == received.end()) ++missing;
        else if (it->second > 1) twice += it->second - 1;
    }
    CHECK(store.outbox.listOutbox("sent").size() == received.size());
    CHECK(missing == 0);
    MESSAGE("answers delivered twice: " << twice);
    CHECK(twice <= 1);

    // The round robin gave each turn once: by ticket number, the agents alternate.
    std::string previous;
    int repeated = 0;
    for (const auto& t : store.tickets.listTickets("", 100000)) {
        if (t.assignee == previous) ++repeated;
        previous = t.assignee;
    }
    CHECK(repeated == 0);

    // No collision made an error: not in the killed daemon's log before it died, nor in the others'.
    // And one daemon at a time watched each mailbox: none fetched mail another had taken in.
    for (auto& d : daemons) {
        const auto out = d->output();
        const auto error = out.find(" error [");
        CHECK_MESSAGE(error == std::string::npos, out.substr(error == std::string::npos || error < 3000 ? 0 : error - 3000, 6000));
        CHECK(out.find("outcome=already_processed") == std::string::npos);
    }
}
}
