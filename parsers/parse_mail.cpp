// parseMail: raw bytes → ParsedMail. Orchestrates MIME, decoding, body choice, attachments,
// reply splitting and classification; the pieces live in their own files.
#include "parsers/parsed_mail.hpp"
#include "parsers/ascii.hpp"

#include "parsers/address_parser.hpp"
#include "parsers/attachment_names.hpp"
#include "parsers/charset.hpp"
#include "parsers/classify.hpp"
#include "parsers/decode.hpp"
#include "parsers/html_to_text.hpp"
#include "parsers/mime_entity.hpp"
#include "parsers/reply_split.hpp"
#include "parsers/sha256.hpp"
#include "parsers/tnef.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>

namespace deskgate {
namespace {

// LF line ends everywhere: CRLF (RFC 5322) and bare CR (old Mac mail) become LF, so every
// later stage handles one convention. Also enforces the line-length limit.
std::expected<std::string_view, ParseError> normalise(std::string_view raw, std::string& storage, const Limits& limits) {
    bool has_cr = std::memchr(raw.data(), '\r', raw.size()) != nullptr;
    std::string_view text = raw;
    if (has_cr) {
        // resize_and_overwrite: no zero-filling of a buffer that is written right away.
        storage.resize_and_overwrite(raw.size(), [&](char* out, std::size_t) {
            // The text between two CRs is copied in one piece (memchr finds the next).
            std::size_t o = 0;
            std::size_t i = 0;
            while (i < raw.size()) {
                const void* cr = std::memchr(raw.data() + i, '\r', raw.size() - i);
                std::size_t end = cr ? static_cast<std::size_t>(static_cast<const char*>(cr) - raw.data()) : raw.size();
                std::memcpy(out + o, raw.data() + i, end - i);
                o += end - i;
                if (end == raw.size()) break;
                out[o++] = '\n';
                i = end + 1;
                if (i < raw.size() && raw[i] == '\n') ++i;
            }
            return o;
        });
        text = storage;
    }
    if (text.size() <= limits.max_line_length) return text;  // no line can be too long
    std::size_t pos = 0;
    while (pos < text.size()) {
        const void* nl = std::memchr(text.data() + pos, '\n', text.size() - pos);
        std::size_t end = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - text.data()) : text.size();
        if (end - pos > limits.max_line_length)
            return std::unexpected(ParseError{"line_too_long", "a line is longer than " +
                                                                   std::to_string(limits.max_line_length) + " bytes"});
        pos = end + 1;
    }
    return text;
}

// The attachments whose decoded bytes attachmentContents() asked for, by position.
struct Capture {
    std::vector<std::size_t> wanted;  // sorted
    std::map<std::size_t, std::string> data;
};

struct TextPart {
    std::string text;  // UTF-8
    std::size_t quote_start = std::string::npos;
    bool html = false;
};

class BodyWalker {
public:
    BodyWalker(ParsedMail& mail, std::vector<std::string>& defects, std::string header_charset, const Limits& limits,
               Capture* capture)
        : mail_(mail), defects_(defects), header_charset_(std::move(header_charset)), limits_(limits),
          capture_(capture) {}

    void walk(const Entity& e) {
        if (e.isMultipart()) return walkMultipart(e);
        if (e.isMessage()) return addMessageAttachment(e);
        if (e.type == "message" && (e.subtype == "delivery-status" || e.subtype == "global-delivery-status")) {
            report.delivery_status.push_back(decodeTransfer(e.body, e.cte, &defects_));
            // Also an attachment: agents keep the machine-readable report of a bounce.
            addDecodedAttachment(e, report.delivery_status.back());
            return;
        }
        if (e.type == "message" && e.subtype == "feedback-report") {
            report.feedback_report = true;
            return;
        }
        if ((e.type == "text" && e.subtype == "rfc822-headers") ||
            (e.type == "message" && e.subtype == "global-headers")) {
            std::string headers = decodeTransfer(e.body, e.cte, &defects_);
            addDecodedAttachment(e, headers);
            if (report.original_headers.empty()) report.original_headers = std::move(headers);
            return;
        }
        if (isBodyText(e)) return addText(e);
        addAttachment(e);
    }

    std::vector<TextPart> texts;
    ReportParts report;

private:
    static bool isBodyText(const Entity& e) {
        if (e.type != "text") return false;
        if (e.subtype != "plain" && e.subtype != "html" && e.subtype != "enriched" && e.subtype != "x-plain") return false;
        if (e.disposition == "attachment") return false;
        // A named text part is a file the sender attached, unless explicitly inline.
        bool named = findParam(e.disposition_params, "filename") || findParam(e.type_params, "name");
        return !(named && e.disposition != "inline");
    }

