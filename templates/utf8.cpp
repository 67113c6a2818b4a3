#include "templates/utf8.hpp"

namespace deskgate {

namespace {

unsigned char byteAt(std::string_view s, std::size_t i) { return static_cast<unsigned char>(s[i]); }

bool isContinuation(std::string_view s, std::size_t i) {
    return i < s.size() && (byteAt(s, i) & 0xC0) == 0x80;
}

}  // namespace

std::size_t utf8SequenceLength(std::string_view s, std::size_t pos) {
    if (pos >= s.size()) return 0;
    const unsigned char c = byteAt(s, pos);
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return isContinuation(s, pos + 1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (!isContinuation(s, pos + 1) || !isContinuation(s, pos + 2)) return 0;
        const unsigned char c1 = byteAt(s, pos + 1);
        if (c == 0xE0 && c1 < 0xA0) return 0;  // overlong
        if (c == 0xED && c1 > 0x9F) return 0;  // UTF-16 surrogates
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (!isContinuation(s, pos + 1) || !isContinuation(s, pos + 2) || !isContinuation(s, pos + 3)) return 0;
        const unsigned char c1 = byteAt(s, pos + 1);
        if (c == 0xF0 && c1 < 0x90) return 0;  // overlong
        if (c == 0xF4 && c1 > 0x8F) return 0;  // above U+10FFFF
        return 4;
    }
    return 0;
}

std::size_t firstInvalidUtf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = utf8SequenceLength(s, i);
        if (n == 0) return i;
        i += n;
    }
    return std::string_view::npos;
}

std::string toValidUtf8(std::string_view s) {
    if (firstInvalidUtf8(s) == std::string_view::npos) return std::string(s);
    std::string out;
    out.reserve(s.size() + 8);
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = utf8SequenceLength(s, i);
        if (n == 0) {
            out += "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER
            ++i;
        } else {
            out.append(s.substr(i, n));
            i += n;
        }
    }
    return out;
}

std::size_t utf8Length(std::string_view s) {
    std::size_t count = 0;
    for (std::size_t i = 0; i < s.size();) {
        const std::size_t n = utf8SequenceLength(s, i);
        i += n == 0 ? 1 : n;
        ++count;
    }
    return count;
}

}  // namespace deskgate
