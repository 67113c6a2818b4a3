// Watches one IMAP mailbox: IDLE where the server has it, polling otherwise; fetches new
// mail by UID in batches, takes each batch in with one database transaction (mail, tickets,
// events, outgoing mail and the checkpoint together), and only then flags or moves it.
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "daemon/imap/curl_imap_client.hpp"
#include "daemon/monitor.hpp"
#include "daemon/runtime.hpp"
#include "storage/store.hpp"

namespace deskgate {

struct WatcherDeps {
    std::function<std::shared_ptr<const Runtime>()> runtime;  // current configuration
    SociStore* store = nullptr;                         // the loop thread's session
    std::function<void()> mail_queued;                        // wakes the outbox worker
    std::function<UnixTime()> now;
    Monitor* monitor = nullptr;                               // metrics, status, readiness; may be null
    // Called first inside each batch's transaction: the mailbox lease's fence (mailbox_lease.hpp),
    // which throws when another daemon has taken the mailbox over. Optional.
    std::function<void()> in_batch;
};

class MailboxWatcher {
public:
    MailboxWatcher(boost::asio::io_context& io, MailboxConfig mailbox, WatcherDeps deps);

    boost::asio::awaitable<void> run();
    void stop();

    std::uint64_t taken_in() const { return taken_in_; }

private:
    boost::asio::awaitable<void> session();
    boost::asio::awaitable<void> finishHandled(std::uint64_t uidvalidity, std::uint64_t last_uid);
    boost::asio::awaitable<void> afterIngest(const std::vector<std::uint64_t>& uids);
    boost::asio::awaitable<bool> sleepFor(std::chrono::milliseconds d);
    Monitor& monitor() { return deps_.monitor ? *deps_.monitor : quiet_; }

    boost::asio::io_context& io_;
    MailboxConfig mailbox_;
    WatcherDeps deps_;
    CurlImapClient client_;
    boost::asio::steady_timer timer_;
    bool stopping_ = false;
    std::uint64_t taken_in_ = 0;
    Monitor quiet_;  // tells nobody, when no monitor is given
};

}  // namespace deskgate
