#include "parsers/reply_split.hpp"
#include "parsers/ascii.hpp"

#include <array>
#include <cctype>
#include <vector>

namespace deskgate {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

bool istarts(std::string_view s, std::string_view prefix) {
    if (s.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i)
        if (asciiLower(s[i]) != asciiLower(prefix[i]))
            return false;
    return true;
}

bool iends(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && istarts(s.substr(s.size() - suffix.size()), suffix);
}

bool icontains(std::string_view s, std::string_view needle) {
    if (needle.size() > s.size()) return false;
    for (std::size_t i = 0; i + needle.size() <= s.size(); ++i)
        if (istarts(s.substr(i), needle)) return true;
    return false;
}

struct Line {
    std::size_t offset;
    std::string_view text;
};

std::vector<Line> splitLines(std::string_view text) {
    std::vector<Line> lines;
    std::size_t pos = 0;
    while (pos <= text.size()) {
        std::size_t eol = text.find('\n', pos);
        if (eol == std::string_view::npos) eol = text.size();
        lines.push_back({pos, text.substr(pos, eol - pos)});
        if (eol == text.size()) break;
        pos = eol + 1;
    }
    return lines;
}

// "On Tue, 1 Mar 2022 at 10:00, Jane <j@x> wrote:" — also when the client wrapped it over
// two or three lines.
bool isAttributionStart(const std::vector<Line>& lines, std::size_t i) {
    struct Form {
        std::string_view start, end;
    };
    static constexpr std::array kForms{
        Form{"On ", "wrote:"},        Form{"Am ", "schrieb:"},      Form{"Am ", ":"},
        Form{"Le ", "crit :"},        Form{"Le ", "crit:"},          Form{"El ", "escribió:"},
        Form{"Op ", "geschreven:"},   Form{"Op ", "schreef:"},       Form{"Il ", "scritto:"},
        Form{"Em ", "escreveu:"},     Form{"W dniu ", "pisze:"},     Form{"Den ", "skrev:"},
    };
    std::string_view first = trim(lines[i].text);
    for (const auto& f : kForms) {
        if (!istarts(first, f.start)) continue;
        std::string joined(first);
        for (std::size_t k = i; k < lines.size() && k < i + 3; ++k) {
            if (k > i) {
                std::string_view t = trim(lines[k].text);
                if (t.empty()) break;
                joined += ' ';
                joined += t;
            }
            if (iends(joined, f.end)) {
                // "Am …:" must look like a German attribution, not any sentence ending in ':'.
                if (f.end == ":" && !icontains(joined, "schrieb")) return false;
                return joined.size() < 400;
            }
        }
    }
    // Gmail: "2014-10-17 11:28 GMT+03:00 Person <p@x>:" and "<j@x> wrote:" alone.
    if (iends(first, "wrote:") && first.size() < 300 && (first.find('@') != std::string_view::npos || first.size() < 120))
        return true;
    // Yandex, mail.ru and others: '26.06.2014, 14:41, "Name" <a@x>:' — a date, an address, a colon.
    if (first.size() < 200 && (iends(first, ">:") || iends(first, "> :")) && first.find('@') != std::string_view::npos) {
        int digits = 0;
        for (char c : first) digits += std::isdigit(static_cast<unsigned char>(c)) ? 1 : 0;
        if (digits >= 6) return true;
    }
    return false;
}

bool isOriginalMessageRule(std::string_view t) {
    // "-----Original Message-----", "-----Ursprüngliche Nachricht-----", "-------- Forwarded Message --------"
    if (!t.starts_with("---") || !t.ends_with("---")) return false;
    return icontains(t, "original message") || icontains(t, "ursprüngliche nachricht") ||
           icontains(t, "original nachricht") || icontains(t, "message d'origine") ||
           icontains(t, "mensaje original") || icontains(t, "forwarded message") ||
           icontains(t, "weitergeleitete nachricht");
}

bool isHeaderLine(std::string_view t, std::initializer_list<std::string_view> names) {
    for (auto n : names)
        if (istarts(t, n)) return true;
    return false;
}

// Outlook: "From: X\nSent: …\nTo: …\nSubject: …" (or the German "Von:/Gesendet:/An:/Betreff:").
bool isOutlookHeaderBlock(const std::vector<Line>& lines, std::size_t i) {
    std::string_view t = trim(lines[i].text);
    if (t.starts_with("*")) t.remove_prefix(1);  // "*From:* …" from HTML → text
    bool from = isHeaderLine(t, {"From:", "Von:", "De :", "De:", "Van:", "Da:", "От:", "Från:", "Fra:"});
    bool date = isHeaderLine(t, {"Date:", "Datum:", "Sent:", "Gesendet:", "Дата:", "Отправлено:"});
    if (!from && !date) return false;
    for (std::size_t k = i + 1; k < lines.size() && k <= i + 4; ++k) {
        std::string_view u = trim(lines[k].text);
        if (u.starts_with("*")) u.remove_prefix(1);
        if (from && isHeaderLine(u, {"Sent:", "Gesendet:", "Date:", "Datum:", "Envoyé :", "Envoyé:", "Verzonden:",
                                     "Inviato:", "Enviado:", "Отправлено:", "Дата:", "Skickat:", "Sendt:"}))
            return true;
        // Hotmail/Outlook.com put Date: first, then From:.
        if (date && isHeaderLine(u, {"From:", "Von:", "От:"})) return true;
    }
    return false;
}

std::size_t findQuoteStart(const std::vector<Line>& lines) {
    for (std::size_t i = 0; i < lines.size(); ++i) {
        std::string_view t = trim(lines[i].text);
        if (t.empty()) continue;
        if (t.front() == '>') {
            // An attribution line directly above belongs to the quote; it was checked already.
            return i;
        }
        if (isAttributionStart(lines, i) || isOriginalMessageRule(t) || isOutlookHeaderBlock(lines, i)) return i;
        bool rule = (t.size() >= 20 && t.find_first_not_of('_') == std::string_view::npos) ||
                    (t.size() >= 4 && t.find_first_not_of('-') == std::string_view::npos);
        if (rule && i + 1 < lines.size()) {
            // Outlook's "________________________________" rule (or an HTML <hr>) before a From: block.
            std::size_t k = i + 1;
            while (k < lines.size() && trim(lines[k].text).empty()) ++k;
            if (k < lines.size() && isOutlookHeaderBlock(lines, k)) return i;
        }
    }
    return lines.size();
}

std::string stripSignature(std::string_view reply) {
    // RFC 3676 §4.3: the signature starts at a line "-- ". Also drop mobile client footers.
    std::vector<Line> lines = splitLines(reply);
    std::size_t cut = reply.size();
    for (std::size_t i = 0; i < lines.size(); ++i) {
        std::string_view l = lines[i].text;
        if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
        if (l == "-- " || l == "--") {
            cut = lines[i].offset;
            break;
        }
        std::string_view t = trim(l);
        if (istarts(t, "Sent from my ") || istarts(t, "Von meinem ") || istarts(t, "Gesendet von meinem ") ||
            istarts(t, "Sent from Mail for Windows") || istarts(t, "Get Outlook for ")) {
            bool rest_empty = true;
            for (std::size_t k = i + 1; k < lines.size(); ++k) rest_empty = rest_empty && trim(lines[k].text).empty();
            if (rest_empty) {
                cut = lines[i].offset;
                break;
            }
        }
    }
    std::string_view r = reply.substr(0, cut);
    while (true) {
        while (!r.empty() && (r.back() == '\n' || r.back() == ' ' || r.back() == '\r' || r.back() == '\t')) r.remove_suffix(1);
        // A horizontal rule left above the cut quote ("----" from an <hr>, Outlook's "____").
        std::size_t nl = r.rfind('\n');
        std::string_view last = r.substr(nl == std::string_view::npos ? 0 : nl + 1);
        if (last.size() < 2 || last.find_first_not_of("-_") != std::string_view::npos || last == "--") break;
        r = r.substr(0, nl == std::string_view::npos ? 0 : nl);
    }
    while (!r.empty() && (r.front() == '\n' || r.front() == '\r')) r.remove_prefix(1);
    return std::string(r);
}

}  // namespace

