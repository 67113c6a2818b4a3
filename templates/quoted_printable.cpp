#include "templates/quoted_printable.hpp"

#include <vector>

namespace deskgate {

namespace {

// RFC 2045 §6.7 (5): encoded lines must not be longer than 76 characters.
constexpr std::size_t kMaxLine = 76;

const char kHex[] = "0123456789ABCDEF";

std::string escaped(unsigned char c) { return {'=', kHex[c >> 4], kHex[c & 15]}; }

int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

void encodeLine(std::string_view line, std::string& out) {
    // Each input byte becomes one token ("a" or "=C3"); a token is never split by a soft break.
    std::vector<std::string> tokens;
    tokens.reserve(line.size());
    for (std::size_t i = 0; i < line.size(); ++i) {
        const auto c = static_cast<unsigned char>(line[i]);
        const bool last = i + 1 == line.size();
        const bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last);
        tokens.push_back(literal ? std::string(1, static_cast<char>(c)) : escaped(c));
    }
    // Lines that mbox ("From ") or SMTP (a lone ".") might touch are made safe.
    if (line.starts_with("From ")) tokens[0] = escaped('F');
    if (line.starts_with(".")) tokens[0] = escaped('.');

    std::size_t column = 0;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        const bool last = i + 1 == tokens.size();
        // The last token may use column 76; any other needs room for the soft break "=".
        const std::size_t limit = last ? kMaxLine : kMaxLine - 1;
        if (column + tokens[i].size() > limit) {
            out += "=\r\n";
            column = 0;
            // A continuation line is a line too for mbox tools.
            if (line.substr(i).starts_with("From ")) tokens[i] = escaped('F');
        }
        out += tokens[i];
        column += tokens[i].size();
    }
    out += "\r\n";
}

}  // namespace

std::string normalizeLineEnds(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 1);
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r') {
            out += '\n';
            if (i + 1 < text.size() && text[i + 1] == '\n') ++i;
        } else {
            out += text[i];
        }
    }
    while (out.size() >= 2 && out.ends_with("\n\n")) out.pop_back();
    if (out.empty() || out.back() != '\n') out += '\n';
    return out;
}

std::string encodeQuotedPrintable(std::string_view text) {
    const std::string normal = normalizeLineEnds(text);
    std::string out;
    out.reserve(normal.size() * 11 / 10 + 16);
    std::size_t start = 0;
    while (start < normal.size()) {
        const std::size_t nl = normal.find('\n', start);
        encodeLine(std::string_view(normal).substr(start, nl - start), out);
        start = nl + 1;
    }
    return out;
}

std::string decodeQuotedPrintable(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (c == '\r') continue;
        if (c != '=') {
            out += c;
            continue;
        }
        // Soft line break: "=" followed by (optional trailing white space and) a line end.
        std::size_t j = i + 1;
        while (j < in.size() && (in[j] == ' ' || in[j] == '\t')) ++j;
        if (j < in.size() && (in[j] == '\r' || in[j] == '\n')) {
            if (in[j] == '\r' && j + 1 < in.size() && in[j + 1] == '\n') ++j;
            i = j;
            continue;
        }
        if (j == in.size()) break;
        if (i + 2 < in.size() && hexValue(in[i + 1]) >= 0 && hexValue(in[i + 2]) >= 0) {
            out += static_cast<char>(hexValue(in[i + 1]) * 16 + hexValue(in[i + 2]));
            i += 2;
        } else {
            out += c;  // RFC 2045 §6.7 note (2): keep a stray "=" as it is
        }
    }
    return out;
}

}  // namespace deskgate