    void walkMultipart(const Entity& e) {
        const auto& kids = e.children;
        if (e.subtype == "alternative") {
            // Plain text is what deskgate stores and quotes: prefer it (the rule), fall
            // back to HTML, then to a nested multipart (e.g. related containing the HTML).
            const Entity* plain = nullptr;
            const Entity* html = nullptr;
            const Entity* multi = nullptr;
            for (const auto& k : kids) {
                if (k->type == "text" && (k->subtype == "plain" || k->subtype == "x-plain") && isBodyText(*k) && !plain &&
                    !trimSpace(decodeTransfer(k->body, k->cte, nullptr)).empty())
                    plain = k.get();
                else if (k->type == "text" && k->subtype == "html" && isBodyText(*k) && !html) html = k.get();
                else if (k->isMultipart() && !multi) multi = k.get();
            }
            const Entity* chosen = plain ? plain : html ? html : multi;
            if (!chosen && !kids.empty()) chosen = kids.front().get();
            if (chosen) walk(*chosen);
            // Attachments inside the other alternatives (e.g. images of multipart/related) still count.
            for (const auto& k : kids)
                if (k.get() != chosen && k->isMultipart()) collectAttachments(*k);
            return;
        }
        if (e.subtype == "report") {
            report.multipart_report = true;
            if (const std::string* rt = findParam(e.type_params, "report-type")) report.report_type = lower(*rt);
            for (const auto& k : kids) {
                if (k->isMessage() && !k->children.empty()) {
                    // The returned message: keep its header block for the original Message-ID.
                    if (report.original_headers.empty()) {
                        for (const auto& f : k->children.front()->fields)
                            report.original_headers += std::string(f.name) + ": " + f.value + "\n";
                    }
                }
                walk(*k);
            }
            return;
        }
        for (const auto& k : kids) walk(*k);
    }

    // Attachments of an alternative we did not choose as the body (no text taken from it).
    void collectAttachments(const Entity& e) {
        if (e.isMultipart()) {
            for (const auto& k : e.children) collectAttachments(*k);
            return;
        }
        if (!isBodyText(e) && !(e.type == "text")) addAttachment(e);
    }

