#include "daemon/schedule/report_scheduler.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "daemon/schedule/report_runner.hpp"
#include "daemon/text_format.hpp"

namespace deskgate {

namespace asio = boost::asio;

ReportScheduler::ReportScheduler(asio::io_context& io, RuntimeSource runtime, SociStore& store, Now now,
                                  std::function<void()> mail_queued)
    : Scheduler(io, std::move(runtime), store, std::move(now), std::move(mail_queued),
                "scheduled report", std::chrono::seconds(60)) {}

std::optional<UnixTime> ReportScheduler::sweep(int* queuedOut) {
    auto runtime = runtime_();
    const UnixTime now = now_();
    std::optional<UnixTime> next;
    int queued = 0;
    for (const auto& report : runtime->config.reports) {
        const auto* zone = scheduleZone(report, *runtime->rules);
        const UnixTime due = lastDueAtOrBefore(report, zone, now);
        store_.transaction([&] {
            auto last = lastReportRun(store_, report.name);
            if (!last) {
                claimReportRun(store_, report.name, due, now);  // first sight: start from the next due time
                return;
            }
            if (*last >= due || !claimReportRun(store_, report.name, due, now)) return;
            queueScheduledReport(store_, *runtime, report, due, now);
            ++queued;
            spdlog::info("scheduled report queued report={} due={}", report.name, isoTime(due));
        });
        const UnixTime following = nextDueAfter(report, zone, now);
        if (!next || following < *next) next = following;
    }
    if (queued > 0 && mail_queued_) mail_queued_();
    if (queuedOut) *queuedOut = queued;
    return next;
}

}  // namespace deskgate
