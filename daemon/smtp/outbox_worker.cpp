#include "daemon/smtp/outbox_worker.hpp"

#include "daemon/logging.hpp"

#include <algorithm>
#include <chrono>

#include <pthread.h>

#include <spdlog/spdlog.h>

#include "daemon/holder_id.hpp"
#include "daemon/smtp/curl_smtp_sender.hpp"

namespace deskgate {

OutboxWorker::OutboxWorker(SmtpConfig smtp, DatabaseUrl database, Now now, std::string holder,
                           std::chrono::seconds lease)
    : smtp_(std::move(smtp)), database_(std::move(database)), now_(std::move(now)), holder_(std::move(holder)),
      lease_(lease) {}

OutboxWorker::~OutboxWorker() { stop(); }  // defined here: CurlSmtpSender is complete

void OutboxWorker::start() {
    thread_ = std::thread([this] { loop(); });
    pthread_setname_np(thread_.native_handle(), "deskgate-smtp");  // for top and perf
}

void OutboxWorker::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void OutboxWorker::notify() {
    {
        std::lock_guard lock(mutex_);
        poke_ = true;
    }
    cv_.notify_all();
}

void OutboxWorker::recordRefused(SociStore& store, const OutboxRecord& mail, const std::vector<RefusedRecipient>& refused,
                                 UnixTime now) {
    auto log = componentLog("smtp");
    std::vector<std::string> later;
    for (const auto& r : refused) {
        const bool permanent = r.code >= 500;
        log->warn("recipient refused outbox={} kind={} code={} permanent={}", mail.id, mail.kind, r.code, permanent);
        if (permanent) {
            if (mail.ticket_id) store.tickets.refuseAddress(*mail.ticket_id, normalizeAddress(r.address), r.reply, now);
        } else {
            later.push_back(r.address);
        }
        if (mail.ticket_id)
            store.tickets.addEvent({0, *mail.ticket_id, now, "system", "recipient_refused",
                                    mail.kind + " to " + r.address + ": " + r.reply +
                                        (permanent ? " (not tried again for this ticket)" : " (tried again later)")});
    }
    if (later.empty()) return;
    // A temporary refusal of some recipients: the same mail again, for them alone.
    OutboxRecord again = mail;
    again.recipients = later;
    again.attempts = 0;
    again.next_attempt_at = now + smtp_.retry_initial.count();
    again.created_at = now;
    store.outbox.queueMail(again);
}

bool OutboxWorker::stopping() {
    std::lock_guard lock(mutex_);
    return stopping_;
}

void OutboxWorker::record(SociStore& store, const OutboxRecord& mail, const SendResult& result, double seconds) {
    auto log = componentLog("smtp");
    const UnixTime now = now_();
    const int attempts = mail.attempts + 1;
    const std::string to = mail.recipients.empty() ? "" : mail.recipients[0];
    // The common case at once (on PostgreSQL in one round trip, where a transaction takes four).
    if (result.status == SendResult::Status::sent && result.refused.empty())
        store.outbox.markSentNoting(mail.id, now, mail.kind + " to " + to);
    else store.retryingTransaction([&] {
        if (result.status == SendResult::Status::sent) {
            store.outbox.markSent(mail.id, now);
            if (mail.ticket_id) store.tickets.addEvent({0, *mail.ticket_id, now, "system", "sent", mail.kind + " to " + to});
            recordRefused(store, mail, result.refused, now);
        } else if (result.status == SendResult::Status::permanent || now - mail.created_at >= smtp_.give_up_after.count()) {
            store.outbox.markFailed(mail.id, attempts, result.message);
            if (mail.ticket_id) {
                store.tickets.addEvent({0, *mail.ticket_id, now, "system", "send_failed",
                                        mail.kind + " to " + to + ": " + result.message});
                if (on_failure_) on_failure_(store, mail, result.message);
            }
        } else {
            // 30s, 60s, 120s ... capped: a server that is down is not hammered.
            auto wait = smtp_.retry_initial.count() << std::min(attempts - 1, 20);
            wait = std::min<long long>(wait, smtp_.retry_max.count());
            store.outbox.markRetry(mail.id, attempts, now + wait, result.message);
        }
    });
    // Committed: the result counts now (a rolled-back record is sent again and counted then).
    const char* outcome = "sent";
    if (result.status == SendResult::Status::sent) {
        log->info("sent outbox={} kind={} attempts={}", mail.id, mail.kind, attempts);
    } else if (result.status == SendResult::Status::permanent || now - mail.created_at >= smtp_.give_up_after.count()) {
        outcome = "failed";
        log->error("send failed for good outbox={} kind={} reason={}", mail.id, mail.kind, result.message);
    } else {
        outcome = "deferred";
        log->warn("send deferred outbox={} kind={} attempts={} reason={}", mail.id, mail.kind, attempts, result.message);
    }
    monitor_->mailSent(mail.kind, outcome, seconds, result.status == SendResult::Status::sent ? "" : result.message);
}

int OutboxWorker::runOnce(SociStore& store) {
    if (!sender_) sender_ = std::make_unique<CurlSmtpSender>(smtp_);
    int handled = 0;
    const int lease = static_cast<int>(lease_.count());
    for (;;) {
        if (stopping() && handled > 0) break;
        // A small batch, claimed for a short lease that is renewed while the batch is sent;
        // each mail is marked sent the moment it is sent. A daemon that dies with mail in hand
        // leaves at most the one being sent unmarked (sent again: same Message-ID), and its other
        // claims run out after the lease, for this or another daemon.
        const int batchSize = 10;
        auto batch = store.outbox.claimDueMail(now_(), batchSize, lease, holder_);
        if (batch.empty()) break;
        auto renewed = std::chrono::steady_clock::now();
        for (std::size_t i = 0; i < batch.size(); ++i) {
            std::vector<std::int64_t> rest;
            for (std::size_t k = i; k < batch.size(); ++k) rest.push_back(batch[k].id);
            if (stopping() && handled > 0) {
                store.outbox.releaseClaims(rest, holder_);  // for the others, at once
                return handled;
            }
            if (std::chrono::steady_clock::now() - renewed > lease_ / 2) {
                auto kept = store.outbox.renewClaims(rest, holder_, now_() + lease);
                renewed = std::chrono::steady_clock::now();
                if (std::find(kept.begin(), kept.end(), batch[i].id) == kept.end()) continue;  // no longer ours
            }
            const auto& mail = batch[i];
            const auto start = std::chrono::steady_clock::now();
            auto result = sender_->send(mail.mail_from, mail.recipients, mail.raw);
            record(store, mail, result, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
            ++handled;
        }
    }
    return handled;
}

void OutboxWorker::loop() {
    auto log = componentLog("smtp");
    std::unique_ptr<SociStore> store;
    auto backoff = std::chrono::seconds(1);
    for (;;) {
        std::chrono::milliseconds wait(5000);
        try {
            if (!store) {
                store = std::make_unique<SociStore>(database_);
                store->relaxCommitDurability();  // see database.hpp: a lost mark = a mail sent twice
                // Mail claimed by a daemon on this machine that is gone (this one's predecessor,
                // killed): free at once rather than when the claims run out.
                for (const auto& claimant : store->outbox.claimants(now_()))
                    if (holderDeadHere(claimant))
                        log->info("freed the outbox claims of a daemon that is gone holder={} mails={}", claimant,
                                  store->outbox.releaseAllClaims(claimant));
            }
            runOnce(*store);
            if (auto next = store->outbox.nextOutboxAttempt()) {
                auto ms = (*next - now_()) * 1000;
                wait = std::chrono::milliseconds(std::clamp<long long>(ms, 0, 5000));
            }
            backoff = std::chrono::seconds(1);
        } catch (const StorageUnavailable& e) {
            log->error("outbox pass failed: database unavailable reason={}", e.what());
            monitor_->databaseError("smtp", "unavailable");
            store.reset();  // reconnect next time
            wait = backoff;
            backoff = std::min(backoff * 2, std::chrono::seconds(60));
        } catch (const std::exception& e) {
            log->error("outbox pass failed reason={}", e.what());
            monitor_->databaseError("smtp", "error");
            store.reset();  // reconnect next time
            wait = backoff;
            backoff = std::min(backoff * 2, std::chrono::seconds(60));
        }
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, wait, [this] { return stopping_ || poke_; });
        poke_ = false;
        if (stopping_) return;
    }
}

}  // namespace deskgate