    void addText(const Entity& e) {
        std::string decoded = decodeTransfer(e.body, e.cte, &defects_);
        if (e.subtype != "html") extractUuencoded(decoded);
        const std::string* cs = findParam(e.type_params, "charset");
        std::string utf8 = toUtf8(decoded, cs ? *cs : std::string_view{}, &defects_);
        TextPart part;
        if (e.subtype == "html") {
            if (utf8.size() > html_budget_) {
                addDefect(defects_, "HTML cut to " + std::to_string(limits_.max_html_bytes) + " bytes per mail for text conversion");
                std::size_t cut = html_budget_;
                while (cut > 0 && (static_cast<unsigned char>(utf8[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
                utf8.resize(cut);
            }
            html_budget_ -= utf8.size();
            HtmlText h = htmlToText(utf8);
            part.text = std::move(h.text);
            part.quote_start = h.quote_start;
            part.html = true;
        } else {
            const std::string* format = findParam(e.type_params, "format");
            if (format && lower(*format) == "flowed") {
                const std::string* delsp = findParam(e.type_params, "delsp");
                utf8 = unflow(utf8, delsp && lower(*delsp) == "yes");
            }
            part.text = std::move(utf8);
        }
        texts.push_back(std::move(part));
    }

    // "begin 644 name" … "end" blocks inside a text body (pre-MIME attachments). The text is
    // rebuilt in one pass: erasing block by block would be quadratic on hostile input.
    void extractUuencoded(std::string& text) {
        if (text.find("begin ") == std::string::npos) return;
        std::string out;
        std::size_t copied = 0;  // text[0, copied) is settled in `out`
        std::size_t search = 0;
        while (true) {
            std::size_t b = text.find("begin ", search);
            if (b == std::string::npos) break;
            std::size_t eol = text.find('\n', b);
            if (eol == std::string::npos) break;
            search = eol;
            if (b != 0 && text[b - 1] != '\n') continue;
            std::string_view header = std::string_view(text).substr(b + 6, eol - b - 6);
            std::size_t sp = header.find(' ');
            std::string_view mode = header.substr(0, sp);
            bool octal = mode.size() >= 3 && mode.size() <= 4 &&
                         std::all_of(mode.begin(), mode.end(), [](char c) { return c >= '0' && c <= '7'; });
            if (!octal || sp == std::string_view::npos) continue;
            std::size_t end = text.find("\nend", eol);
            if (end == std::string::npos) {
                addDefect(defects_, "uuencoded block without end line");
                end = text.size();
            }
            if (mail_.attachments.size() < 10000) {
                std::string data = decodeUuencodeLines(std::string_view(text).substr(eol + 1, end - eol - 1));
                Attachment a;
                a.filename = toUtf8(trimSpace(header.substr(sp + 1)), "", &defects_);
                a.name_given = !a.filename.empty();
                a.content_type = "application/octet-stream";
                a.size = data.size();
                a.sha256 = sha256Hex(data);
                mail_.attachments.push_back(std::move(a));
                keep(data);
            }
            // Cut through the "end" line (and its line break), or to the end of a truncated text.
            std::size_t cut_end = text.size();
            if (end < text.size()) {
                std::size_t nl = text.find('\n', end + 1);
                cut_end = nl == std::string::npos ? text.size() : nl + 1;
            }
            out.append(text, copied, b - copied);
            copied = cut_end;
            search = cut_end;
        }
        if (copied == 0) return;
        out.append(text, copied, std::string::npos);
        text = std::move(out);
    }

    // Called right after an attachment was added, with its decoded bytes: kept when asked for.
    void keep(std::string_view data) {
        if (!capture_) return;
        const std::size_t index = mail_.attachments.size() - 1;
        if (std::binary_search(capture_->wanted.begin(), capture_->wanted.end(), index))
            capture_->data.emplace(index, std::string(data));
    }

    std::string filenameOf(const Entity& e) {
        if (const std::string* f = findParam(e.disposition_params, "filename")) return *f;
        if (const std::string* n = findParam(e.type_params, "name")) return *n;
        return {};
    }

    void fillCommon(const Entity& e, Attachment& a) {
        a.content_type = e.type + "/" + e.subtype;
        a.filename = filenameOf(e);
        a.name_given = !a.filename.empty();
        if (const std::string* cid = e.field("Content-ID")) {
            std::string_view v = trimSpace(*cid);
            if (v.size() >= 2 && v.front() == '<' && v.back() == '>') v = v.substr(1, v.size() - 2);
            a.content_id = std::string(v);
        }
        a.is_inline = e.disposition == "inline" || (e.disposition.empty() && !a.content_id.empty());
    }

    // A part whose decoded bytes the walker already has (reports): type, name, size, hash.
    void addDecodedAttachment(const Entity& e, std::string_view data) {
        if (mail_.attachments.size() >= 10000) return;
        Attachment a;
        fillCommon(e, a);
        a.size = data.size();
        a.sha256 = sha256Hex(data);
        mail_.attachments.push_back(std::move(a));
        keep(data);
    }

    void addAttachment(const Entity& e) {
        if (mail_.attachments.size() >= 10000) return;
        std::string data = decodeTransfer(e.body, e.cte, &defects_);
        Attachment a;
        fillCommon(e, a);
        std::string lname = lower(a.filename);
        if (a.content_type == "application/ms-tnef" || a.content_type == "application/vnd.ms-tnef" || lname == "winmail.dat") {
            // Outlook's TNEF wrapper: replace it by what it carries where we can read it.
            auto inner = unpackTnef(data);
            if (inner && !inner->empty()) {
                for (auto& t : *inner) {
                    Attachment x;
                    x.filename = std::move(t.filename);
                    x.name_given = !x.filename.empty();
                    x.content_type = "application/octet-stream";
                    x.size = t.data.size();
                    x.sha256 = sha256Hex(t.data);
                    mail_.attachments.push_back(std::move(x));
                    keep(t.data);
                }
                return;
            }
            if (!inner) addDefect(defects_, "unreadable TNEF attachment: " + inner.error());
        }
        a.size = data.size();
        a.sha256 = sha256Hex(data);
        mail_.attachments.push_back(std::move(a));
        keep(data);
    }

    void addMessageAttachment(const Entity& e) {
        // Non-standard bounces attach the returned message in multipart/mixed: keep its header
        // block for the original Message-ID (classification decides whether it is a bounce).
        if (report.original_headers.empty() && !e.children.empty())
            for (const auto& f : e.children.front()->fields) report.original_headers += std::string(f.name) + ": " + f.value + "\n";
        Attachment a;
        fillCommon(e, a);
        std::string data = (e.cte == "base64" || e.cte == "quoted-printable") ? decodeTransfer(e.body, e.cte, &defects_)
                                                                                : std::string(e.body);
        if (a.filename.empty() && !e.children.empty()) {
            if (const std::string* s = e.children.front()->field("Subject")) {
                std::string subj = decodeEncodedWords(toUtf8(*s, header_charset_, nullptr), nullptr);
                if (!trimSpace(subj).empty()) a.filename = std::string(trimSpace(subj)) + ".eml";
            }
        }
        a.size = data.size();
        a.sha256 = sha256Hex(data);
        mail_.attachments.push_back(std::move(a));
        keep(data);
    }

    ParsedMail& mail_;
    std::vector<std::string>& defects_;
    std::string header_charset_;
    const Limits& limits_;
    std::size_t html_budget_ = limits_.max_html_bytes;  // for all HTML parts of the mail together
    Capture* capture_;
};

// Raw header bytes → UTF-8. RFC 6532 allows UTF-8; anything else is 8-bit junk from old
// software, decoded with the message's own charset or a guess.
std::string headerToUtf8(std::string_view value, const std::string& fallback, std::vector<std::string>& defects) {
    if (isAscii(value) || isValidUtf8(value)) return std::string(value);
    addDefect(defects, "8-bit bytes in a header field");
    return toUtf8(value, fallback, nullptr);
}

}  // namespace

static std::expected<ParsedMail, ParseError> parseMailUnguarded(std::string_view raw, const ParseOptions& options,
                                                                Capture* capture);

// Untrusted input must never take the daemon down: an exception from a bug deskgate has
// not found yet becomes a clear error (and the mail is quarantined). The fuzz build lets
// exceptions through so that libFuzzer reports them as the bugs they are.
std::expected<ParsedMail, ParseError> parseMail(std::string_view raw, const ParseOptions& options) {
#ifdef DESKGATE_FUZZING
    return parseMailUnguarded(raw, options, nullptr);
#else
    try {
        return parseMailUnguarded(raw, options, nullptr);
    } catch (const std::bad_alloc&) {
        return std::unexpected(ParseError{"out_of_memory", "not enough memory to parse the message"});
    } catch (const std::exception& e) {
        return std::unexpected(ParseError{"internal_error", std::string("parser failure: ") + e.what()});
    }
#endif
}

std::expected<std::vector<AttachmentContent>, ParseError> attachmentContents(std::string_view raw,
                                                                             const std::vector<std::size_t>& indices,
                                                                             const ParseOptions& options) {
    Capture capture;
    capture.wanted = indices;
    std::sort(capture.wanted.begin(), capture.wanted.end());
    std::expected<ParsedMail, ParseError> mail;
    try {
        mail = parseMailUnguarded(raw, options, &capture);
    } catch (const std::bad_alloc&) {
        return std::unexpected(ParseError{"out_of_memory", "not enough memory to parse the message"});
    } catch (const std::exception& e) {
        return std::unexpected(ParseError{"internal_error", std::string("parser failure: ") + e.what()});
    }
    if (!mail) return std::unexpected(mail.error());
    std::vector<AttachmentContent> out;
    for (std::size_t i : indices) {
        auto found = capture.data.find(i);
        if (found == capture.data.end() || i >= mail->attachments.size()) continue;
        // Asked twice for the same part: the second gets a copy.
        out.push_back({mail->attachments[i], std::count(indices.begin(), indices.end(), i) > 1
                                                 ? found->second
                                                 : std::move(found->second)});
    }
    return out;
}

std::optional<std::size_t> findAttachment(const ParsedMail& mail, std::string_view name) {
    for (std::size_t i = 0; i < mail.attachments.size(); ++i)
        if (mail.attachments[i].filename == name) return i;
    const std::string wanted = lower(name);
    for (std::size_t i = 0; i < mail.attachments.size(); ++i)
        if (lower(mail.attachments[i].filename) == wanted) return i;
    return std::nullopt;
}

static std::expected<ParsedMail, ParseError> parseMailUnguarded(std::string_view raw, const ParseOptions& options,
                                                                Capture* capture) {
    const Limits& limits = options.limits;
    if (raw.size() > limits.max_size)
        return std::unexpected(ParseError{"too_large", "message of " + std::to_string(raw.size()) +
                                                           " bytes exceeds the limit of " + std::to_string(limits.max_size)});
    if (trimSpace(raw).empty()) return std::unexpected(ParseError{"empty", "the message is empty"});

    std::string storage;
    auto text = normalise(raw, storage, limits);
    if (!text) return std::unexpected(text.error());

    ParsedMail mail;
    MimeParser parser(limits, mail.defects);
    auto root = parser.parse(*text);
    if (!root) return std::unexpected(root.error());
    const Entity& top = **root;
    if (top.fields.empty()) addDefect(mail.defects, "message without header fields");

    // The charset a sender used for 8-bit headers is usually the body's.
    std::string header_charset;
    if (const std::string* cs = findParam(top.type_params, "charset")) header_charset = *cs;
    if (header_charset.empty()) {
        std::string all;
        for (const auto& f : top.fields)
            if (!isAscii(f.value)) all += f.value;
        if (!all.empty() && !isValidUtf8(all)) header_charset = detectCharset(all);
    }

    mail.headers.reserve(top.fields.size());
    std::vector<std::string> utf8_values;  // structured parsing needs them before RFC 2047 decoding
    utf8_values.reserve(top.fields.size());
    for (const auto& f : top.fields) {
        std::string v = headerToUtf8(f.value, header_charset, mail.defects);
        std::string name = isAscii(f.name) ? std::string(f.name) : sanitizeUtf8(f.name);
        mail.headers.emplace_back(std::move(name), decodeEncodedWords(v, &mail.defects));
        utf8_values.push_back(std::move(v));
    }
    auto sameName = [](std::string_view a, std::string_view b) {
        return a.size() == b.size() &&
               std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return asciiLower(x) == asciiLower(y); });
    };
    auto rawHeader = [&](std::string_view name) -> const std::string* {
        for (std::size_t i = 0; i < top.fields.size(); ++i)
            if (sameName(top.fields[i].name, name)) return &utf8_values[i];
        return nullptr;
    };

    if (const std::string* v = rawHeader("Message-ID")) {
        auto ids = parseMessageIds(*v);
        if (!ids.empty()) mail.message_id = ids.front();
    }
    if (const std::string* v = rawHeader("Date")) {
        mail.date = parseDateToIso(*v);
        if (mail.date.empty()) addDefect(mail.defects, "unparseable Date: " + v->substr(0, 80));
    }
    auto addresses = [&](std::string_view name, std::vector<Address>& out) {
        for (std::size_t i = 0; i < top.fields.size(); ++i) {
            if (!sameName(top.fields[i].name, name)) continue;
            auto list = parseAddressList(utf8_values[i], &mail.defects);
            out.insert(out.end(), list.begin(), list.end());
        }
    };
    addresses("From", mail.from);
    addresses("Reply-To", mail.reply_to);
    addresses("To", mail.to);
    addresses("Cc", mail.cc);
    if (const std::string* s = mail.header("Subject")) mail.subject = std::string(trimSpace(*s));
    if (const std::string* v = rawHeader("In-Reply-To")) {
        auto ids = parseMessageIds(*v);
        if (!ids.empty()) mail.in_reply_to = ids.front();
    }
    if (const std::string* v = rawHeader("References")) mail.references = parseMessageIds(*v);

    BodyWalker walker(mail, mail.defects, header_charset, limits, capture);
    walker.walk(top);
    nameAttachments(mail.attachments);
    std::size_t quote_start = std::string::npos;
    for (auto& part : walker.texts) {
        if (!mail.text.empty()) {
            while (!mail.text.empty() && mail.text.back() == '\n') mail.text.pop_back();
            mail.text += "\n\n";
        }
        if (quote_start == std::string::npos && part.quote_start != std::string::npos)
            quote_start = mail.text.size() + part.quote_start;
        mail.text += part.text;
    }

    ReplySplit split = quote_start != std::string::npos ? splitReplyAt(mail.text, quote_start) : splitReply(mail.text);
    // A plain-text quote marker before the HTML container (e.g. "On … wrote:") wins.
    if (quote_start != std::string::npos) {
        ReplySplit plain = splitReply(mail.text);
        if (plain.reply.size() < split.reply.size()) split = std::move(plain);
    }
    mail.reply_text = std::move(split.reply);
    mail.quoted = std::move(split.quoted);

    classify(mail, walker.report);
    mail.token = extractToken(mail.subject, options.token_format);
    return mail;
}

}  // namespace deskgate
