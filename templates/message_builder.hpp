// Outgoing mail as RFC 5322 / MIME bytes: what the outbox hands to SMTP.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "parsers/parsed_mail.hpp"

namespace deskgate {

// The header deskgate puts on every automatic mail so its own mail coming back is
// recognised (its value is the support address that sent it).
inline constexpr std::string_view kLoopHeader = "X-Deskgate-Loop";

// A file sent along. message/rfc822 (a whole mail) goes as 8bit when it can (RFC 2046
// §5.2.1 allows no base64 there), otherwise as application/octet-stream in base64.
struct OutgoingAttachment {
    std::string filename;      // UTF-8; RFC 2231-encoded when not ASCII
    std::string content_type;  // type/subtype
    std::string data;          // the bytes
};

struct OutgoingMail {
    Address from;
    std::vector<Address> to, cc;
    std::optional<Address> reply_to;
    std::string subject, text;             // UTF-8; text with any line ends
    std::optional<std::string> html;       // UTF-8 HTML alternative
    std::string message_id;                // without <>; see makeMessageId
    std::string in_reply_to;               // without <>; empty for a new thread
    std::vector<std::string> references;   // without <>, oldest first
    std::string auto_submitted;            // "", "auto-replied", "auto-generated"
    std::vector<std::pair<std::string, std::string>> extra_headers;
    std::chrono::system_clock::time_point date;
    std::vector<OutgoingAttachment> attachments;  // multipart/mixed when any
};

// RFC 5322 message with CRLF line ends, ready for SMTP (dot-stuffing is the sender's job).
// - Date in RFC 5322 §3.3 form (UTC, "+0000").
// - From/To/Cc/Reply-To: display names RFC 2047 encoded when not ASCII, quoted when they
//   hold specials; addr-specs stripped of anything that cannot be in one.
// - Subject RFC 2047 encoded where needed; every field folded at 78 characters where a
//   space allows it (never over 998).
// - Message-ID (left out when message_id is empty: always set one), In-Reply-To,
//   References (RFC 5322 §3.6.4; in_reply_to is appended to the
//   references when missing; long chains keep the first id and the most recent ones).
// - text/plain; charset=utf-8, quoted-printable; multipart/alternative with the HTML;
//   multipart/mixed around that when there are attachments.
// - When auto_submitted is set: Auto-Submitted (RFC 3834 §5), X-Auto-Response-Suppress: All
//   and the loop header.
// - No value can add a header: CR, LF and other controls become spaces everywhere; extra
//   headers with an invalid name, or a name deskgate sets itself, are dropped.
std::string buildMessage(const OutgoingMail& mail);

// A Message-ID "id-left@id-right" (RFC 5322 §3.6.4, no angle brackets), unique as long as
// `unique_seed` is (e.g. "t1042-o17" from the ticket and the outbox row): the same seed
// gives the same id, so a retried send keeps its id.
std::string makeMessageId(std::string_view domain, std::string_view unique_seed);

// Maximum number of ids written to References.
inline constexpr std::size_t kMaxReferences = 20;

// Parts of buildMessage, exported for tests and for callers building their own headers.
std::string formatDate(std::chrono::system_clock::time_point when);  // "Fri, 27 Nov 2026 16:23:02 +0000"
std::string formatAddressField(std::string_view name, const std::vector<Address>& addresses);
std::string cleanAddrSpec(std::string_view address);  // drops characters no addr-spec may hold; at most 254
std::string cleanMessageId(std::string_view id);      // drops <>, white space and controls; at most 250

}  // namespace deskgate
