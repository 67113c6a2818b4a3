#include "parsers/imap_response.hpp"

#include <iconv.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>

#include "parsers/imap_tokenizer.hpp"

namespace deskgate {

namespace {

std::string upper(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

std::optional<std::uint64_t> toNumber(std::string_view s) {
    std::uint64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

// A literal announcement at the end of a line: "{123}" or "{123+}" (RFC 7888).
std::optional<std::size_t> trailingLiteral(std::string_view line) {
    if (line.empty() || line.back() != '}') return std::nullopt;
    auto open = line.rfind('{');
    if (open == std::string_view::npos) return std::nullopt;
    auto digits = line.substr(open + 1, line.size() - open - 2);
    if (!digits.empty() && digits.back() == '+') digits.remove_suffix(1);
    auto n = toNumber(digits);
    if (!n) return std::nullopt;
    return static_cast<std::size_t>(*n);
}

}  // namespace

std::string ImapResponse::status() const {
    auto sp = text.find(' ');
    std::string first = upper(text.substr(0, sp));
    if (first == "OK" || first == "NO" || first == "BAD" || first == "BYE" || first == "PREAUTH") return first;
    return {};
}

std::optional<std::string> ImapResponse::code(std::string_view name) const {
    auto open = text.find('[');
    auto close = text.find(']', open == std::string::npos ? 0 : open);
    if (open == std::string::npos || close == std::string::npos) return std::nullopt;
    std::string inside = text.substr(open + 1, close - open - 1);
    auto sp = inside.find(' ');
    if (upper(inside.substr(0, sp)) != upper(name)) return std::nullopt;
    return sp == std::string::npos ? std::string() : inside.substr(sp + 1);
}

std::optional<std::uint64_t> ImapResponse::numbered(std::string_view name) const {
    auto sp = text.find(' ');
    if (sp == std::string::npos) return std::nullopt;
    auto n = toNumber(std::string_view(text).substr(0, sp));
    if (!n) return std::nullopt;
    std::string rest = upper(text.substr(sp + 1));
    auto sp2 = rest.find(' ');
    if (rest.substr(0, sp2) != upper(name)) return std::nullopt;
    return n;
}

std::expected<void, ImapError> ImapResponseParser::feed(std::string_view bytes) {
    buffer_.append(bytes);
    std::size_t pos = 0;
    while (pos < buffer_.size()) {
        if (in_literal_) {
            std::size_t take = std::min(literal_remaining_, buffer_.size() - pos);
            current_.literals.back().append(buffer_, pos, take);
            pos += take;
            literal_remaining_ -= take;
            if (literal_remaining_ > 0) break;
            in_literal_ = false;
            continue;
        }
        auto eol = buffer_.find("\r\n", pos);
        if (eol == std::string::npos) {
            if (buffer_.size() - pos > max_line_)
                return std::unexpected(ImapError{"server response line longer than " + std::to_string(max_line_) + " bytes"});
            break;
        }
        if (eol - pos > max_line_)
            return std::unexpected(ImapError{"server response line longer than " + std::to_string(max_line_) + " bytes"});
        auto r = finishLine(std::string_view(buffer_).substr(pos, eol - pos));
        pos = eol + 2;
        if (!r) return r;
    }
    buffer_.erase(0, pos);
    return {};
}

std::expected<void, ImapError> ImapResponseParser::finishLine(std::string_view line) {
    if (!in_response_) {
        current_ = ImapResponse{};
        in_response_ = true;
        if (line.starts_with("* ")) {
            current_.kind = ImapResponse::Kind::untagged;
            line.remove_prefix(2);
        } else if (line.starts_with("+")) {
            current_.kind = ImapResponse::Kind::continuation;
            line.remove_prefix(line.size() > 1 && line[1] == ' ' ? 2 : 1);
        } else {
            auto sp = line.find(' ');
            if (sp == std::string_view::npos || sp == 0) {
                in_response_ = false;
                return std::unexpected(ImapError{"not an IMAP response: '" + std::string(line.substr(0, 80)) + "'"});
            }
            current_.kind = ImapResponse::Kind::tagged;
            current_.tag = std::string(line.substr(0, sp));
            line.remove_prefix(sp + 1);
        }
    }
    current_.text.append(line);
    if (auto n = trailingLiteral(line); n && current_.kind != ImapResponse::Kind::continuation) {
        if (*n > max_literal_)
            return std::unexpected(ImapError{"literal of " + std::to_string(*n) + " bytes exceeds the limit"});
        current_.literals.emplace_back();
        current_.literals.back().reserve(*n);
        literal_remaining_ = *n;
        in_literal_ = *n > 0;
        return {};
    }
    ready_.push_back(std::move(current_));
    current_ = ImapResponse{};
    in_response_ = false;
    return {};
}

std::optional<ImapResponse> ImapResponseParser::next() {
    if (ready_.empty()) return std::nullopt;
    ImapResponse r = std::move(ready_.front());
    ready_.pop_front();
    return r;
}

namespace {

using imap_detail::Token;
using imap_detail::Tokenizer;

std::optional<ImapFetch> fetchOf(ImapResponse& r, bool take) {
    if (r.kind != ImapResponse::Kind::untagged) return std::nullopt;
    auto seq = r.numbered("FETCH");
    if (!seq) return std::nullopt;
    auto open = r.text.find('(');
    if (open == std::string::npos) return std::nullopt;
    ImapFetch out;
    out.sequence = *seq;
    Tokenizer tok(r, open + 1);
    auto valueOf = [&](Token& t) -> std::optional<std::string> {
        if (t.type == Token::Type::string) return std::move(t.value);
        if (t.type != Token::Type::literal) return std::nullopt;  // NIL: no content
        return take ? std::move(r.literals[t.literal]) : r.literals[t.literal];
    };
    for (;;) {
        Token name = tok.next();
        if (name.type == Token::Type::close || name.type == Token::Type::end) break;
        std::string key = upper(name.value);
        Token value = tok.next();
        if (value.type == Token::Type::open) {  // a list: FLAGS (...) or something we skip
            int depth = 1;
            while (depth > 0) {
                Token t = tok.next();
                if (t.type == Token::Type::end) return std::nullopt;
                if (t.type == Token::Type::open) ++depth;
                if (t.type == Token::Type::close) --depth;
                if (depth == 1 && key == "FLAGS" && t.type == Token::Type::atom) out.flags.push_back(t.value);
            }
            continue;
        }
        if (key == "UID") {
            auto n = toNumber(value.value);
            if (!n) return std::nullopt;
            out.uid = *n;
        } else if (key == "RFC822.SIZE") {
            auto n = toNumber(value.value);
            if (!n) return std::nullopt;
            out.size = *n;
        } else if (key == "BODY[HEADER]" || key == "BODY.PEEK[HEADER]" || key == "RFC822.HEADER") {
            out.header = valueOf(value);
        } else if (key.starts_with("BODY[") || key.starts_with("BODY.PEEK[") || key == "RFC822") {
            out.body = valueOf(value);
        }
    }
    return out;
}

}  // namespace

std::optional<ImapFetch> parseFetch(const ImapResponse& r) { return fetchOf(const_cast<ImapResponse&>(r), false); }

std::optional<ImapFetch> takeFetch(ImapResponse& r) { return fetchOf(r, true); }

std::vector<std::uint64_t> expandSequenceSet(std::string_view set, std::uint64_t max) {
    std::vector<std::uint64_t> out;
    std::size_t pos = 0;
    while (pos <= set.size()) {
        auto comma = set.find(',', pos);
        auto part = set.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
        auto colon = part.find(':');
        auto num = [max](std::string_view s) -> std::optional<std::uint64_t> {
            return s == "*" ? std::optional<std::uint64_t>(max) : toNumber(s);
        };
        if (colon == std::string_view::npos) {
            if (auto n = num(part)) out.push_back(*n);
        } else {
            auto a = num(part.substr(0, colon)), b = num(part.substr(colon + 1));
            if (a && b) {
                auto lo = std::min(*a, *b), hi = std::max(*a, *b);
                if (hi - lo > 10'000'000) hi = lo + 10'000'000;  // a hostile range must not eat memory
                for (auto i = lo; i <= hi; ++i) out.push_back(i);
            }
        }
        if (comma == std::string_view::npos) break;
        pos = comma + 1;
    }
    return out;
}

std::optional<std::vector<std::uint64_t>> parseSearch(const ImapResponse& r) {
    if (r.kind != ImapResponse::Kind::untagged) return std::nullopt;
    std::string_view t = r.text;
    std::vector<std::uint64_t> out;
    if (upper(t.substr(0, 7)) == "SEARCH " || upper(t) == "SEARCH") {
        std::size_t pos = 6;
        while (pos < t.size()) {
            while (pos < t.size() && t[pos] == ' ') ++pos;
            auto end = t.find(' ', pos);
            auto word = t.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
            if (word.starts_with("(")) break;  // RFC 4731 MODSEQ etc.
            if (auto n = toNumber(word)) out.push_back(*n);
            if (end == std::string_view::npos) break;
            pos = end;
        }
        return out;
    }
    if (upper(t.substr(0, 8)) == "ESEARCH ") {
        // RFC 4731: "... UID ALL 1:3,7" (also MIN/MAX/COUNT we don't ask for)
        std::string u = upper(std::string(t));
        auto all = u.find(" ALL ");
        if (all == std::string::npos) return out;
        auto start = all + 5;
        auto end = t.find(' ', start);
        return expandSequenceSet(t.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start),
                                 0);
    }
    return std::nullopt;
}

std::vector<std::string> parseCapabilities(const ImapResponse& r) {
    std::string list;
    if (auto c = r.code("CAPABILITY"))
        list = *c;
    else if (upper(r.text.substr(0, 11)) == "CAPABILITY ")
        list = r.text.substr(11);
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < list.size()) {
        auto end = list.find(' ', pos);
        auto word = list.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        if (!word.empty()) out.push_back(upper(word));
        if (end == std::string::npos) break;
        pos = end + 1;
    }
    return out;
}

std::string imapQuote(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '\r' || c == '\n') continue;  // never let a value end the command line
        out += c;
    }
    out += '"';
    return out;
}

std::string imapMailboxName(std::string_view utf8) {
    if (std::all_of(utf8.begin(), utf8.end(), [](char c) { return c != '&' && static_cast<unsigned char>(c) < 0x80; }))
        return std::string(utf8);
    iconv_t cd = iconv_open("UTF-7-IMAP", "UTF-8");
    if (cd == reinterpret_cast<iconv_t>(-1)) throw std::runtime_error("iconv has no UTF-7-IMAP (glibc 2.36 or later)");
    std::string in(utf8), out(utf8.size() * 4 + 16, '\0');
    char* inPtr = in.data();
    char* outPtr = out.data();
    std::size_t inLeft = in.size(), outLeft = out.size();
    std::size_t rc = iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft);
    if (rc != static_cast<std::size_t>(-1)) rc = iconv(cd, nullptr, nullptr, &outPtr, &outLeft);  // close the base64 run
    iconv_close(cd);
    if (rc == static_cast<std::size_t>(-1))
        throw std::runtime_error("folder name '" + std::string(utf8) + "' is not valid UTF-8");
    out.resize(out.size() - outLeft);
    return out;
}

}  // namespace deskgate
