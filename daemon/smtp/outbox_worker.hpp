// Sends what intake queued in the outbox table, on its own thread with its own database
// session, so a slow SMTP server never stalls intake. Retries temporary failures with
// doubling waits; a permanent failure (5xx) or giving up is recorded as a ticket event.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "daemon/config.hpp"
#include "daemon/monitor.hpp"
#include "storage/store.hpp"

namespace deskgate {

class CurlSmtpSender;
struct RefusedRecipient;
struct SendResult;

class OutboxWorker {
public:
    using Now = std::function<UnixTime()>;
    // `holder` names this daemon in its claims; a claim lasts `lease` unless renewed (a dead
    // daemon's mail is sent by another after that).
    OutboxWorker(SmtpConfig smtp, DatabaseUrl database, Now now, std::string holder = "",
                 std::chrono::seconds lease = std::chrono::seconds(20));
    ~OutboxWorker();

    void start();
    // Finishes the mail in hand, then returns.
    void stop();
    // Something was queued: look now rather than at the next timer.
    void notify();

    // Called in the transaction that records a mail as failed for good (with a ticket), on the
    // worker's thread: the daemon tells the agents (delivery_failed).
    using FailureHook = std::function<void(SociStore&, const OutboxRecord&, const std::string& reason)>;
    void onFailure(FailureHook hook) { on_failure_ = std::move(hook); }
    // Told of every send's result and time (on the worker's thread); set before start().
    void setMonitor(Monitor* monitor) { monitor_ = monitor ? monitor : &quiet_; }

    // One pass: sends every due mail; returns how many were handled. Used by the thread and by tests.
    int runOnce(SociStore& store);

private:
    void loop();
    // Recipients refused while the mail went to the others: an event each; a permanent refusal
    // is not tried again for the ticket, a temporary one gets the mail again later.
    void recordRefused(SociStore& store, const OutboxRecord& mail, const std::vector<RefusedRecipient>& refused,
                       UnixTime now);
    bool stopping();
    // Records one send in its own transaction: sent, deferred or failed for good.
    void record(SociStore& store, const OutboxRecord& mail, const SendResult& result, double seconds);

    SmtpConfig smtp_;
    DatabaseUrl database_;
    Now now_;
    std::string holder_;
    std::chrono::seconds lease_;
    FailureHook on_failure_;
    Monitor quiet_;
    Monitor* monitor_ = &quiet_;
    std::unique_ptr<CurlSmtpSender> sender_;  // used by one thread at a time
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
    bool poke_ = false;
};

}  // namespace deskgate
