// Fires SLA escalation steps and auto-closes tickets pending on the customer. It sleeps on an
// Asio timer until the next deadline any ticket has (not a polling sweep); new tickets and
// changes wake it. Each fired step is recorded on the ticket, so it fires exactly once even
// across restarts.
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

class EscalationScheduler {
public:
    using Now = std::function<UnixTime()>;
    EscalationScheduler(boost::asio::io_context& io, std::function<std::shared_ptr<const Runtime>()> runtime,
                        SociTicketStore& store, Now now, std::function<void()> mail_queued);

    boost::asio::awaitable<void> run();
    void wake();  // something changed: look again now
    void stop();

    // One pass over the active tickets: fires what is due, returns when to look next.
    // Used by run() and by tests with an injected clock.
    std::optional<UnixTime> sweep();

private:
    boost::asio::steady_timer timer_;
    std::function<std::shared_ptr<const Runtime>()> runtime_;
    SociTicketStore& store_;
    Now now_;
    std::function<void()> mail_queued_;
    bool stopping_ = false;
};

}  // namespace deskgate
