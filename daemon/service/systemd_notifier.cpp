#include "daemon/service/systemd_notifier.hpp"

#include "daemon/logging.hpp"

#include <systemd/sd-daemon.h>

#include <spdlog/spdlog.h>

namespace deskgate {

namespace {

std::shared_ptr<spdlog::logger> log() { return componentLog("deskgate"); }

// STATUS= is one line: a newline would start another assignment.
std::string oneLine(std::string_view s) {
    std::string out(s);
    for (char& c : out)
        if (c == '\n' || c == '\r') c = ' ';
    return out;
}

}  // namespace

SystemdNotifier::SystemdNotifier(boost::asio::io_context& io) : timer_(io) {}

void SystemdNotifier::send(const std::string& state) {
    // unset_environment = 0: a reload or a child may notify again. A negative return is an
    // error talking to the socket; 0 means there is no NOTIFY_SOCKET (not under systemd).
    int r = sd_notify(0, state.c_str());
    if (r < 0) log()->warn("sd_notify failed state={} errno={}", state.substr(0, state.find('\n')), -r);
}

void SystemdNotifier::ready(std::string_view status) {
    if (ready_) {
        this->status(status);
        return;
    }
    ready_ = true;
    send("READY=1\nSTATUS=" + oneLine(status));
}

void SystemdNotifier::reloading() { send("RELOADING=1"); }

void SystemdNotifier::reloaded(std::string_view status) { send("READY=1\nSTATUS=" + oneLine(status)); }

void SystemdNotifier::stopping() {
    stopping_ = true;
    stopWatchdog();
    send("STOPPING=1\nSTATUS=stopping: finishing the mail in hand");
}

void SystemdNotifier::status(std::string_view status) { send("STATUS=" + oneLine(status)); }

void SystemdNotifier::startWatchdog() {
    uint64_t usec = 0;
    // > 0: WATCHDOG_USEC is set and WATCHDOG_PID (if any) is ours.
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return;
    watchdog_ = std::chrono::microseconds(usec);
    log()->info("systemd watchdog on interval_ms={}", usec / 1000);
    ping();
}

void SystemdNotifier::stopWatchdog() { timer_.cancel(); }

void SystemdNotifier::ping() {
    if (stopping_) return;
    send("WATCHDOG=1");
    // Half the interval, as sd_watchdog_enabled(3) recommends: one late ping is not fatal.
    timer_.expires_after(watchdog_ / 2);
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) ping();
    });
}

}  // namespace deskgate
