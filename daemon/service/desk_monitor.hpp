// The daemon's Monitor: counts into the metrics registry, records each connection's state in
// the service_status table for `deskgate status`, and says when every mailbox has logged in
// once (systemd's READY=1). Database writes happen on the Asio loop's thread with the loop's
// session: the SMTP side's calls (on the outbox thread) are posted there.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "daemon/metrics/metrics_registry.hpp"
#include "daemon/monitor.hpp"
#include "storage/store.hpp"

namespace deskgate {

class DeskMonitor : public Monitor {
public:
    using Now = std::function<UnixTime()>;
    // `mailboxes`: the configured names (their metrics start at 0, and readiness waits for all).
    DeskMonitor(boost::asio::io_context& io, SociStore& store, MetricsRegistry& metrics,
                std::vector<std::string> mailboxes, Now now);

    // Called once, on the loop thread, when every mailbox has connected at least once.
    void onAllConnected(std::function<void()> callback);

    void mailboxConnected(std::string_view mailbox) override;
    void mailboxContact(std::string_view mailbox) override;
    void mailboxDown(std::string_view mailbox, std::string_view error) override;
    void mailboxStopped(std::string_view mailbox) override;
    void mailboxElsewhere(std::string_view mailbox, std::string_view holder) override;
    void mailTakenIn(std::string_view mailbox, std::string_view outcome, std::string_view reason,
                     double seconds) override;
    void batchTakenIn(std::string_view mailbox, std::size_t mails, double seconds) override;
    void mailSent(std::string_view kind, std::string_view result, double seconds, std::string_view error) override;
    void escalationFired(std::string_view step) override;
    void escalationFailed() override;
    void databaseError(std::string_view component, std::string_view kind) override;

private:
    // Writes the row when something changed, or the last contact is 30 s older than written.
    void record(ServiceStatus& state, bool changed);
    void smtpResult(bool ok, const std::string& error);  // on the loop thread

    boost::asio::io_context& io_;
    SociStore& store_;
    MetricsRegistry& metrics_;
    Now now_;
    std::string daemon_;  // host:pid
    std::map<std::string, ServiceStatus, std::less<>> mailboxes_;  // loop thread only
    std::map<std::string, UnixTime, std::less<>> written_contact_;
    ServiceStatus smtp_;
    std::set<std::string, std::less<>> connected_once_;
    std::size_t expected_ = 0;
    std::function<void()> all_connected_;
    bool told_ = false;
};

// Declares every metric the daemon exports, and the collectors that read the database at
// each scrape (outbox depth and age, quarantine, tickets, rule hits) through `store`, which
// the scrape uses on the loop thread.
void describeDaemonMetrics(MetricsRegistry& metrics, SociStore& store, std::function<UnixTime()> now);

}  // namespace deskgate
