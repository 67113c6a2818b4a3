// Header blocks (RFC 5322 §2.2, §3.6) as mail really has them: unfolding, obsolete forms,
// mbox separators, and the lenient cases relays produce (unindented continuations).
#include "parsers/mime_entity.hpp"
#include "parsers/ascii.hpp"

#include "parsers/charset.hpp"

#include <algorithm>
#include <iterator>

namespace deskgate {
namespace {

// A valid field name (RFC 5322 §3.6.8: printable ASCII except ':').
bool isFieldName(std::string_view s) {
    if (s.empty() || s.size() > 200) return false;
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        // 8-bit bytes are invalid but occur (mislabelled names); they do not end the header.
        if (u <= 32 || u == 127 || c == ':') return false;
    }
    return true;
}

// A field name that only header blocks carry: the registered fields mail software writes
// (RFC 5322 §3.6, RFC 2045, RFC 5321 trace fields, RFC 6376, RFC 8617) and the prefixes of
// the common extension fields. Body text can look like "Name: value" ("Note: …"), so a line
// is taken as a header field after a broken line only when its name is one of these.
bool isKnownFieldName(std::string_view name) {
    static constexpr std::string_view kNames[] = {
        "received", "return-path", "from", "to", "cc", "bcc", "subject", "date", "message-id", "reply-to",
        "sender", "in-reply-to", "references", "mime-version", "delivered-to", "envelope-to", "thread-topic",
        "thread-index", "importance", "priority", "precedence", "organization", "user-agent", "authentication-results",
        "received-spf", "dkim-signature", "domainkey-signature", "auto-submitted", "accept-language", "content-language"};
    static constexpr std::string_view kPrefixes[] = {"x-", "content-", "list-", "resent-", "arc-", "dkim-"};
    std::string l = lower(name);
    for (auto n : kNames)
        if (l == n) return true;
    for (auto p : kPrefixes)
        if (l.size() > p.size() && l.starts_with(p)) return true;
    return false;
}

// The name of `line` if it is a `Name: value` field line, else "".
std::string_view fieldNameOf(std::string_view line) {
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return {};
    std::string_view name = line.substr(0, colon);
    // obs-field-name (RFC 5322 §4.5.8) allows whitespace before the colon.
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    return isFieldName(name) ? name : std::string_view{};
}

// Exchange wraps long Received fields onto lines without the folding white space
// ("edge1.example.com (195.232.244.48) with Microsoft SMTP Server (TLS) id"). Such a line
// belongs to the header block when a real header field follows within a few lines before
// the blank line; otherwise the body starts at it (a body without the separator line).
// Looks at most kLookahead lines ahead, so the header block stays linear to parse.
//
// A field that may occur once (RFC 5322 §3.6, RFC 2045 §3) and is already in the block does
// not count: "Hello,\nFrom: …" after the header's own From is text quoting a mail.
bool headerFieldFollows(std::string_view raw, std::size_t pos, const std::vector<RawField>& fields) {
    static constexpr std::string_view kOnce[] = {"from", "to", "cc", "subject", "date", "message-id", "reply-to",
                                                 "sender", "in-reply-to", "references", "mime-version",
                                                 "content-type", "content-transfer-encoding"};
    auto repeated = [&](std::string_view name) {
        std::string l = lower(name);
        bool once = std::find(std::begin(kOnce), std::end(kOnce), l) != std::end(kOnce);
        return once && std::any_of(fields.begin(), fields.end(), [&](const RawField& f) { return iequals(f.name, l); });
    };
    constexpr int kLookahead = 6;
    for (int n = 0; n < kLookahead && pos < raw.size(); ++n) {
        std::size_t eol = raw.find('\n', pos);
        std::string_view line = raw.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
        if (line.find_first_not_of(" \t\r\n") == std::string_view::npos || line.starts_with("--")) return false;  // blank line or a MIME boundary
        if (line.front() != ' ' && line.front() != '\t') {
            std::string_view name = fieldNameOf(line);
            if (!name.empty()) return isKnownFieldName(name) && !repeated(name);
        }
        if (eol == std::string_view::npos) return false;
        pos = eol + 1;
    }
    return false;
}
}  // namespace

std::expected<HeaderBlock, ParseError> parseHeaderBlock(std::string_view raw, const Limits& limits,
                                                        std::vector<std::string>& defects) {
    HeaderBlock block;
    std::size_t pos = 0;
    bool first = true;
    while (pos < raw.size()) {
        std::size_t eol = raw.find('\n', pos);
        std::size_t line_end = eol == std::string_view::npos ? raw.size() : eol;
        std::size_t next = eol == std::string_view::npos ? raw.size() : eol + 1;
        std::string_view line = raw.substr(pos, line_end - pos);
        if (line.empty()) {
            block.body_offset = next;
            return block;
        }
        if (first && line.starts_with("From ")) {
            // mbox separator line ("From sender date") in front of the message.
            pos = next;
            first = false;
            continue;
        }
        first = false;
        if (line.front() == ' ' || line.front() == '\t') {
            if (!block.fields.empty()) {
                // RFC 5322 §2.2.3: unfolding removes the line break, keeps the whitespace.
                auto& v = block.fields.back().value;
                if (v.size() < limits.max_line_length) v.append(line);
            } else {
                addDefect(defects, "header starts with a continuation line");
            }
            pos = next;
            continue;
        }
        std::string_view name = fieldNameOf(line);
        if (name.empty() && !block.fields.empty() && block.fields.back().value.ends_with(';') &&
            line.find('=') != std::string_view::npos && line.find(' ') == std::string_view::npos) {
            // "Content-Type: multipart/alternative;\nboundary=…" — a parameter continued without
            // the folding whitespace (seen from Apache James and others): keep it in the field.
            addDefect(defects, "header continuation line without leading whitespace");
            block.fields.back().value += ' ';
            block.fields.back().value.append(line);
            pos = next;
            continue;
        }
        if (name.empty() && !block.fields.empty() && !line.starts_with("--") && headerFieldFollows(raw, next, block.fields)) {
            // An unindented continuation line (see headerFieldFollows): unfolded into the
            // field before it, as Ruby's mail gem and other lenient readers do.
            addDefect(defects, "header continuation line without leading whitespace");
            auto& v = block.fields.back().value;
            if (v.size() < limits.max_line_length) {
                v += ' ';
                v.append(line);
            }
            pos = next;
            continue;
        }
        if (name.empty()) {
            // Not a header: the body starts here without the blank separator line.
            addDefect(defects, "missing blank line between header and body (before '" +
                                   sanitizeUtf8(line.substr(0, 40)) + "')");
            block.body_offset = pos;
            return block;
        }
        if (block.fields.size() >= limits.max_headers)
            return std::unexpected(ParseError{"too_many_headers", "more than " + std::to_string(limits.max_headers) +
                                                                      " header fields in one entity"});
        block.fields.push_back(RawField{name, std::string(line.substr(line.find(':') + 1))});
        pos = next;
    }
    block.body_offset = raw.size();
    return block;
}

}  // namespace deskgate
