#include "parsers/mime_entity.hpp"
#include "parsers/ascii.hpp"

#include "parsers/charset.hpp"
#include "parsers/decode.hpp"

#include <algorithm>
#include <cctype>
#include <map>

namespace deskgate {
namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
    return s;
}

int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

std::string percentDecode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hexValue(s[i + 1]) >= 0 && hexValue(s[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hexValue(s[i + 1]) * 16 + hexValue(s[i + 2])));
            i += 2;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}


}  // namespace

const std::string* findParam(const Params& params, std::string_view name) {
    for (const auto& [k, v] : params)
        if (k == name) return &v;
    return nullptr;
}

std::string parseParams(std::string_view value, Params& params, std::vector<std::string>* defects) {
    struct RawParam {
        std::string name;  // lower-case, with any RFC 2231 suffix
        std::string value;
        bool quoted = false;
    };
    std::vector<RawParam> raw;
    std::size_t i = value.find(';');
    std::string head(trim(value.substr(0, i)));
    while (i != std::string_view::npos && i < value.size()) {
        ++i;  // skip ';'
        while (i < value.size() && (value[i] == ' ' || value[i] == '\t' || value[i] == ';')) ++i;
        std::size_t eq = value.find_first_of("=;", i);
        if (eq == std::string_view::npos || value[eq] == ';') {
            i = eq;
            continue;
        }
        RawParam p;
        p.name = lower(trim(value.substr(i, eq - i)));
        std::size_t j = eq + 1;
        while (j < value.size() && (value[j] == ' ' || value[j] == '\t')) ++j;
        if (j < value.size() && value[j] == '"') {
            p.quoted = true;
            ++j;
            while (j < value.size() && value[j] != '"') {
                if (value[j] == '\\' && j + 1 < value.size()) ++j;  // quoted-pair
                p.value.push_back(value[j]);
                ++j;
            }
            if (j < value.size()) ++j;  // closing quote
            i = value.find(';', j);
        } else {
            // Unquoted: a token, but be lenient and take everything up to ';' (file names with spaces).
            std::size_t end = value.find(';', j);
            p.value = std::string(trim(value.substr(j, end == std::string_view::npos ? std::string_view::npos : end - j)));
            i = end;
        }
        if (!p.name.empty()) raw.push_back(std::move(p));
        if (raw.size() > 200) break;  // no mail needs more; bounds the work on hostile input
    }

    // RFC 2231 §3/§4: name*N[*]=segments joined in order; a trailing '*' marks charset'lang'%XX.
    struct Joined {
        std::map<unsigned, std::pair<std::string, bool>> segments;  // index → value, extended
        std::string charset;
    };
    std::vector<std::pair<std::string, Joined>> extended;
    for (auto& p : raw) {
        std::size_t star = p.name.find('*');
        if (star == std::string::npos) {
            if (!findParam(params, p.name)) {
                std::string v = p.value;
                if (!isValidUtf8(v)) v = toUtf8(v, "", defects);
                params.emplace_back(p.name, decodeEncodedWords(v, defects));
            }
            continue;
        }
        std::string base = p.name.substr(0, star);
        std::string_view rest = std::string_view(p.name).substr(star + 1);
        bool ext = !rest.empty() && rest.back() == '*';
        if (ext) rest.remove_suffix(1);
        unsigned index = 0;
        if (rest.empty()) {
            ext = true;  // "name*=" is the single-segment extended form
        } else {
            bool digits = rest.size() <= 3 && std::all_of(rest.begin(), rest.end(), [](char c) { return c >= '0' && c <= '9'; });
            if (!digits) continue;
            index = static_cast<unsigned>(std::stoul(std::string(rest)));
        }
        auto it = std::find_if(extended.begin(), extended.end(), [&](auto& e) { return e.first == base; });
        if (it == extended.end()) {
            extended.emplace_back(base, Joined{});
            it = std::prev(extended.end());
        }
        std::string v = p.value;
        if (ext && index == 0) {
            // charset'language'value
            std::size_t a = v.find('\'');
            std::size_t b = a == std::string::npos ? std::string::npos : v.find('\'', a + 1);
            if (b != std::string::npos) {
                it->second.charset = v.substr(0, a);
                v = v.substr(b + 1);
            }
        }
        it->second.segments.emplace(index, std::make_pair(std::move(v), ext));
    }
    for (auto& entry : extended) {
        const std::string& base = entry.first;  // not a structured binding: lambdas capture it below
        const Joined& joined = entry.second;
        // Percent-decoding runs over the joined text of consecutive extended segments, not per
        // segment: encoders split where the line gets long, which can be inside a "%CC"
        // escape as well as inside a multibyte (e.g. NFD-accented) character (RFC 2231 §4.1).
        std::string bytes;
        std::string escaped;
        for (auto& [index, seg] : joined.segments) {
            if (seg.second) {
                escaped += seg.first;
                continue;
            }
            bytes += percentDecode(escaped);
            escaped.clear();
            bytes += seg.first;
        }
        bytes += percentDecode(escaped);
        std::string utf8 = toUtf8(bytes, joined.charset, defects);
        // RFC 2231 wins over a plain parameter of the same name (clients send both).
        auto it = std::find_if(params.begin(), params.end(), [&](auto& e) { return e.first == base; });
        if (it != params.end()) it->second = std::move(utf8);
        else params.emplace_back(base, std::move(utf8));
    }
    return head;
}

