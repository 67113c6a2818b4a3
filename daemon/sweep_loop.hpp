// The loop both schedulers run: a sweep returns when it wants to look next; the coroutine
// sleeps on the Asio timer until then (at most an hour, so a clock change is noticed), or
// `retry` after a failed sweep. wake() and stop() cancel the timer.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "storage/records.hpp"

namespace deskgate {

inline boost::asio::awaitable<void> sweepLoop(boost::asio::steady_timer& timer, const bool& stopping,
                                              std::function<std::optional<UnixTime>()> sweep,
                                              std::function<UnixTime()> now, std::chrono::seconds retry,
                                              std::string what) {
    auto log = spdlog::get("deskgate") ? spdlog::get("deskgate") : spdlog::default_logger();
    while (!stopping) {
        std::optional<UnixTime> next;
        try {
            next = sweep();
        } catch (const std::exception& e) {
            log->error("{} failed reason={}", what, e.what());
            next = now() + retry.count();
        }
        if (stopping) break;
        auto wait = std::chrono::seconds(3600);
        if (next) wait = std::chrono::seconds(std::clamp<long long>(*next - now(), 0, 3600));
        timer.expires_after(wait);
        boost::system::error_code ec;
        co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
}

}  // namespace deskgate
