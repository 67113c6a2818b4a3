// Plain rows of the ticket database, as the rest of deskgate sees them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deskgate {

using UnixTime = std::int64_t;  // seconds since the epoch, UTC

struct TicketRecord {
    std::int64_t id = 0;
    std::int64_t number = 0;
    std::string subject;
    std::string status = "open";      // open, pending, resolved, closed
    std::string priority = "normal";  // low, normal, high, urgent
    std::string queue = "general";
    std::string team;
    std::string category;
    std::string tags;                 // space-separated
    std::string sla;
    std::string customer_address;
    std::string customer_name;
    std::string assignee;             // agent name, empty if nobody
    std::string language;
    std::string mailbox;
    UnixTime created_at = 0;
    UnixTime updated_at = 0;
    std::optional<UnixTime> first_response_at;
    std::optional<UnixTime> resolved_at;
    std::optional<UnixTime> closed_at;
    std::optional<UnixTime> first_response_due;  // SLA deadlines (business time already applied)
    std::optional<UnixTime> resolution_due;
    std::string escalations;                      // names of fired escalation steps, '\n'-separated
    std::optional<int> rating;                    // 1..5, the customer's answer to the closing question
    std::string rating_comment;
    std::optional<UnixTime> rated_at;
    std::optional<UnixTime> rating_requested_at;  // when the closing notice asked for a rating
    int reopened_count = 0;
    std::optional<std::int64_t> follows_number;   // the older ticket this one follows (linked)
    std::string reply_address;                    // where the customer is answered, when not
                                                  // customer_address (a Reply-To of the same domain)
    std::int64_t version = 0;                     // counts the updates: updateTicket refuses a stale copy

    bool operator==(const TicketRecord&) const = default;
};

// Kinds of outgoing mail that go to the customer (and the participants in Cc); the others go
// to agents. Threading for the customer and who counts as a participant both read this list.
inline constexpr std::array<std::string_view, 6> kCustomerFacingKinds = {
    "acknowledgement", "agent_reply", "resolved", "auto_closed", "rating_thanks", "status_changed"};

inline bool isCustomerFacingKind(std::string_view kind) {
    for (auto k : kCustomerFacingKinds)
        if (k == kind) return true;
    return false;
}

struct MessageRecord {
    std::int64_t id = 0;
    std::int64_t ticket_id = 0;
    std::string direction;            // "in" or "out"
    std::string author;               // "customer", "agent:<name>", "system"
    std::string message_id;           // without <>; empty if none
    std::string in_reply_to;
    std::string references;           // space-separated
    std::string from_address;
    std::string from_name;
    std::string to;                   // comma-separated addresses
    std::string cc;
    std::string subject;
    std::string text;
    std::string raw;                  // exact bytes as received; empty for sent mail, whose
                                      // bytes are in its outbox row (same Message-ID)
    std::string kind = "normal";
    std::string mailbox;
    UnixTime created_at = 0;
    std::string body_sha256;          // of the received body (after the header), hex
};

// A stored message as far as telling a repeat from a reused Message-ID needs it.
struct MessageFingerprint {
    std::string direction;
    std::string from_address;
    std::string body_sha256;          // empty for messages stored before it was recorded
    std::string raw;
};

struct EventRecord {
    std::int64_t id = 0;
    std::int64_t ticket_id = 0;
    UnixTime at = 0;
    std::string actor;                // "customer:<addr>", "agent:<name>", "system"
    std::string type;                 // created, message, status, priority, assigned, sent, send_failed, ...
    std::string detail;
};

struct OutboxRecord {
    std::int64_t id = 0;
    std::optional<std::int64_t> ticket_id;
    std::string kind;                 // acknowledgement, agent_notification, ...
    std::string mail_from;            // envelope sender
    std::vector<std::string> recipients;
    std::string message_id;
    std::string raw;                  // the complete message, CRLF line ends
    std::string status = "queued";    // queued, sent, failed
    int attempts = 0;
    UnixTime next_attempt_at = 0;
    std::string last_error;
    UnixTime created_at = 0;
    std::optional<UnixTime> sent_at;
};

struct QuarantineRecord {
    std::int64_t id = 0;
    std::string mailbox;
    std::int64_t uidvalidity = 0;
    std::int64_t uid = 0;
    std::string message_id;
    std::string reason;
    std::string raw;
    UnixTime created_at = 0;
};

struct Checkpoint {
    std::string mailbox;
    std::int64_t uidvalidity = 0;
    std::int64_t last_uid = 0;
    // first_start: all — mail up to this UID was in the folder before the first start and is
    // imported without acknowledgements or notifications (0: none).
    std::int64_t import_until = 0;
    // The lowest UID intake owns (first_start new_only/since: the one after the start; 0 or 1:
    // all). Mail below it was never ours: it is neither flagged nor moved after a restart.
    std::int64_t first_uid = 0;
};

// One row of the intake log: what became of one incoming mail.
struct IntakeLogRecord {
    std::int64_t id = 0;
    std::string mailbox;
    std::int64_t uidvalidity = 0;
    std::int64_t uid = 0;
    std::string message_id;
    std::string outcome;                       // new_ticket, reply, duplicate, quarantined, ...
    std::optional<std::int64_t> ticket_number;
    std::string detail;                        // why, for outcomes that need it
    UnixTime at = 0;
};

// Where an incoming mail came from: an IMAP mailbox (uidvalidity/uid set) or `deskgate ingest`.
struct MailOrigin {
    std::string mailbox;
    std::int64_t uidvalidity = 0;  // 0 for ingest
    std::int64_t uid = 0;          // 0 for ingest
};

}  // namespace deskgate