const std::string* Entity::field(std::string_view name) const {
    for (const auto& f : fields)
        if (iequals(f.name, name)) return &f.value;
    return nullptr;
}

std::expected<std::unique_ptr<Entity>, ParseError> MimeParser::parse(std::string_view raw) {
    return parseEntity(raw, 0, false);
}

std::expected<std::unique_ptr<Entity>, ParseError> MimeParser::parseEntity(std::string_view raw, std::size_t depth,
                                                                           bool digest_default) {
    if (depth > limits_.max_depth)
        return std::unexpected(ParseError{"too_deep", "MIME nesting deeper than " + std::to_string(limits_.max_depth)});
    if (++parts_ > limits_.max_parts)
        return std::unexpected(ParseError{"too_many_parts", "more than " + std::to_string(limits_.max_parts) + " MIME parts"});
    auto block = parseHeaderBlock(raw, limits_, defects_);
    if (!block) return std::unexpected(block.error());
    auto e = std::make_unique<Entity>();
    e->depth = depth;
    e->fields = std::move(block->fields);
    for (auto& f : e->fields) f.value = std::string(trim(f.value));
    e->body = raw.substr(std::min(block->body_offset, raw.size()));

    // RFC 2046 §5.1.5: in multipart/digest the default type is message/rfc822.
    if (digest_default) {
        e->type = "message";
        e->subtype = "rfc822";
    }
    if (const std::string* ct = e->field("Content-Type")) {
        std::string head = lower(parseParams(*ct, e->type_params, &defects_));
        std::size_t slash = head.find('/');
        if (slash != std::string::npos && slash > 0 && slash + 1 < head.size()) {
            e->type = std::string(trim(head.substr(0, slash)));
            e->subtype = std::string(trim(head.substr(slash + 1)));
        } else if (head == "text") {
            e->type = "text", e->subtype = "plain";  // "Content-Type: text" from old mailers
        } else {
            addDefect(defects_, "invalid Content-Type '" + head.substr(0, 60) + "'");
            e->type = "text", e->subtype = "plain";
            e->type_params.clear();
        }
    }
    if (const std::string* cd = e->field("Content-Disposition"))
        e->disposition = lower(parseParams(*cd, e->disposition_params, &defects_));
    if (const std::string* cte = e->field("Content-Transfer-Encoding")) e->cte = lower(trim(*cte));

    if (e->isMultipart()) {
        auto split = splitMultipart(*e);
        if (!split) return std::unexpected(split.error());
    } else if (e->isMessage()) {
        std::string_view inner = e->body;
        // RFC 2046 §5.2.1 forbids encoding message/rfc822, but mailers do it.
        if (e->cte == "base64" || e->cte == "quoted-printable") {
            std::string decoded = decodeTransfer(e->body, e->cte, &defects_);
            // The decoded message has its own (CRLF) line ends; the parser works on LF only.
            std::string lf;
            lf.reserve(decoded.size());
            for (std::size_t k = 0; k < decoded.size(); ++k) {
                if (decoded[k] == '\r') {
                    lf.push_back('\n');
                    if (k + 1 < decoded.size() && decoded[k + 1] == '\n') ++k;
                } else {
                    lf.push_back(decoded[k]);
                }
            }
            arena_.push_back(std::make_unique<std::string>(std::move(lf)));
            inner = *arena_.back();
        }
        if (!trim(inner).empty()) {
            auto child = parseEntity(inner, depth + 1, false);
            if (!child) return std::unexpected(child.error());
            e->children.push_back(std::move(*child));
        }
    }
    return e;
}

