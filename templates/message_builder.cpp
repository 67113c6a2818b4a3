#include "templates/message_builder.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cctype>
#include <cstdio>

#include "templates/header_encoding.hpp"
#include "templates/quoted_printable.hpp"
#include "templates/utf8.hpp"

namespace deskgate {

namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::size_t kMaxAddrSpec = 254;
constexpr std::size_t kMaxMessageId = 250;

std::uint64_t fnv1a(std::string_view s, std::uint64_t h = 0xcbf29ce484222325ULL) {
    for (unsigned char c : s) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return h;
}

std::string hex64(std::uint64_t v) {
    std::array<char, 17> buf{};
    std::snprintf(buf.data(), buf.size(), "%016llx", static_cast<unsigned long long>(v));
    return buf.data();
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

// RFC 5322 §3.2.3 atext.
bool isAtext(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-/=?^_`{|}~").find(c) != std::string_view::npos;
}

std::vector<std::string_view> words(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && s[i] == ' ') ++i;
        const std::size_t start = i;
        while (i < s.size() && s[i] != ' ') ++i;
        if (i > start) out.push_back(s.substr(start, i - start));
    }
    return out;
}

std::string collapseSpaces(std::string_view s) {
    std::string out;
    for (std::string_view w : words(s)) {
        if (!out.empty()) out += ' ';
        out += w;
    }
    return out;
}

// A display name as an RFC 5322 §3.2.5 phrase: atoms as they are, a quoted-string when it
// holds specials (RFC 5322 §3.2.4, FWS allowed inside), RFC 2047 encoded words when it is
// not ASCII (RFC 2047 §5 (3)).
void appendDisplayName(HeaderLine& line, std::string_view rawName) {
    const std::string name = collapseSpaces(sanitizeHeaderValue(rawName));
    const std::vector<std::string_view> parts = words(name);
    // A word too long for a line goes into encoded words too, which can be split.
    const bool longWord = std::any_of(parts.begin(), parts.end(), [](std::string_view w) { return w.size() > 70; });
    if (needsEncodedWord(name) || longWord) {
        line.encoded(name);
        return;
    }
    const bool plain = std::all_of(parts.begin(), parts.end(), [](std::string_view w) {
        return std::all_of(w.begin(), w.end(), isAtext);
    });
    for (std::size_t i = 0; i < parts.size(); ++i) {
        std::string piece;
        if (!plain && i == 0) piece += '"';
        for (char c : parts[i]) {
            if (!plain && (c == '"' || c == '\\')) piece += '\\';
            piece += c;
        }
        if (!plain && i + 1 == parts.size()) piece += '"';
        line.atom(piece);
    }
}

std::string angle(std::string_view id) { return "<" + std::string(id) + ">"; }

// What deskgate writes itself; an extra header may not duplicate or override these.
bool isReservedHeader(std::string_view name) {
    static constexpr std::array<std::string_view, 19> reserved = {
        "date", "from", "sender", "to", "cc", "bcc", "reply-to", "subject", "message-id", "in-reply-to",
        "references", "mime-version", "content-type", "content-transfer-encoding", "auto-submitted",
        "x-auto-response-suppress", "x-deskgate-loop", "return-path", "received"};
    return std::any_of(reserved.begin(), reserved.end(), [&](std::string_view r) { return equalsIgnoreCase(r, name); });
}

// RFC 5322 §3.6.8: field-name = 1*ftext, printable ASCII except ':'.
bool isFieldName(std::string_view name) {
    return !name.empty() && name.size() <= 76 &&
           std::all_of(name.begin(), name.end(), [](char c) { return c >= 33 && c <= 126 && c != ':'; });
}

std::string autoSubmittedValue(std::string_view value) {
    std::string out;
    for (char c : value) {
        c = lower(c);
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') out += c;
    }
    return out.empty() ? "auto-generated" : out;
}

// RFC 5322 §3.6.4 suggests the parent's References plus the parent's Message-ID; long chains
// are cut in the middle (the thread root and the most recent ids are what clients use).
std::vector<std::string> referenceChain(const OutgoingMail& mail) {
    std::vector<std::string> ids;
    for (const std::string& r : mail.references) {
        std::string id = cleanMessageId(r);
        if (!id.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(std::move(id));
    }
    const std::string parent = cleanMessageId(mail.in_reply_to);
    if (!parent.empty()) {
        std::erase(ids, parent);
        ids.push_back(parent);
    }
    if (ids.size() > kMaxReferences) {
        std::vector<std::string> cut{ids.front()};
        cut.insert(cut.end(), ids.end() - static_cast<std::ptrdiff_t>(kMaxReferences - 1), ids.end());
        ids = std::move(cut);
    }
    return ids;
}

// One line of the message: `text` and CRLF.
void line(std::string& out, std::string_view text) {
    out += text;
    out += kCrlf;
}

void appendBodyPart(std::string& out, std::string_view subtype, std::string_view content) {
    line(out, "Content-Type: text/" + std::string(subtype) + "; charset=utf-8");
    line(out, "Content-Transfer-Encoding: quoted-printable");
    line(out, "");
    out += encodeQuotedPrintable(toValidUtf8(content));
}

// The text, or text and HTML as multipart/alternative: headers from Content-Type on, then the body.
void appendContent(std::string& out, const OutgoingMail& mail) {
    if (!mail.html) {
        appendBodyPart(out, "plain", mail.text);
        return;
    }
    // RFC 2046 §5.1.1: the boundary must not occur in the parts. "=_" never appears in
    // quoted-printable output ('=' is always followed by hex digits or a line end).
    const std::string boundary =
        "=_deskgate_" + hex64(fnv1a(*mail.html, fnv1a(mail.text, fnv1a(mail.message_id))));
    line(out, "Content-Type: multipart/alternative;");
    line(out, " boundary=\"" + boundary + "\"");
    line(out, "");
    // RFC 2046 §5.1.1: the CRLF before a boundary belongs to the boundary, so each part's
    // own last line break needs one more.
    line(out, "--" + boundary);
    appendBodyPart(out, "plain", mail.text);
    line(out, "");
    line(out, "--" + boundary);
    appendBodyPart(out, "html", *mail.html);
    line(out, "");
    line(out, "--" + boundary + "--");
}

// RFC 2231 §4 for a non-ASCII file name (filename*=UTF-8''...), quoted-string otherwise.
std::string filenameParameter(std::string_view name) {
    std::string clean = sanitizeHeaderValue(name);
    if (!needsEncodedWord(clean) && clean.find_first_of("\"\\") == std::string::npos)
        return "filename=\"" + clean + "\"";
    std::string out = "filename*=UTF-8''";
    static const char* hex = "0123456789ABCDEF";
    for (unsigned char c : clean) {
        if (std::isalnum(c) || c == '.' || c == '-' || c == '_') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

// A whole mail can go as 8bit message/rfc822 when every line ends in CRLF, is at most 998
// bytes and holds no NUL (RFC 5322 §2.1.1, RFC 2045 §2.8).
bool fitsAs8bit(std::string_view data) {
    std::size_t lineLength = 0;
    for (std::size_t i = 0; i < data.size(); ++i) {
        char c = data[i];
        if (c == '\0') return false;
        if (c == '\n') {
            if (i == 0 || data[i - 1] != '\r') return false;
            lineLength = 0;
        } else if (c == '\r') {
            if (i + 1 >= data.size() || data[i + 1] != '\n') return false;
        } else if (++lineLength > 998) {
            return false;
        }
    }
    return true;
}

void appendAttachment(std::string& out, const OutgoingAttachment& a) {
    std::string type = sanitizeHeaderValue(a.content_type.empty() ? "application/octet-stream" : a.content_type);
    if (type == "message/rfc822") {
        // Our own lines end in CRLF; a stored mail may use bare LF.
        std::string crlfData;
        for (std::size_t i = 0; i < a.data.size(); ++i) {
            if (a.data[i] == '\n' && (i == 0 || a.data[i - 1] != '\r')) crlfData += '\r';
            crlfData += a.data[i];
        }
        if (!crlfData.empty() && !crlfData.ends_with("\r\n")) crlfData += "\r\n";
        if (fitsAs8bit(crlfData)) {
            line(out, "Content-Type: message/rfc822");
            line(out, "Content-Disposition: attachment; " + filenameParameter(a.filename));
            line(out, "Content-Transfer-Encoding: 8bit");
            line(out, "");
            out += crlfData;
            return;
        }
        type = "application/octet-stream";
    }
    line(out, "Content-Type: " + type);
    line(out, "Content-Disposition: attachment; " + filenameParameter(a.filename));
    line(out, "Content-Transfer-Encoding: base64");
    line(out, "");
    const std::string encoded = base64(a.data);
    for (std::size_t i = 0; i < encoded.size(); i += 76) line(out, std::string_view(encoded).substr(i, 76));
}

}  // namespace

std::string formatDate(std::chrono::system_clock::time_point when) {
    using namespace std::chrono;
    static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const auto secs = floor<seconds>(when);
    const auto day = floor<days>(secs);
    const year_month_day ymd{day};
    const hh_mm_ss hms{secs - day};
    const weekday wd{day};
    std::array<char, 48> buf{};
    std::snprintf(buf.data(), buf.size(), "%s, %u %s %04d %02ld:%02ld:%02ld +0000", kDays[wd.c_encoding()],
                  static_cast<unsigned>(ymd.day()), kMonths[static_cast<unsigned>(ymd.month()) - 1],
                  static_cast<int>(ymd.year()), static_cast<long>(hms.hours().count()),
                  static_cast<long>(hms.minutes().count()), static_cast<long>(hms.seconds().count()));
    return buf.data();
}

std::string cleanAddrSpec(std::string_view address) {
    std::string out;
    for (char c : toValidUtf8(address)) {
        // RFC 5321 §4.5.3.1.3: a path is at most 256 octets, so no real address is longer.
        if (out.size() >= kMaxAddrSpec) break;
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f) continue;
        if (std::string_view("<>()\",;:\\").find(c) != std::string_view::npos) continue;
        out += c;
    }
    return out;
}

std::string cleanMessageId(std::string_view id) {
    std::string out;
    for (char c : id) {
        if (out.size() >= kMaxMessageId) break;  // keeps every header line under 998 (RFC 5322 §2.1.1)
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f || c == '<' || c == '>') continue;
        out += c;
    }
    return out;
}

std::string formatAddressField(std::string_view name, const std::vector<Address>& addresses) {
    HeaderLine line(name);
    for (std::size_t i = 0; i < addresses.size(); ++i) {
        const Address& a = addresses[i];
        const std::string spec = cleanAddrSpec(a.address);
        const std::string display = collapseSpaces(sanitizeHeaderValue(a.name));
        const bool last = i + 1 == addresses.size();
        if (display.empty() || display == spec) {
            line.atom(last ? spec : spec + ",");
            continue;
        }
        appendDisplayName(line, display);
        line.atom("<" + spec + (last ? ">" : ">,"));
    }
    return line.str();
}

std::string makeMessageId(std::string_view domain, std::string_view unique_seed) {
    // RFC 5322 §3.6.4: id-left is a dot-atom-text; keep a readable part of the seed and a
    // hash of all of it, so seeds differing only in dropped characters stay distinct.
    std::string readable;
    for (char c : unique_seed) {
        if (readable.size() >= 40) break;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_')
            readable += c;
        else if (!readable.empty() && readable.back() != '.')
            readable += '.';
    }
    while (!readable.empty() && readable.back() == '.') readable.pop_back();
    std::string host;
    for (char c : domain) {
        c = lower(c);
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || (c == '.' && !host.empty() && host.back() != '.'))
            host += c;
    }
    while (!host.empty() && host.back() == '.') host.pop_back();
    if (host.empty()) host = "deskgate.invalid";
    std::string id = "dg.";
    if (!readable.empty()) id += readable + ".";
    id += hex64(fnv1a(unique_seed));
    return id + "@" + host;
}

std::string buildMessage(const OutgoingMail& mail) {
    std::string out;
    const auto field = [&out](std::string_view f) { line(out, f); };
    field("Date: " + formatDate(mail.date));
    field(formatAddressField("From", {mail.from}));
    if (mail.reply_to) field(formatAddressField("Reply-To", {*mail.reply_to}));
    if (!mail.to.empty()) field(formatAddressField("To", mail.to));
    if (!mail.cc.empty()) field(formatAddressField("Cc", mail.cc));
    field(formatUnstructuredField("Subject", mail.subject));
    if (const std::string id = cleanMessageId(mail.message_id); !id.empty()) field("Message-ID: " + angle(id));
    if (const std::string parent = cleanMessageId(mail.in_reply_to); !parent.empty())
        field("In-Reply-To: " + angle(parent));
    if (const std::vector<std::string> refs = referenceChain(mail); !refs.empty()) {
        HeaderLine line("References");
        for (const std::string& r : refs) line.atom(angle(r));
        field(line.str());
    }
    if (!mail.auto_submitted.empty()) {
        // RFC 3834 §5: automatic responses say so; Exchange honours X-Auto-Response-Suppress.
        field("Auto-Submitted: " + autoSubmittedValue(mail.auto_submitted));
        field("X-Auto-Response-Suppress: All");
        field(std::string(kLoopHeader) + ": " + cleanAddrSpec(mail.from.address));
    }
    for (const auto& [name, value] : mail.extra_headers) {
        if (!isFieldName(name) || isReservedHeader(name)) continue;
        field(formatUnstructuredField(name, value));
    }
    field("MIME-Version: 1.0");
    if (mail.attachments.empty()) {
        appendContent(out, mail);
        return out;
    }
    // Hashing the attachments too: an attached mail could hold any other boundary.
    std::uint64_t seed = fnv1a(mail.text, fnv1a(mail.message_id));
    for (const auto& a : mail.attachments) seed = fnv1a(a.data, seed);
    const std::string boundary = "=_deskgate_mixed_" + hex64(seed);
    field("Content-Type: multipart/mixed;");
    field(" boundary=\"" + boundary + "\"");
    field("");
    field("This is a multi-part message in MIME format.");
    field("--" + boundary);
    appendContent(out, mail);
    for (const auto& attachment : mail.attachments) {
        field("");
        field("--" + boundary);
        appendAttachment(out, attachment);
    }
    field("");
    field("--" + boundary + "--");
    return out;
}

}  // namespace deskgate
