// What `deskgate status` reads: the daemon's own view of its connections (the service_status
// table, one row per mailbox and one for SMTP, written by the daemon as their state changes),
// and summaries of the outbox, the quarantine and the tickets' deadlines.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "storage/database.hpp"
#include "storage/records.hpp"

namespace deskgate {

struct ServiceStatus {
    std::string kind;  // "mailbox" or "smtp"
    std::string name;  // the mailbox's name; "smtp" for the sender
    bool connected = false;
    std::optional<UnixTime> last_contact_at;  // the server last answered
    std::string last_error;                   // "" when the last attempt succeeded
    std::optional<UnixTime> last_error_at;
    UnixTime updated_at = 0;
    std::string daemon;  // host:pid of the daemon that wrote it
};

struct OutboxSummary {
    std::int64_t queued = 0;  // waiting to be sent (first try or retry)
    std::optional<UnixTime> oldest_queued_at;
    std::int64_t failed = 0;  // given up for good
    std::string last_error;   // of the newest mail that had one, queued or failed
};

struct TicketSummary {
    std::int64_t open = 0;      // new, open or pending
    std::int64_t at_risk = 0;   // new or open, a deadline within the window, none passed
    std::int64_t breached = 0;  // new or open, a deadline passed (first response unanswered, or resolution)
};

class StatusStore {
public:
    explicit StatusStore(SociDatabase& db) : db_(db) {}

    void saveService(const ServiceStatus& status);
    std::vector<ServiceStatus> services();

    OutboxSummary outboxSummary();
    std::int64_t quarantineCount();  // not released
    TicketSummary ticketSummary(UnixTime now, std::int64_t risk_window_seconds);

private:
    soci::session& sql() { return db_.session(); }
    SociDatabase& db_;
};

}  // namespace deskgate
