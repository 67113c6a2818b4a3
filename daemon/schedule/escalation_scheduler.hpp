// Fires SLA escalation steps and auto-closes tickets pending on the customer. It sleeps on an
// Asio timer until the next deadline any ticket has (not a polling sweep); new tickets and
// changes wake it. Each fired step is recorded on the ticket, so it fires exactly once even
// across restarts.
#pragma once

#include "daemon/monitor.hpp"
#include "daemon/schedule/scheduler.hpp"

namespace deskgate {

class EscalationScheduler : public Scheduler {
public:
    EscalationScheduler(boost::asio::io_context& io, RuntimeSource runtime, SociStore& store, Now now,
                        std::function<void()> mail_queued);

    // One pass over the active tickets: fires what is due, returns when to look next.
    // Used by run() and by tests with an injected clock. A ticket that fails is logged and
    // skipped (tried again after kRetryFailedTicket); only the database going away
    // (StorageUnavailable) ends the pass.
    std::optional<UnixTime> sweep();

    static constexpr UnixTime kRetryFailedTicket = 300;

    // Told of every step fired (after its transaction committed).
    void setMonitor(Monitor* monitor) { monitor_ = monitor; }

protected:
    std::optional<UnixTime> pass() override { return sweep(); }

private:
    // Claims one ticket something was due for, decides again on what is stored, and fires it.
    void sweepTicket(const Runtime& runtime, const TicketRecord& snapshot, UnixTime now, std::optional<UnixTime>& next,
                     int& queued);

    Monitor* monitor_ = nullptr;
};

}  // namespace deskgate