ReplySplit splitReplyAt(std::string_view text, std::size_t quote_start) {
    if (quote_start > text.size()) quote_start = text.size();
    ReplySplit out;
    out.reply = stripSignature(text.substr(0, quote_start));
    std::string_view q = text.substr(quote_start);
    while (!q.empty() && (q.front() == '\n' || q.front() == '\r')) q.remove_prefix(1);
    while (!q.empty() && (q.back() == '\n' || q.back() == ' ' || q.back() == '\r')) q.remove_suffix(1);
    out.quoted = std::string(q);
    return out;
}

ReplySplit splitReply(std::string_view text) {
    std::vector<Line> lines = splitLines(text);
    std::size_t i = findQuoteStart(lines);
    std::size_t offset = i < lines.size() ? lines[i].offset : text.size();
    ReplySplit split = splitReplyAt(text, offset);
    if (!split.reply.empty() || i >= lines.size()) return split;
    // Bottom-posting (Thunderbird, mailing-list style): attribution and ">" block first, the
    // new text below it. The quote is the block; the reply is what follows.
    // Only for "> " quoting: a forwarded message or an Outlook header block has no new text below.
    bool quote_line = trim(lines[i].text).starts_with(">");
    if (!quote_line && !isAttributionStart(lines, i)) return split;
    std::size_t k = i;
    if (!quote_line) ++k;  // the attribution line (maybe wrapped)
    while (k < lines.size() && !trim(lines[k].text).starts_with(">") && k < i + 3 &&
           !trim(lines[k].text).empty() && !trim(lines[k - 1].text).ends_with(":"))
        ++k;
    std::size_t last_quoted = i;
    for (; k < lines.size(); ++k) {
        std::string_view t = trim(lines[k].text);
        if (t.starts_with(">")) last_quoted = k;
        else if (!t.empty()) break;
    }
    if (k >= lines.size() || !trim(lines[last_quoted].text).starts_with(">")) return split;
    std::size_t block_end = last_quoted + 1 < lines.size() ? lines[last_quoted + 1].offset : text.size();
    ReplySplit rest = splitReply(text.substr(block_end));
    if (rest.reply.empty()) return split;
    std::string_view q = text.substr(offset, block_end - offset);
    while (!q.empty() && (q.back() == '\n' || q.back() == ' ')) q.remove_suffix(1);
    rest.quoted = rest.quoted.empty() ? std::string(q) : std::string(q) + "\n\n" + rest.quoted;
    return rest;
}

std::string unflow(std::string_view text, bool delsp) {
    std::string out;
    out.reserve(text.size());
    std::size_t pos = 0;
    bool joining = false;  // previous line was soft-broken
    std::size_t prev_depth = 0;
    while (pos <= text.size()) {
        std::size_t eol = text.find('\n', pos);
        if (eol == std::string_view::npos) eol = text.size();
        std::string_view line = text.substr(pos, eol - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        std::size_t depth = 0;
        while (depth < line.size() && line[depth] == '>') ++depth;
        std::string_view content = line.substr(depth);
        if (!content.empty() && content.front() == ' ') content.remove_prefix(1);  // space-stuffing (§4.4)
        bool is_sig = content == "-- ";
        bool soft = !content.empty() && content.back() == ' ' && !is_sig;
        if (joining && depth == prev_depth) {
            // continue the previous line
        } else {
            if (pos > 0) out.push_back('\n');
            if (depth) {
                out.append(depth, '>');
                out.push_back(' ');
            }
        }
        if (soft && delsp) content.remove_suffix(1);
        out.append(content);
        joining = soft;
        prev_depth = depth;
        if (eol == text.size()) break;
        pos = eol + 1;
    }
    return out;
}

}  // namespace deskgate
