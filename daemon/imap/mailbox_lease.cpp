#include "daemon/imap/mailbox_lease.hpp"

#include "daemon/logging.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "daemon/holder_id.hpp"

namespace deskgate {

namespace asio = boost::asio;

namespace {

std::shared_ptr<spdlog::logger> leaseLog() { return componentLog("imap"); }

// Thrown by the fence: the batch must not commit. Not a StorageConflict (no retry).
struct LeaseLost : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace

MailboxLease::MailboxLease(asio::io_context& io, MailboxConfig mailbox, WatcherDeps deps, LeaseSettings settings)
    : io_(io), mailbox_(std::move(mailbox)), deps_(std::move(deps)), settings_(std::move(settings)), wait_timer_(io) {}

MailboxLease::~MailboxLease() = default;

std::chrono::milliseconds MailboxLease::renewEvery() const {
    return std::max<std::chrono::milliseconds>(std::chrono::milliseconds(500), settings_.duration / 4);
}

void MailboxLease::stop() {
    stopping_ = true;
    wait_timer_.cancel();
    if (renew_timer_) renew_timer_->cancel();
    if (watcher_) watcher_->stop();
}

void MailboxLease::lost(const std::string& why) {
    if (!lost_.empty()) return;
    lost_ = why;
    if (watcher_) watcher_->stop();
}

void MailboxLease::fence() {
    if (!deps_.store->leases.renew(leaseName(), settings_.holder, seconds())) {
        lost("another daemon took the mailbox over");
        throw LeaseLost("the lease of mailbox " + mailbox_.name + " was taken over: batch not committed");
    }
    confirmed_ = std::chrono::steady_clock::now();
}

asio::awaitable<void> MailboxLease::keepRenewed(std::uint64_t term) {
    auto timer = std::make_shared<asio::steady_timer>(io_);
    renew_timer_ = timer;
    auto log = leaseLog();
    bool warned = false;
    while (!stopping_ && term == term_ && watcher_ && lost_.empty()) {
        timer->expires_after(renewEvery());
        boost::system::error_code ec;
        co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (stopping_ || term != term_ || !watcher_ || !lost_.empty()) break;
        try {
            if (!deps_.store->leases.renew(leaseName(), settings_.holder, seconds())) {
                lost("another daemon took the mailbox over");
                break;
            }
            confirmed_ = std::chrono::steady_clock::now();
            warned = false;
        } catch (const std::exception& e) {
            // The database is away: the lease may run out meanwhile. Stop watching before it
            // can have (the fence would refuse every batch anyway), so the daemon that takes
            // the mailbox over does not find this one still in the IMAP session.
            const auto unconfirmed = std::chrono::steady_clock::now() - confirmed_;
            if (unconfirmed >= settings_.duration - renewEvery()) {
                lost("the database has not confirmed the lease for " +
                     std::to_string(std::chrono::duration_cast<std::chrono::seconds>(unconfirmed).count()) + " s");
                break;
            }
            if (!warned) log->warn("cannot renew the mailbox lease mailbox={} reason={}", mailbox_.name, e.what());
            warned = true;
        }
    }
}

asio::awaitable<void> MailboxLease::run() {
    auto log = leaseLog();
    auto& store = *deps_.store;
    bool announced = false;
    while (!stopping_) {
        bool taken = false;
        try {
            taken = store.leases.acquire(leaseName(), settings_.holder, seconds());
            if (!taken) {
                auto current = store.leases.lease(leaseName());
                // A daemon on this machine that is gone (restarted after a crash): no need to
                // wait for its lease to run out.
                if (current && holderDeadHere(current->holder) &&
                    store.leases.takeOver(leaseName(), current->holder, settings_.holder, seconds())) {
                    log->info("mailbox of a daemon that is gone taken over mailbox={} dead_holder={}", mailbox_.name,
                              current->holder);
                    taken = true;
                } else if (!announced) {
                    log->info("mailbox watched by another daemon mailbox={} holder={}: taking it over if its lease runs out",
                              mailbox_.name, current ? current->holder : "?");
                    if (deps_.monitor) deps_.monitor->mailboxElsewhere(mailbox_.name, current ? current->holder : "");
                    announced = true;
                }
            }
        } catch (const std::exception& e) {
            log->warn("cannot take the mailbox lease mailbox={} reason={}", mailbox_.name, e.what());
        }
        if (!taken) {
            wait_timer_.expires_after(renewEvery());
            boost::system::error_code ec;
            co_await wait_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            continue;
        }
        announced = false;
        lost_.clear();
        confirmed_ = std::chrono::steady_clock::now();
        log->info("mailbox lease taken mailbox={} holder={} lease_s={}", mailbox_.name, settings_.holder, seconds());
        WatcherDeps deps = deps_;
        deps.in_batch = [this, outer = deps_.in_batch] {
            fence();  // first: may this daemon still take the mailbox in?
            if (outer) outer();
        };
        watcher_ = std::make_unique<MailboxWatcher>(io_, mailbox_, deps);
        if (stopping_) watcher_->stop();
        const auto term = ++term_;
        asio::co_spawn(io_, keepRenewed(term), asio::detached);
        co_await watcher_->run();
        taken_in_ += watcher_->taken_in();
        watcher_.reset();
        ++term_;  // ends the renewing of this term
        if (renew_timer_) renew_timer_->cancel();
        if (!lost_.empty()) {
            log->warn("stopped watching mailbox={}: lease lost ({})", mailbox_.name, lost_);
            continue;  // and try to take it again, as any other daemon does
        }
        // Stopping: the others need not wait for the lease to run out.
        try {
            store.leases.release(leaseName(), settings_.holder);
            log->info("mailbox lease given up mailbox={} holder={}", mailbox_.name, settings_.holder);
        } catch (const std::exception& e) {
            log->warn("cannot give up the mailbox lease mailbox={} reason={}: it runs out on its own", mailbox_.name,
                      e.what());
        }
    }
}

}  // namespace deskgate
