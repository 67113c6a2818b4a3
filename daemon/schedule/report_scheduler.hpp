// Mails the configured `reports:` at their due times through the outbox. It sleeps on an
// Asio timer until the next due time; the time is injected, so tests drive it with a fake
// clock. Each report is queued once per due time, recorded in report_runs in the same
// transaction as the outbox row, so a restart neither repeats nor loses one. The first time a
// report is seen, its latest past due time is recorded without sending (a newly configured
// report starts with its next due time).
#pragma once

#include "daemon/schedule/scheduler.hpp"

namespace deskgate {

class ReportScheduler : public Scheduler {
public:
    ReportScheduler(boost::asio::io_context& io, RuntimeSource runtime, SociStore& store, Now now,
                    std::function<void()> mail_queued);

    // Queues what is due; returns the next due time (none when no report is configured).
    // Used by run() and by tests with an injected clock. Returns how many were queued in `queued`.
    std::optional<UnixTime> sweep(int* queued = nullptr);

protected:
    std::optional<UnixTime> pass() override { return sweep(); }
};

}  // namespace deskgate
