// Mails the configured `reports:` at their due times through the outbox. It sleeps on an
// Asio timer until the next due time; the time is injected, so tests drive it with a fake
// clock. Each report is queued once per due time, recorded in report_runs in the same
// transaction as the outbox row, so a restart neither repeats nor loses one. The first time a
// report is seen, its latest past due time is recorded without sending (a newly configured
// report starts with its next due time).
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "daemon/runtime.hpp"
#include "storage/ticket_store.hpp"

namespace deskgate {

class ReportScheduler {
public:
    using Now = std::function<UnixTime()>;
    ReportScheduler(boost::asio::io_context& io, std::function<std::shared_ptr<const Runtime>()> runtime,
                    SociTicketStore& store, Now now, std::function<void()> mail_queued);

    boost::asio::awaitable<void> run();
    void wake();  // the configuration changed: look again now
    void stop();

    // Queues what is due; returns the next due time (none when no report is configured).
    // Used by run() and by tests with an injected clock. Returns how many were queued in `queued`.
    std::optional<UnixTime> sweep(int* queued = nullptr);

private:
    boost::asio::steady_timer timer_;
    std::function<std::shared_ptr<const Runtime>()> runtime_;
    SociTicketStore& store_;
    Now now_;
    std::function<void()> mail_queued_;
    bool stopping_ = false;
};

}  // namespace deskgate
