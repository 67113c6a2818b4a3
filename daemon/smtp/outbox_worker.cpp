#include "daemon/smtp/outbox_worker.hpp"

#include <algorithm>
#include <chrono>

#include <spdlog/spdlog.h>

#include "daemon/smtp/curl_smtp_sender.hpp"

namespace deskgate {

OutboxWorker::OutboxWorker(SmtpConfig smtp, DatabaseUrl database, Now now)
    : smtp_(std::move(smtp)), database_(std::move(database)), now_(std::move(now)) {}

OutboxWorker::~OutboxWorker() { stop(); }  // defined here: CurlSmtpSender is complete

void OutboxWorker::start() { thread_ = std::thread([this] { loop(); }); }

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
    auto log = spdlog::get("smtp") ? spdlog::get("smtp") : spdlog::default_logger();
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

int OutboxWorker::runOnce(SociStore& store) {
    if (!sender_) sender_ = std::make_unique<CurlSmtpSender>(smtp_);
    auto& sender = sender_;
    auto log = spdlog::get("smtp") ? spdlog::get("smtp") : spdlog::default_logger();
    int handled = 0;
    for (;;) {
        {
            std::lock_guard lock(mutex_);
            if (stopping_ && handled > 0) break;
        }
        // The lease covers the sends of one small batch; if this process dies with mail in
        // hand, the mail is free again for this or another daemon when the lease runs out.
        const int batchSize = 10;
        const int lease = static_cast<int>(smtp_.timeout.count()) * batchSize + 10;
        auto batch = store.outbox.claimDueMail(now_(), batchSize, lease);
        if (batch.empty()) break;
        std::vector<SendResult> results;
        std::vector<double> seconds;
        for (const auto& mail : batch) {
            const auto start = std::chrono::steady_clock::now();
            results.push_back(sender->send(mail.mail_from, mail.recipients, mail.raw));
            seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        }
        std::vector<const char*> outcomes(batch.size(), "sent");
        // One transaction records the whole batch: one commit (fsync) per batch, not per mail.
        // A crash before it sends the batch again after the lease: at least once, same Message-IDs.
        const UnixTime now = now_();
        store.transaction([&] {
            for (std::size_t i = 0; i < batch.size(); ++i) {
                const auto& mail = batch[i];
                const auto& result = results[i];
                const int attempts = mail.attempts + 1;
                const std::string to = mail.recipients.empty() ? "" : mail.recipients[0];
                if (result.status == SendResult::Status::sent) {
                    store.outbox.markSent(mail.id, now);
                    if (mail.ticket_id) store.tickets.addEvent({0, *mail.ticket_id, now, "system", "sent", mail.kind + " to " + to});
                    log->info("sent outbox={} kind={} attempts={}", mail.id, mail.kind, attempts);
                    recordRefused(store, mail, result.refused, now);
                } else if (result.status == SendResult::Status::permanent ||
                           now - mail.created_at >= smtp_.give_up_after.count()) {
                    store.outbox.markFailed(mail.id, attempts, result.message);
                    outcomes[i] = "failed";
                    if (mail.ticket_id) {
                        store.tickets.addEvent({0, *mail.ticket_id, now, "system", "send_failed",
                                        mail.kind + " to " + to + ": " + result.message});
                        if (on_failure_) on_failure_(store, mail, result.message);
                    }
                    log->error("send failed for good outbox={} kind={} reason={}", mail.id, mail.kind, result.message);
                } else {
                    // 30s, 60s, 120s ... capped: a server that is down is not hammered.
                    auto wait = smtp_.retry_initial.count() << std::min(attempts - 1, 20);
                    wait = std::min<long long>(wait, smtp_.retry_max.count());
                    store.outbox.markRetry(mail.id, attempts, now + wait, result.message);
                    outcomes[i] = "deferred";
                    log->warn("send deferred outbox={} kind={} attempts={} retry_in={}s reason={}", mail.id,
                              mail.kind, attempts, wait, result.message);
                }
            }
        });
        // Committed: the results count now (a rolled-back batch is sent again and counted then).
        for (std::size_t i = 0; i < batch.size(); ++i)
            monitor_->mailSent(batch[i].kind, outcomes[i], seconds[i],
                               results[i].status == SendResult::Status::sent ? "" : results[i].message);
        handled += static_cast<int>(batch.size());
    }
    return handled;
}

void OutboxWorker::loop() {
    auto log = spdlog::get("smtp") ? spdlog::get("smtp") : spdlog::default_logger();
    std::unique_ptr<SociStore> store;
    auto backoff = std::chrono::seconds(1);
    for (;;) {
        std::chrono::milliseconds wait(5000);
        try {
            if (!store) store = std::make_unique<SociStore>(database_);
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
