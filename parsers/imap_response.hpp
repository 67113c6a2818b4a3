// A push parser for IMAP4rev1 server responses (RFC 3501 §7): bytes in, whole responses out.
// Used by the IMAP client, which speaks the few commands deskgate needs itself (DESIGN §2a),
// so that literals (message bodies of any size) and long lines are handled without libcurl's
// response-size cap.
#pragma once

#include <cstdint>
#include <deque>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deskgate {

struct ImapResponse {
    enum class Kind { untagged, tagged, continuation };
    Kind kind = Kind::untagged;
    std::string tag;                    // tagged responses: the command's tag
    std::string text;                   // the response without tag/"*"/"+" and without literal bytes;
                                        // each literal appears as "{N}" where it was
    std::vector<std::string> literals;  // literal payloads, in order

    // Status responses: "OK", "NO", "BAD", "BYE", "PREAUTH" (upper-cased), else empty.
    std::string status() const;
    // Response code value, e.g. code("UIDVALIDITY") for "OK [UIDVALIDITY 3857529045] UIDs valid".
    std::optional<std::string> code(std::string_view name) const;
    // "* 23 EXISTS" -> number for name "EXISTS".
    std::optional<std::uint64_t> numbered(std::string_view name) const;
};

struct ImapError {
    std::string message;
};

class ImapResponseParser {
public:
    explicit ImapResponseParser(std::size_t max_line = 1u << 20, std::size_t max_literal = 256u << 20)
        : max_line_(max_line), max_literal_(max_literal) {}

    // Adds bytes read from the connection. An error means the stream is not IMAP (or exceeds a
    // limit); the connection should be dropped.
    std::expected<void, ImapError> feed(std::string_view bytes);
    // The next complete response, if any.
    std::optional<ImapResponse> next();

private:
    std::expected<void, ImapError> finishLine(std::string_view line);

    std::size_t max_line_, max_literal_;
    std::string buffer_;              // unconsumed input
    ImapResponse current_;
    bool in_response_ = false;
    std::size_t literal_remaining_ = 0;
    bool in_literal_ = false;
    std::deque<ImapResponse> ready_;
};

// One message from "* n FETCH (UID u FLAGS (...) RFC822.SIZE s BODY[] {N}...)".
struct ImapFetch {
    std::uint64_t sequence = 0;
    std::uint64_t uid = 0;
    std::vector<std::string> flags;
    std::optional<std::uint64_t> size;  // RFC822.SIZE
    std::optional<std::string> body;    // BODY[] content; none for NIL (RFC 3501 §7.4.2) or absent
    std::optional<std::string> header;  // BODY[HEADER] content
};

std::optional<ImapFetch> parseFetch(const ImapResponse& response);
// The same, moving the literals out of `response` instead of copying them (a body may be tens
// of MB: it is held once, not twice).
std::optional<ImapFetch> takeFetch(ImapResponse& response);
// "* SEARCH 1 2 3" or "* ESEARCH (TAG "x") UID ALL 1:3,7" -> UIDs.
std::optional<std::vector<std::uint64_t>> parseSearch(const ImapResponse& response);
// "* CAPABILITY IMAP4rev1 IDLE ..." or "OK [CAPABILITY ...]" -> upper-cased capability names.
std::vector<std::string> parseCapabilities(const ImapResponse& response);
// A sequence set "1:3,7,9:*" with '*' = max.
std::vector<std::uint64_t> expandSequenceSet(std::string_view set, std::uint64_t max);
// Quotes a string for an IMAP command (RFC 3501 §4.3 quoted string).
std::string imapQuote(std::string_view s);
// A folder name as IMAP4rev1 servers want it: modified UTF-7 (RFC 3501 §5.1.3, "Entwürfe" ->
// "Entw&APw-rfe"; '&' -> "&-"), through glibc's iconv "UTF-7-IMAP". ASCII without '&' is unchanged.
std::string imapMailboxName(std::string_view utf8);

}  // namespace deskgate
