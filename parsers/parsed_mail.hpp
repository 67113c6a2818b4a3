// The data a raw mail becomes: what every other part of deskgate reads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace deskgate {

struct Address {
    std::string name;     // decoded display name (UTF-8), may be empty
    std::string address;  // addr-spec as written (local@domain), may be empty for broken input
    bool operator==(const Address&) const = default;
};

enum class MailKind { normal, bounce, auto_reply, list, feedback_report };
std::string_view toString(MailKind kind);

struct BounceInfo {
    std::string failed_recipient;     // address that failed, if known
    std::string status;               // DSN status code, e.g. "5.1.1"
    bool permanent = false;           // 5.x.x (or MTA text saying so)
    std::string original_message_id;  // Message-ID of the mail that bounced, if carried
};

struct Attachment {
    // Decoded (RFC 2047 / RFC 2231), UTF-8, safe to write as a file name (no path parts or
    // control characters) and unique in the mail; generated from the type when the mail
    // names none ("image-1.jpg", "message-1.eml", "delivery-status.txt", "attachment-1.bin").
    std::string filename;
    bool name_given = false;   // the mail named the file (parameter, TNEF or uuencode header)
    std::string content_type;  // lower-case type/subtype
    std::size_t size = 0;      // decoded size in bytes
    std::string sha256;        // lower-case hex of the decoded content
    bool is_inline = false;
    std::string content_id;    // without angle brackets
};

struct ParsedMail {
    std::string message_id;                // without angle brackets; empty if absent
    std::string date;                      // ISO 8601 with offset; empty if absent or unparseable
    std::vector<Address> from;
    std::vector<Address> reply_to;
    std::vector<Address> to;
    std::vector<Address> cc;
    std::string subject;                   // decoded UTF-8
    std::string in_reply_to;               // first msg-id, without angle brackets
    std::vector<std::string> references;   // msg-ids without angle brackets, in order
    std::string text;                      // readable body, UTF-8
    std::string reply_text;                // the new part of `text`
    std::string quoted;                    // the quoted history split off `text`
    std::vector<Attachment> attachments;
    MailKind kind = MailKind::normal;
    std::optional<BounceInfo> bounce;      // set when kind == bounce
    std::string auto_reply_reason;         // set when kind == auto_reply (e.g. "Auto-Submitted: auto-replied")
    std::optional<std::uint64_t> token;    // ticket number from the subject token
    std::vector<std::string> defects;      // what was wrong but survived

    // Raw header access for rules (`header:` matcher) and loop detection:
    // every header field in order, name as written, value unfolded and decoded to UTF-8.
    std::vector<std::pair<std::string, std::string>> headers;
    // First value of a header, case-insensitive name; nullptr if absent.
    const std::string* header(std::string_view name) const;
};

struct Limits {
    std::size_t max_size = 50u * 1024 * 1024;   // whole message, bytes
    std::size_t max_depth = 20;                 // MIME nesting
    std::size_t max_parts = 1000;               // MIME parts in total
    std::size_t max_headers = 1000;             // header fields per entity
    std::size_t max_line_length = 1000000;      // bytes in one line
    // HTML converted to text per mail, all parts together (gumbo runs at roughly 5–10 MB/s;
    // more HTML is cut here, with a defect, so one mail cannot take more than tens of ms).
    std::size_t max_html_bytes = 128u * 1024;
};

struct ParseOptions {
    Limits limits;
    // Ticket token format in the subject; `{number}` stands for the ticket number.
    std::string token_format = "[Ticket#{number}]";
};

struct ParseError {
    std::string code;     // stable, machine-readable: "too_large", "too_deep", "too_many_parts", ...
    std::string message;  // for people: what was wrong
};

std::expected<ParsedMail, ParseError> parseMail(std::string_view raw, const ParseOptions& options = {});

// Records a defect once; a pathological mail can trigger the same one thousands of times, so
// the list stops at 50.
inline void addDefect(std::vector<std::string>& defects, std::string text) {
    if (defects.size() >= 50) return;
    for (const auto& d : defects)
        if (d == text) return;
    defects.push_back(std::move(text));
}

// An attachment with its decoded bytes.
struct AttachmentContent {
    Attachment attachment;
    std::string data;
};

// The decoded bytes of the attachments at `indices` (positions in parseMail(raw, options).attachments),
// in the order asked; an index past the end is left out. The mail is parsed again with the same
// options, so names and positions are parseMail's; only the asked-for parts are kept in memory.
// Bytes are as decoded from the transfer encoding (base64 is exact; line ends of text and attached
// messages are LF, as parseMail hashes them).
std::expected<std::vector<AttachmentContent>, ParseError> attachmentContents(std::string_view raw,
                                                                             const std::vector<std::size_t>& indices,
                                                                             const ParseOptions& options = {});

// The position of the attachment called `name` in `mail.attachments`: the exact name, else the
// one equal ignoring ASCII case (names are unique in a mail ignoring case).
std::optional<std::size_t> findAttachment(const ParsedMail& mail, std::string_view name);

// The ticket number in `subject` for `token_format`, if any (used by parseMail, exported for tests).
std::optional<std::uint64_t> extractToken(std::string_view subject, std::string_view token_format);

}  // namespace deskgate
