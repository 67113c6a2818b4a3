#include "daemon/report_scheduler.hpp"

#include <algorithm>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "daemon/report_runner.hpp"
#include "daemon/text_format.hpp"

namespace deskgate {

namespace asio = boost::asio;

ReportScheduler::ReportScheduler(asio::io_context& io, std::function<std::shared_ptr<const Runtime>()> runtime,
                                 SociTicketStore& store, Now now, std::function<void()> mail_queued)
    : timer_(io), runtime_(std::move(runtime)), store_(store), now_(std::move(now)),
      mail_queued_(std::move(mail_queued)) {}

void ReportScheduler::wake() { timer_.cancel(); }

void ReportScheduler::stop() {
    stopping_ = true;
    timer_.cancel();
}

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

asio::awaitable<void> ReportScheduler::run() {
    auto log = spdlog::get("deskgate");
    while (!stopping_) {
        std::optional<UnixTime> next;
        try {
            next = sweep();
        } catch (const std::exception& e) {
            log->error("scheduled report failed reason={}", e.what());
            next = now_() + 60;
        }
        if (stopping_) break;
        // Sleep until the next due time (at most an hour, so a clock change is noticed).
        auto wait = std::chrono::seconds(3600);
        if (next) wait = std::chrono::seconds(std::clamp<long long>(*next - now_(), 0, 3600));
        timer_.expires_after(wait);
        boost::system::error_code ec;
        co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
}

}  // namespace deskgate
