// What the daemon's parts tell as they work, for the metrics, for `deskgate status` (the
// service_status table) and for systemd's readiness notification. The IMAP watchers, the
// outbox worker and the escalation scheduler call it; the daemon passes its DeskMonitor
// (daemon/service/desk_monitor.hpp), tests and one-shot commands pass nothing. The IMAP
// methods are called on the Asio loop's thread, the SMTP ones on the outbox worker's.
#pragma once

#include <string_view>

namespace deskgate {

class Monitor {
public:
    virtual ~Monitor() = default;

    // ---- IMAP, per mailbox (loop thread) ----
    virtual void mailboxConnected(std::string_view /*mailbox*/) {}   // logged in and selected the folder
    virtual void mailboxContact(std::string_view /*mailbox*/) {}     // the server answered (search, fetch, IDLE)
    virtual void mailboxDown(std::string_view /*mailbox*/, std::string_view /*error*/) {}  // the session failed
    virtual void mailboxStopped(std::string_view /*mailbox*/) {}     // disconnected on shutdown
    // Another daemon on the same database holds the mailbox's lease (several daemons): this one
    // does not watch it, and need not wait for it to be ready.
    virtual void mailboxElsewhere(std::string_view /*mailbox*/, std::string_view /*holder*/) {}
    // One mail taken in: outcome as Intake reports it, the quarantine reason ("" otherwise),
    // and the time processing it took inside the batch's transaction.
    virtual void mailTakenIn(std::string_view /*mailbox*/, std::string_view /*outcome*/, std::string_view /*reason*/,
                             double /*seconds*/) {}
    // One batch: from the FETCH to the COMMIT.
    virtual void batchTakenIn(std::string_view /*mailbox*/, std::size_t /*mails*/, double /*seconds*/) {}

    // ---- SMTP (outbox worker's thread) ----
    // result: sent, deferred (4xx or unreachable, retried), failed (for good)
    virtual void mailSent(std::string_view /*kind*/, std::string_view /*result*/, double /*seconds*/,
                          std::string_view /*error*/) {}

    // ---- elsewhere ----
    virtual void escalationFired(std::string_view /*step*/) {}
    // A ticket's escalation or auto-close failed; it was skipped and is tried again later.
    virtual void escalationFailed() {}
    // A database operation failed. kind: unavailable (connection) or error (anything else).
    virtual void databaseError(std::string_view /*component*/, std::string_view /*kind*/) {}
};

}  // namespace deskgate
