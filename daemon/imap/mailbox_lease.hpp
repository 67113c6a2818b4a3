// The lease around a mailbox's watcher, so that of several daemons on one database exactly one
// watches each mailbox. The daemon watches the mailbox only while it holds the lease
// "mailbox:<name>" (storage/lease_store.hpp): it tries to take it every `lease / 4`, renews it
// as often while it watches, and each batch renews it inside its own transaction (the fence:
// a batch commits only under the lease; a daemon that took the mailbox over waits for that
// commit). When a renewal finds the lease taken over, or the database has not confirmed it for
// most of its time, the watcher is stopped; when the daemon stops, the lease is given up at
// once. A dead daemon's lease runs out after `lease`: the mailbox is taken over within
// lease + lease / 4.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "daemon/imap/mailbox_watcher.hpp"

namespace deskgate {

struct LeaseSettings {
    std::string holder;                   // this daemon: "host:pid:random"
    std::chrono::seconds duration{20};    // config `lease`
};

class MailboxLease {
public:
    MailboxLease(boost::asio::io_context& io, MailboxConfig mailbox, WatcherDeps deps, LeaseSettings settings);
    ~MailboxLease();

    // Until stop(): wait for the lease, watch while holding it, wait again when it is lost.
    boost::asio::awaitable<void> run();
    void stop();

    bool holding() const { return watcher_ != nullptr; }
    std::uint64_t taken_in() const { return taken_in_; }

private:
    boost::asio::awaitable<void> keepRenewed(std::uint64_t term);
    // The batch fence (WatcherDeps::in_batch): renews the lease in the batch's transaction.
    void fence();
    void lost(const std::string& why);
    std::string leaseName() const { return "mailbox:" + mailbox_.name; }
    int seconds() const { return static_cast<int>(settings_.duration.count()); }
    std::chrono::milliseconds renewEvery() const;

    boost::asio::io_context& io_;
    MailboxConfig mailbox_;
    WatcherDeps deps_;
    LeaseSettings settings_;
    boost::asio::steady_timer wait_timer_;
    std::shared_ptr<boost::asio::steady_timer> renew_timer_;  // the current term's
    std::unique_ptr<MailboxWatcher> watcher_;
    std::uint64_t term_ = 0;  // counts the times the lease was taken
    bool stopping_ = false;
    std::string lost_;        // why the lease was lost ("" while held)
    std::chrono::steady_clock::time_point confirmed_;  // the last time the database confirmed the lease
    std::uint64_t taken_in_ = 0;
};

}  // namespace deskgate
