#include "daemon/service/desk_monitor.hpp"

#include "daemon/logging.hpp"

#include <unistd.h>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "storage/report_queries.hpp"

namespace deskgate {

namespace {

std::shared_ptr<spdlog::logger> log() { return componentLog("deskgate"); }

std::string hostAndPid() {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
    return std::string(host) + ":" + std::to_string(::getpid());
}

// Latency buckets in seconds: a mail is parsed and stored in milliseconds, a batch or an SMTP
// transaction may take seconds over a slow link.
const std::vector<double> kMailBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
const std::vector<double> kSlowBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

constexpr UnixTime kContactWriteEvery = 30;  // seconds between rows that only move last contact

}  // namespace

void describeDaemonMetrics(MetricsRegistry& m, SociStore& store, std::function<UnixTime()> now) {
    using T = MetricType;
    m.describe("deskgate_build_info", T::gauge, "deskgate's version (the value is always 1)");
    m.set("deskgate_build_info", {{"version", DESKGATE_VERSION}}, 1);
    m.describe("deskgate_mails_taken_in_total", T::counter, "Mails taken in from IMAP, by mailbox and outcome");
    m.describe("deskgate_mails_quarantined_total", T::counter, "Mails quarantined at intake, by mailbox and reason kind");
    m.describe("deskgate_intake_mail_seconds", T::histogram, "Time to take one mail in (parse, route, store)", kMailBuckets);
    m.describe("deskgate_intake_batch_seconds", T::histogram, "Time to take one batch in, from FETCH to COMMIT", kSlowBuckets);
    m.describe("deskgate_sends_total", T::counter, "Outgoing mails handed to SMTP, by kind and result (sent, deferred, failed)");
    m.describe("deskgate_send_seconds", T::histogram, "Time of one SMTP transaction", kSlowBuckets);
    m.describe("deskgate_imap_connected", T::gauge, "1 while the mailbox's IMAP session is up");
    m.describe("deskgate_imap_last_contact_timestamp_seconds", T::gauge, "When the IMAP server last answered (unix time)");
    m.describe("deskgate_imap_session_failures_total", T::counter, "IMAP sessions that failed (then retried), by mailbox");
    m.describe("deskgate_escalation_steps_total", T::counter, "SLA escalation steps fired, by step");
    m.describe("deskgate_escalation_failures_total", T::counter,
               "Tickets whose escalation or auto-close failed in a pass (skipped, tried again later)");
    m.add("deskgate_escalation_failures_total", {}, 0);
    m.describe("deskgate_database_errors_total", T::counter, "Failed database operations, by component and kind");
    m.describe("deskgate_outbox_queued", T::gauge, "Mails waiting in the outbox (first try or retry)");
    m.describe("deskgate_outbox_oldest_queued_age_seconds", T::gauge, "Age of the oldest mail waiting in the outbox (0 when none)");
    m.describe("deskgate_outbox_failed", T::gauge, "Mails in the outbox given up for good");
    m.describe("deskgate_quarantine_held", T::gauge, "Mails held in quarantine, not released");
    m.describe("deskgate_tickets", T::gauge, "Tickets by state: open (new, open, pending), at_risk (a deadline within 4h), breached");
    m.describe("deskgate_rule_hits_total", T::counter, "Routing rule hits, by rule (kept in the database: the whole desk, since its start)");
    for (const char* component : {"imap", "smtp", "metrics"})
        for (const char* kind : {"unavailable", "error"})
            m.add("deskgate_database_errors_total", {{"component", component}, {"kind", kind}}, 0);

    m.addCollector([&store, now = std::move(now)](MetricsRegistry& r) {
        try {
            const UnixTime t = now();
            auto outbox = store.status.outboxSummary();
            r.set("deskgate_outbox_queued", {}, static_cast<double>(outbox.queued));
            r.set("deskgate_outbox_oldest_queued_age_seconds", {},
                  outbox.oldest_queued_at ? static_cast<double>(std::max<UnixTime>(0, t - *outbox.oldest_queued_at)) : 0);
            r.set("deskgate_outbox_failed", {}, static_cast<double>(outbox.failed));
            r.set("deskgate_quarantine_held", {}, static_cast<double>(store.status.quarantineCount()));
            auto tickets = store.status.ticketSummary(t, 4 * 3600);
            r.set("deskgate_tickets", {{"state", "open"}}, static_cast<double>(tickets.open));
            r.set("deskgate_tickets", {{"state", "at_risk"}}, static_cast<double>(tickets.at_risk));
            r.set("deskgate_tickets", {{"state", "breached"}}, static_cast<double>(tickets.breached));
            r.clear("deskgate_rule_hits_total");
            for (const auto& [rule, hits] : store.counters.ruleHits())
                r.set("deskgate_rule_hits_total", {{"rule", rule}}, static_cast<double>(hits));
        } catch (const StorageUnavailable& e) {
            log()->warn("metrics: database unavailable reason={}", e.what());
            r.add("deskgate_database_errors_total", {{"component", "metrics"}, {"kind", "unavailable"}});
        } catch (const std::exception& e) {
            log()->warn("metrics: reading the database failed reason={}", e.what());
            r.add("deskgate_database_errors_total", {{"component", "metrics"}, {"kind", "error"}});
        }
    });
}

DeskMonitor::DeskMonitor(boost::asio::io_context& io, SociStore& store, MetricsRegistry& metrics,
                         std::vector<std::string> mailboxes, Now now)
    : io_(io), store_(store), metrics_(metrics), now_(std::move(now)), daemon_(hostAndPid()), expected_(mailboxes.size()) {
    for (const auto& name : mailboxes) {
        ServiceStatus s;
        s.kind = "mailbox";
        s.name = name;
        mailboxes_.emplace(name, s);
        metrics_.set("deskgate_imap_connected", {{"mailbox", name}}, 0);
        metrics_.add("deskgate_imap_session_failures_total", {{"mailbox", name}}, 0);
    }
    smtp_.kind = "smtp";
    smtp_.name = "smtp";
}

void DeskMonitor::onAllConnected(std::function<void()> callback) {
    all_connected_ = std::move(callback);
    if (expected_ == 0 && all_connected_ && !told_) {
        told_ = true;
        boost::asio::post(io_, all_connected_);
    }
}

void DeskMonitor::record(ServiceStatus& state, bool changed) {
    const UnixTime now = now_();
    auto& written = written_contact_[state.kind + "/" + state.name];
    if (!changed && state.last_contact_at && *state.last_contact_at - written < kContactWriteEvery) return;
    state.updated_at = now;
    state.daemon = daemon_;
    try {
        store_.status.saveService(state);
        written = state.last_contact_at.value_or(0);
    } catch (const StorageUnavailable& e) {
        // The status row is a report, not data: a failed write is logged and counted, the work goes on.
        log()->warn("cannot record the service status name={} reason={}", state.name, e.what());
        databaseError("status", "unavailable");
    } catch (const std::exception& e) {
        log()->warn("cannot record the service status name={} reason={}", state.name, e.what());
        databaseError("status", "error");
    }
}

void DeskMonitor::mailboxConnected(std::string_view mailbox) {
    auto it = mailboxes_.find(mailbox);
    if (it == mailboxes_.end()) return;
    auto& s = it->second;
    // The last error stays, with its time: `deskgate status` shows it older than the contact.
    const bool changed = !s.connected;
    s.connected = true;
    s.last_contact_at = now_();
    record(s, changed);
    metrics_.set("deskgate_imap_connected", {{"mailbox", std::string(mailbox)}}, 1);
    metrics_.set("deskgate_imap_last_contact_timestamp_seconds", {{"mailbox", std::string(mailbox)}},
                 static_cast<double>(*s.last_contact_at));
    if (connected_once_.insert(std::string(mailbox)).second && connected_once_.size() == expected_ && !told_) {
        told_ = true;
        if (all_connected_) all_connected_();
    }
}

void DeskMonitor::mailboxElsewhere(std::string_view mailbox, std::string_view /*holder*/) {
    // Not this daemon's to watch (its status row is the holder's to write): settled for readiness.
    if (mailboxes_.find(mailbox) == mailboxes_.end()) return;
    if (connected_once_.insert(std::string(mailbox)).second && connected_once_.size() == expected_ && !told_) {
        told_ = true;
        if (all_connected_) all_connected_();
    }
}

void DeskMonitor::mailboxContact(std::string_view mailbox) {
    auto it = mailboxes_.find(mailbox);
    if (it == mailboxes_.end()) return;
    it->second.last_contact_at = now_();
    record(it->second, false);
    metrics_.set("deskgate_imap_last_contact_timestamp_seconds", {{"mailbox", std::string(mailbox)}},
                 static_cast<double>(*it->second.last_contact_at));
}

void DeskMonitor::mailboxDown(std::string_view mailbox, std::string_view error) {
    auto it = mailboxes_.find(mailbox);
    if (it == mailboxes_.end()) return;
    auto& s = it->second;
    s.connected = false;
    s.last_error = std::string(error);
    s.last_error_at = now_();
    record(s, true);
    metrics_.set("deskgate_imap_connected", {{"mailbox", std::string(mailbox)}}, 0);
    metrics_.add("deskgate_imap_session_failures_total", {{"mailbox", std::string(mailbox)}});
}

void DeskMonitor::mailboxStopped(std::string_view mailbox) {
    auto it = mailboxes_.find(mailbox);
    if (it == mailboxes_.end()) return;
    it->second.connected = false;
    record(it->second, true);
    metrics_.set("deskgate_imap_connected", {{"mailbox", std::string(mailbox)}}, 0);
}

void DeskMonitor::mailTakenIn(std::string_view mailbox, std::string_view outcome, std::string_view reason,
                              double seconds) {
    const std::string mb(mailbox);
    metrics_.add("deskgate_mails_taken_in_total", {{"mailbox", mb}, {"outcome", std::string(outcome)}});
    if (outcome == "quarantined")
        metrics_.add("deskgate_mails_quarantined_total", {{"mailbox", mb}, {"reason", quarantineReasonKind(reason)}});
    metrics_.observe("deskgate_intake_mail_seconds", {}, seconds);
}

void DeskMonitor::batchTakenIn(std::string_view, std::size_t mails, double seconds) {
    if (mails > 0) metrics_.observe("deskgate_intake_batch_seconds", {}, seconds);
}

void DeskMonitor::mailSent(std::string_view kind, std::string_view result, double seconds, std::string_view error) {
    // The outbox worker's thread: the registry locks itself; the status row is written on the loop.
    metrics_.add("deskgate_sends_total", {{"kind", std::string(kind)}, {"result", std::string(result)}});
    metrics_.observe("deskgate_send_seconds", {}, seconds);
    boost::asio::post(io_, [this, ok = result == "sent", e = std::string(error)] { smtpResult(ok, e); });
}

void DeskMonitor::smtpResult(bool ok, const std::string& error) {
    const UnixTime now = now_();
    bool changed = false;
    if (ok) {
        changed = !smtp_.connected;
        smtp_.connected = true;
        smtp_.last_contact_at = now;
    } else {
        changed = smtp_.connected || smtp_.last_error != error;
        smtp_.connected = false;
        smtp_.last_error = error;
        smtp_.last_error_at = now;
    }
    record(smtp_, changed);
}

void DeskMonitor::escalationFired(std::string_view step) {
    metrics_.add("deskgate_escalation_steps_total", {{"step", std::string(step)}});
}

void DeskMonitor::escalationFailed() { metrics_.add("deskgate_escalation_failures_total", {}); }

void DeskMonitor::databaseError(std::string_view component, std::string_view kind) {
    metrics_.add("deskgate_database_errors_total", {{"component", std::string(component)}, {"kind", std::string(kind)}});
}

}  // namespace deskgate
