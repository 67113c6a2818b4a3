#include "daemon/schedule/scheduler.hpp"

#include "daemon/logging.hpp"

#include <algorithm>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

namespace deskgate {

Scheduler::Scheduler(boost::asio::io_context& io, RuntimeSource runtime, SociStore& store, Now now,
                     std::function<void()> mail_queued, std::string what, std::chrono::seconds retry)
    : runtime_(std::move(runtime)), store_(store), now_(std::move(now)), mail_queued_(std::move(mail_queued)),
      timer_(io), what_(std::move(what)), retry_(retry) {}

void Scheduler::wake() { timer_.cancel(); }

void Scheduler::stop() {
    stopping_ = true;
    timer_.cancel();
}

boost::asio::awaitable<void> Scheduler::run() {
    auto log = componentLog("deskgate");
    while (!stopping_) {
        std::optional<UnixTime> next;
        try {
            next = pass();
        } catch (const StorageConflict& e) {
            // Other daemons' sessions kept getting in the way: nothing was done, the pass runs again soon.
            log->warn("{} ran into other sessions, again in a moment reason={}", what_, e.what());
            next = now_() + 1;
        } catch (const std::exception& e) {
            log->error("{} failed reason={}", what_, e.what());
            next = now_() + retry_.count();
        }
        if (stopping_) break;
        auto wait = std::chrono::seconds(3600);
        if (next) wait = std::chrono::seconds(std::clamp<long long>(*next - now_(), 0, 3600));
        timer_.expires_after(wait);
        boost::system::error_code ec;
        co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
}

}  // namespace deskgate
