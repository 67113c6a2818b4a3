// What the escalation and report schedulers share: a coroutine on the Asio loop that runs a
// pass, then sleeps on a timer until the time the pass asked for (at most an hour, so a clock
// change is noticed), or `retry` after a failed pass. wake() looks again now; stop() ends it.
// The clock is injected, so tests drive the passes with a fake one.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "daemon/runtime.hpp"
#include "storage/store.hpp"

namespace deskgate {

class Scheduler {
public:
    using Now = std::function<UnixTime()>;
    using RuntimeSource = std::function<std::shared_ptr<const Runtime>()>;

    Scheduler(boost::asio::io_context& io, RuntimeSource runtime, SociStore& store, Now now,
              std::function<void()> mail_queued, std::string what, std::chrono::seconds retry);
    virtual ~Scheduler() = default;
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    boost::asio::awaitable<void> run();
    void wake();  // something changed: look again now
    void stop();

protected:
    // One pass: does what is due; returns when to look next (none: nothing is scheduled).
    virtual std::optional<UnixTime> pass() = 0;

    RuntimeSource runtime_;
    SociStore& store_;
    Now now_;
    std::function<void()> mail_queued_;

private:
    boost::asio::steady_timer timer_;
    std::string what_;
    std::chrono::seconds retry_;
    bool stopping_ = false;
};

}  // namespace deskgate
