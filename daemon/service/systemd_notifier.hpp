// Tells systemd how the daemon is doing (sd_notify(3), Type=notify): READY=1 once it works,
// RELOADING=1 … READY=1 around a reload, STOPPING=1 on SIGTERM, and WATCHDOG=1 from a timer on
// the Asio loop at half of WatchdogSec= (so a stuck loop stops the pings and systemd restarts
// the daemon). Without NOTIFY_SOCKET (not started by systemd) every call does nothing.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace deskgate {

class SystemdNotifier {
public:
    explicit SystemdNotifier(boost::asio::io_context& io);

    // READY=1 with a STATUS= line; only the first call sends READY (later ones only STATUS).
    void ready(std::string_view status);
    bool isReady() const { return ready_; }
    void reloading();
    void reloaded(std::string_view status);
    void stopping();
    void status(std::string_view status);

    // Starts the WATCHDOG=1 pings when systemd asked for them (WATCHDOG_USEC for this pid).
    void startWatchdog();
    void stopWatchdog();
    std::chrono::microseconds watchdogInterval() const { return watchdog_; }

private:
    void send(const std::string& state);
    void ping();

    boost::asio::steady_timer timer_;
    std::chrono::microseconds watchdog_{0};
    bool ready_ = false;
    bool stopping_ = false;
};

}  // namespace deskgate
