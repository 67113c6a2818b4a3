#include "templates/header_encoding.hpp"

namespace deskgate {

namespace {

const char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string base64(std::string_view in) {
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        unsigned v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                     static_cast<unsigned char>(in[i + 2]);
        out += kBase64[(v >> 18) & 63];
        out += kBase64[(v >> 12) & 63];
        out += kBase64[(v >> 6) & 63];
        out += kBase64[v & 63];
    }
    if (i < in.size()) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16;
        if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
        out += kBase64[(v >> 18) & 63];
        out += kBase64[(v >> 12) & 63];
        out += i + 1 < in.size() ? kBase64[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

bool needsEncoding(std::string_view s) {
    for (unsigned char c : s)
        if (c >= 0x80 || c < 0x20) return true;
    return s.find("=?") != std::string_view::npos;
}

}  // namespace

std::string sanitizeHeaderValue(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        unsigned char u = static_cast<unsigned char>(c);
        out += (u < 0x20 || u == 0x7f) ? ' ' : c;
    }
    return out;
}

std::string encodeHeaderText(std::string_view utf8In) {
    std::string clean = sanitizeHeaderValue(utf8In);
    if (!needsEncoding(clean)) return clean;
    // "=?UTF-8?B?" + payload + "?=" <= 75 chars => at most 45 input bytes per word (60 base64 chars).
    // Never split a UTF-8 sequence across words (RFC 2047 §5 (3)).
    std::string out;
    std::size_t pos = 0;
    while (pos < clean.size()) {
        std::size_t end = std::min(clean.size(), pos + 45);
        while (end < clean.size() && end > pos && (static_cast<unsigned char>(clean[end]) & 0xC0) == 0x80) --end;
        if (!out.empty()) out += "\r\n ";
        out += "=?UTF-8?B?" + base64(std::string_view(clean).substr(pos, end - pos)) + "?=";
        pos = end;
    }
    return out;
}

}  // namespace deskgate