std::expected<void, ParseError> MimeParser::splitMultipart(Entity& e) {
    const std::string* boundary_param = findParam(e.type_params, "boundary");
    std::string boundary = boundary_param ? *boundary_param : std::string();
    // RFC 2046 §5.1.1 forbids a boundary ending in a space, but it occurs; it is matched as
    // written first, and without the trailing whitespace only if that never occurs.
    if (!boundary.empty() && (boundary.back() == ' ' || boundary.back() == '\t')) {
        std::string exact = "\n--" + boundary;
        if (!e.body.starts_with(exact.substr(1)) && e.body.find(exact) == std::string_view::npos)
            while (!boundary.empty() && (boundary.back() == ' ' || boundary.back() == '\t')) boundary.pop_back();
    }
    auto asText = [&](const char* why) {
        addDefect(defects_, why);
        e.type = "text";
        e.subtype = "plain";
    };
    if (boundary.empty()) {
        asText("multipart without boundary parameter");
        return {};
    }
    const std::string delim = "--" + boundary;
    std::string_view body = e.body;
    bool digest = e.subtype == "digest";

    // Delimiters start a line: search "\n--boundary", because a find() for "--boundary"
    // stops at every '-' of the text (and mail is full of dashes), at every line only once here.
    const std::string line_delim = "\n" + delim;
    auto find = [&](std::size_t from) -> std::size_t {
        if (from == 0 && body.starts_with(delim)) return 0;
        std::size_t start = from == 0 ? 0 : from - 1;  // the '\n' before `from` may belong to a delimiter
        std::size_t p = body.find(line_delim, start);
        return p == std::string_view::npos ? p : p + 1;
    };

    // Finds the next delimiter line at or after `from`; returns its start and whether it closes.
    auto next = [&](std::size_t from, bool& closing, std::size_t& line_end) -> std::size_t {
        while (true) {
            std::size_t p = find(from);
            if (p == std::string_view::npos) return p;
            if (p == 0 || body[p - 1] == '\n') {
                std::size_t q = p + delim.size();
                std::size_t eol = body.find('\n', q);
                std::size_t end = eol == std::string_view::npos ? body.size() : eol;
                std::string_view rest = body.substr(q, end - q);
                closing = rest.starts_with("--");
                std::string_view after = closing ? rest.substr(2) : rest;
                if (closing || trim(after).empty()) {
                    line_end = eol == std::string_view::npos ? body.size() : eol + 1;
                    return p;
                }
            }
            from = p + 1;
        }
    };

    bool closing = false;
    std::size_t line_end = 0;
    std::size_t first = next(0, closing, line_end);
    if (first == std::string_view::npos) {
        asText("multipart body without its boundary");
        return {};
    }
    while (!closing) {
        std::size_t part_start = line_end;
        bool next_closing = false;
        std::size_t next_line_end = 0;
        std::size_t p = next(part_start, next_closing, next_line_end);
        std::size_t part_end;
        if (p == std::string_view::npos) {
            addDefect(defects_, "missing closing boundary (truncated multipart)");
            part_end = body.size();
        } else {
            // RFC 2046 §5.1.1: the line break before a delimiter belongs to the delimiter.
            part_end = p > part_start ? p - 1 : p;
        }
        auto child = parseEntity(body.substr(part_start, part_end - part_start), e.depth + 1, digest);
        if (!child) return std::unexpected(child.error());
        e.children.push_back(std::move(*child));
        if (p == std::string_view::npos) break;
        closing = next_closing;
        line_end = next_line_end;
    }
    if (e.children.empty()) addDefect(defects_, "multipart without parts");
    return {};
}

}  // namespace deskgate
