#include "daemon/imap/mailbox_watcher.hpp"

#include <algorithm>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "daemon/desk/intake.hpp"

namespace deskgate {

namespace asio = boost::asio;

namespace {

std::shared_ptr<spdlog::logger> imapLog() {
    auto l = spdlog::get("imap");
    return l ? l : spdlog::default_logger();
}

double secondsSince(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

ImapSettings settingsFor(const MailboxConfig& mb) {
    ImapSettings s;
    s.url = mb.url;
    s.username = mb.username;
    s.password = mb.password;
    s.ca_file = mb.ca_file;
    s.starttls = mb.starttls;
    return s;
}

}  // namespace

MailboxWatcher::MailboxWatcher(asio::io_context& io, MailboxConfig mailbox, WatcherDeps deps)
    : io_(io), mailbox_(std::move(mailbox)), deps_(std::move(deps)), client_(io, settingsFor(mailbox_)), timer_(io) {}

void MailboxWatcher::stop() {
    stopping_ = true;
    timer_.cancel();
    client_.wake();
}

asio::awaitable<bool> MailboxWatcher::sleepFor(std::chrono::milliseconds d) {
    timer_.expires_after(d);
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return !stopping_;
}

asio::awaitable<void> MailboxWatcher::run() {
    auto backoff = std::chrono::milliseconds(1000);
    while (!stopping_) {
        try {
            co_await session();
            backoff = std::chrono::milliseconds(1000);
        } catch (const StorageConflict& e) {
            // Other sessions kept getting in the way (retried already): nothing is lost, the
            // batch is fetched and taken in again.
            imapLog()->warn("database conflict mailbox={} reason={}", mailbox_.name, e.what());
        } catch (const StorageUnavailable& e) {
            imapLog()->error("database unavailable mailbox={} reason={}", mailbox_.name, e.what());
            monitor().databaseError("imap", "unavailable");
            monitor().mailboxDown(mailbox_.name, std::string("database unavailable: ") + e.what());
        } catch (const StorageError& e) {
            imapLog()->error("database error mailbox={} reason={}", mailbox_.name, e.what());
            monitor().databaseError("imap", "error");
            monitor().mailboxDown(mailbox_.name, std::string("database error: ") + e.what());
        } catch (const std::exception& e) {
            if (!stopping_) {
                imapLog()->error("mailbox session failed mailbox={} reason={}", mailbox_.name, e.what());
                monitor().mailboxDown(mailbox_.name, e.what());
            }
        }
        client_.disconnect();
        if (stopping_) break;
        // One failing mailbox is retried with growing waits; it never stops the others.
        imapLog()->info("reconnecting mailbox={} in_ms={}", mailbox_.name, backoff.count());
        if (!co_await sleepFor(backoff)) break;
        backoff = std::min(backoff * 2, std::chrono::milliseconds(60000));
    }
    client_.disconnect();
    monitor().mailboxStopped(mailbox_.name);
}

asio::awaitable<void> MailboxWatcher::afterIngest(const std::vector<std::uint64_t>& uids) {
    if (uids.empty()) co_return;
    if (mailbox_.after_ingest == MailboxConfig::After::move)
        co_await client_.move(uids, mailbox_.move_to);
    else
        co_await client_.addFlags(uids, "\\Seen");
}

// After a crash between commit and flagging, mail up to the checkpoint may still look new
// on the server: it is in the database already, so only the flag/move is repeated.
asio::awaitable<void> MailboxWatcher::finishHandled(std::uint64_t uidvalidity, std::uint64_t last_uid) {
    if (last_uid == 0) co_return;
    std::vector<std::uint64_t> pending;
    if (mailbox_.after_ingest == MailboxConfig::After::move) {
        auto all = co_await client_.searchUidsFrom(1);
        for (auto uid : all)
            if (uid <= last_uid) pending.push_back(uid);
    } else {
        auto unseen = co_await client_.searchUnseen();
        for (auto uid : unseen)
            if (uid <= last_uid) pending.push_back(uid);
    }
    (void)uidvalidity;
    for (std::size_t i = 0; i < pending.size(); i += 100) {
        std::vector<std::uint64_t> chunk(pending.begin() + static_cast<long>(i),
                                         pending.begin() + static_cast<long>(std::min(pending.size(), i + 100)));
        co_await afterIngest(chunk);
    }
    if (!pending.empty())
        imapLog()->info("finished handling mail taken in before a restart mailbox={} count={}", mailbox_.name,
                        pending.size());
}

asio::awaitable<void> MailboxWatcher::session() {
    auto log = imapLog();
    client_.connect();
    if (mailbox_.after_ingest == MailboxConfig::After::move) co_await client_.createFolder(mailbox_.move_to);
    SelectInfo info = co_await client_.select(mailbox_.folder);
    auto& store = *deps_.store;
    auto cp = store.intake.checkpoint(mailbox_.name);
    std::uint64_t last = 0;
    if (cp && static_cast<std::uint64_t>(cp->uidvalidity) == info.uidvalidity) {
        last = static_cast<std::uint64_t>(cp->last_uid);
    } else {
        if (cp)
            log->warn("UIDVALIDITY changed mailbox={} old={} new={}: reading the folder again; mail already taken in "
                      "is recognised by its Message-ID",
                      mailbox_.name, cp->uidvalidity, info.uidvalidity);
        store.intake.saveCheckpoint({mailbox_.name, static_cast<std::int64_t>(info.uidvalidity), 0}, deps_.now());
    }
    log->info("watching mailbox={} folder={} uidvalidity={} last_uid={} idle={}", mailbox_.name, mailbox_.folder,
              info.uidvalidity, last, client_.hasCapability("IDLE") && mailbox_.idle);
    monitor().mailboxConnected(mailbox_.name);
    co_await finishHandled(info.uidvalidity, last);

    while (!stopping_) {
        auto uids = co_await client_.searchUidsFrom(last + 1);
        monitor().mailboxContact(mailbox_.name);
        for (std::size_t i = 0; i < uids.size() && !stopping_; i += mailbox_.batch_size) {
            std::vector<std::uint64_t> chunk(
                uids.begin() + static_cast<long>(i),
                uids.begin() + static_cast<long>(std::min(uids.size(), i + mailbox_.batch_size)));
            const auto batchStart = std::chrono::steady_clock::now();
            auto fetched = co_await client_.fetchBodies(chunk);
            auto runtime = deps_.runtime();
            Intake intake(*runtime, store, deps_.now);
            int queued = 0;
            std::vector<std::uint64_t> handled;
            struct Outcome {
                std::string outcome, reason;
                double seconds;
            };
            std::vector<Outcome> outcomes;  // told to the monitor once committed
            std::vector<IntakeResult> results;
            // A conflict with another session (deadlock, lock timeout, a key taken meanwhile)
            // rolls the batch back: it is taken in again from the fetched bytes, never quarantined.
            auto onConflict = [&](const StorageConflict& e, int attempt) {
                log->warn("batch rolled back by a database conflict, running it again mailbox={} attempt={} reason={}",
                          mailbox_.name, attempt, e.what());
            };
            store.retryingTransaction([&] {
                queued = 0;
                handled.clear();
                results.clear();
                outcomes.clear();
                if (deps_.in_batch) deps_.in_batch();
                for (const auto& f : fetched) {
                    MailOrigin origin{mailbox_.name, static_cast<std::int64_t>(info.uidvalidity),
                                      static_cast<std::int64_t>(f.uid)};
                    const auto mailStart = std::chrono::steady_clock::now();
                    auto r = intake.processIsolated(origin, *f.body);
                    outcomes.push_back({r.outcome, r.reason, secondsSince(mailStart)});
                    queued += r.queued_mails;
                    handled.push_back(f.uid);
                    results.push_back(std::move(r));
                }
                store.intake.saveCheckpoint({mailbox_.name, static_cast<std::int64_t>(info.uidvalidity),
                                      static_cast<std::int64_t>(chunk.back())},
                                     deps_.now());
            }, 6, onConflict);
            // Committed: now, and only now, the server may be told.
            for (std::size_t k = 0; k < results.size(); ++k) {
                const auto& r = results[k];
                log->info("mail taken in mailbox={} uid={} outcome={} ticket={}{}", mailbox_.name, handled[k],
                          r.outcome, r.ticket_number.value_or(0), r.reason.empty() ? "" : " reason=" + r.reason);
            }
            last = chunk.back();
            taken_in_ += handled.size();
            for (const auto& o : outcomes) monitor().mailTakenIn(mailbox_.name, o.outcome, o.reason, o.seconds);
            monitor().batchTakenIn(mailbox_.name, handled.size(), secondsSince(batchStart));
            if (queued > 0 && deps_.mail_queued) deps_.mail_queued();
            co_await afterIngest(handled);
        }
        if (stopping_) break;
        if (mailbox_.idle && client_.hasCapability("IDLE")) {
            co_await client_.idle(std::max(mailbox_.poll_interval, std::chrono::seconds(1)));
            monitor().mailboxContact(mailbox_.name);
        } else if (!co_await sleepFor(mailbox_.poll_interval)) {
            break;
        }
    }
}

}  // namespace deskgate
