#include "parsers/decode.hpp"
#include "parsers/ascii.hpp"

#include "parsers/charset.hpp"

#include <array>
#include <cctype>

namespace deskgate {
namespace {

constexpr std::array<signed char, 256> makeBase64Table() {
    std::array<signed char, 256> t{};
    for (auto& v : t) v = -1;
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (int i = 0; i < 64; ++i) t[static_cast<unsigned char>(alphabet[i])] = static_cast<signed char>(i);
    // RFC 4648 §5 URL-safe alphabet occurs in broken mailers; accept it too.
    t['-'] = 62;
    t['_'] = 63;
    return t;
}
constexpr auto kBase64 = makeBase64Table();

int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

std::string decodeBase64(std::string_view in, bool* bad) {
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    bool garbage = false;
    const auto* p = reinterpret_cast<const unsigned char*>(in.data());
    const std::size_t n = in.size();
    // At most 3 bytes per 4 input characters; no zero-filling of a buffer written right away.
    out.resize_and_overwrite(n / 4 * 3 + 3, [&](char* o, std::size_t) {
        std::size_t w = 0;
        std::size_t i = 0;
        while (i < n) {
            if (bits == 0) {
                // Whole quanta of alphabet characters (the 76-character lines of RFC 2045
                // §6.8 are 19 of them): decoded four characters at a time.
                while (i + 4 <= n) {
                    int a = kBase64[p[i]], b = kBase64[p[i + 1]], c = kBase64[p[i + 2]], d = kBase64[p[i + 3]];
                    if ((a | b | c | d) < 0) break;
                    auto v = static_cast<std::uint32_t>((a << 18) | (b << 12) | (c << 6) | d);
                    o[w++] = static_cast<char>(v >> 16);
                    o[w++] = static_cast<char>((v >> 8) & 0xFF);
                    o[w++] = static_cast<char>(v & 0xFF);
                    i += 4;
                }
                if (i >= n) break;
            }
            unsigned char c = p[i++];
            signed char v = kBase64[c];
            if (v < 0) {
                // '=' padding ends a quantum; concatenated base64 blobs continue after it.
                if (c == '=') {
                    bits = 0;
                    acc = 0;
                } else if (!isSpace(static_cast<char>(c))) {
                    garbage = true;
                }
                continue;
            }
            acc = (acc << 6) | static_cast<std::uint32_t>(v);
            bits += 6;
            if (bits >= 8) {
                bits -= 8;
                o[w++] = static_cast<char>((acc >> bits) & 0xFF);
            }
        }
        return w;
    });
    if (bad && (garbage || bits >= 6)) *bad = true;
    return out;
}

std::string decodeQuotedPrintable(std::string_view in, bool* bad) {
    std::string out;
    out.reserve(in.size());
    std::size_t i = 0;
    const std::size_t n = in.size();
    while (i < n) {
        char c = in[i];
        if (c == '=') {
            int hi = i + 1 < n ? hexValue(in[i + 1]) : -1;
            int lo = i + 2 < n ? hexValue(in[i + 2]) : -1;
            if (hi >= 0 && lo >= 0) {
                out.push_back(static_cast<char>(hi * 16 + lo));
                i += 3;
                continue;
            }
            // Soft line break: "=" then optional transport padding then the line end.
            std::size_t j = i + 1;
            while (j < n && (in[j] == ' ' || in[j] == '\t')) ++j;
            if (j < n && in[j] == '\n') {
                i = j + 1;
                continue;
            }
            if (j < n && in[j] == '\r') {
                i = j + 1 < n && in[j + 1] == '\n' ? j + 2 : j + 1;
                continue;
            }
            if (j >= n) break;  // "=" at the very end: a soft break before EOF
            if (bad) *bad = true;
            out.push_back('=');
            ++i;
            continue;
        }
        if (c == ' ' || c == '\t') {
            // RFC 2045 §6.7 (3): trailing whitespace on a line was added in transport.
            std::size_t j = i;
            while (j < n && (in[j] == ' ' || in[j] == '\t')) ++j;
            if (j == n || in[j] == '\n' || in[j] == '\r') {
                i = j;
                continue;
            }
            out.append(in.substr(i, j - i));
            i = j;
            continue;
        }
        out.push_back(c);
        ++i;
    }
    return out;
}

std::string decodeUuencodeLines(std::string_view lines) {
    std::string out;
    std::size_t pos = 0;
    while (pos < lines.size()) {
        std::size_t eol = lines.find('\n', pos);
        if (eol == std::string_view::npos) eol = lines.size();
        std::string_view line = lines.substr(pos, eol - pos);
        pos = eol + 1;
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        if (line.empty()) continue;
        int len = (line[0] - 0x20) & 0x3F;
        if (len == 0) break;
        std::size_t i = 1;
        int produced = 0;
        while (produced < len && i < line.size()) {
            unsigned v[4] = {0, 0, 0, 0};
            for (int k = 0; k < 4; ++k)
                v[k] = i + static_cast<std::size_t>(k) < line.size()
                           ? static_cast<unsigned>((line[i + static_cast<std::size_t>(k)] - 0x20) & 0x3F)
                           : 0u;
            unsigned char bytes[3] = {static_cast<unsigned char>((v[0] << 2) | (v[1] >> 4)),
                                      static_cast<unsigned char>(((v[1] & 0xF) << 4) | (v[2] >> 2)),
                                      static_cast<unsigned char>(((v[2] & 0x3) << 6) | v[3])};
            for (int k = 0; k < 3 && produced < len; ++k, ++produced) out.push_back(static_cast<char>(bytes[k]));
            i += 4;
        }
    }
    return out;
}

std::string decodeTransfer(std::string_view body, std::string_view cte, std::vector<std::string>* defects) {
    std::string enc = lower(cte);
    while (!enc.empty() && isSpace(enc.back())) enc.pop_back();
    while (!enc.empty() && isSpace(enc.front())) enc.erase(enc.begin());
    bool bad = false;
    std::string out;
    if (enc == "base64") {
        out = decodeBase64(body, &bad);
        if (bad && defects) defects->push_back("invalid base64 data");
    } else if (enc == "quoted-printable") {
        out = decodeQuotedPrintable(body, &bad);
    } else if (enc == "x-uuencode" || enc == "uuencode" || enc == "x-uue") {
        std::size_t begin = body.find("begin ");
        if (begin != std::string_view::npos) {
            std::size_t eol = body.find('\n', begin);
            out = decodeUuencodeLines(eol == std::string_view::npos ? std::string_view{} : body.substr(eol + 1));
        }
    } else {
        if (!enc.empty() && enc != "7bit" && enc != "8bit" && enc != "binary" && defects)
            defects->push_back("unknown Content-Transfer-Encoding " + std::string(cte.substr(0, 40)));
        out = std::string(body);
    }
    return out;
}

std::string decodeEncodedWords(std::string_view value, std::vector<std::string>* defects) {
    if (value.find("=?") == std::string_view::npos) return std::string(value);
    std::string out;
    out.reserve(value.size());
    std::string pending;          // decoded bytes of adjacent words in one charset
    std::string pending_charset;  // as labelled
    // Base64 text of the last B words, not yet decoded: some encoders split a base64 run
    // between words in the middle of a 4-character quantum (RFC 2047 §5 forbids it), and
    // decoding each word alone then loses the bytes at the cut (seen as "… 12.22.38.jp"
    // for a long NFD file name). A word whose text is not a whole number of quanta, without
    // '=' padding, is therefore joined with the next B word of the same charset.
    std::string pending_b64;
    bool b64_open = false;  // pending_b64 ends inside a quantum
    auto decodePendingB64 = [&] {
        if (!pending_b64.empty()) pending += decodeBase64(pending_b64);
        pending_b64.clear();
        b64_open = false;
    };
    auto flush = [&] {
        decodePendingB64();
        if (!pending_charset.empty() || !pending.empty()) {
            out += toUtf8(pending, pending_charset, defects);
            pending.clear();
            pending_charset.clear();
        }
    };
    std::size_t i = 0;
    bool last_was_word = false;
    std::size_t gap_start = 0;  // start of literal text since the last word
    while (i < value.size()) {
        std::size_t start = value.find("=?", i);
        if (start == std::string_view::npos) break;
        // =?charset?enc?text?=
        std::size_t q1 = value.find('?', start + 2);
        if (q1 == std::string_view::npos) break;
        std::size_t q2 = q1 + 2 < value.size() && value[q1 + 2] == '?' ? q1 + 2 : std::string_view::npos;
        std::size_t end = q2 == std::string_view::npos ? std::string_view::npos : value.find("?=", q2 + 1);
        std::string_view charset = value.substr(start + 2, q1 - start - 2);
        bool charset_ok = !charset.empty() && charset.size() < 64 && charset.find_first_of(" \t\"") == std::string_view::npos;
        if (q2 != std::string_view::npos && end == std::string_view::npos) break;  // no "?=" anywhere after: done
        if (end == std::string_view::npos || !charset_ok) {
            i = start + 2;
            continue;
        }
        char enc = static_cast<char>(std::toupper(static_cast<unsigned char>(value[q1 + 1])));
        if (enc != 'B' && enc != 'Q') {
            i = start + 2;
            continue;
        }
        std::string_view text = value.substr(q2 + 1, end - q2 - 1);
        std::string_view gap = value.substr(gap_start, start - gap_start);
        bool gap_blank = true;
        for (char c : gap) gap_blank = gap_blank && isSpace(c);
        // RFC 2047 §6.2: linear whitespace between adjacent encoded words is ignored.
        if (!(last_was_word && gap_blank)) {
            flush();
            out.append(gap);
        }
        std::string cs = lower(charset);
        if (auto star = cs.find('*'); star != std::string::npos) cs.resize(star);  // RFC 2231 §5 language
        if (cs != pending_charset) flush();
        pending_charset = cs;
        std::string decoded;
        if (enc == 'B') {
            // Joined with the previous word's text when that one stopped inside a quantum.
            if (!b64_open) decodePendingB64();
            bool padded = false;
            for (char c : text) {
                if (isSpace(c)) continue;
                padded = padded || c == '=';
                pending_b64.push_back(c);
            }
            b64_open = !padded && pending_b64.size() % 4 != 0;
        } else {
            decodePendingB64();
            decoded.reserve(text.size());
            for (std::size_t k = 0; k < text.size(); ++k) {
                char c = text[k];
                if (c == '_') decoded.push_back(' ');
                else if (c == '=' && k + 2 < text.size() && hexValue(text[k + 1]) >= 0 && hexValue(text[k + 2]) >= 0) {
                    decoded.push_back(static_cast<char>(hexValue(text[k + 1]) * 16 + hexValue(text[k + 2])));
                    k += 2;
                } else decoded.push_back(c);
            }
        }
        pending += decoded;
        last_was_word = true;
        i = end + 2;
        gap_start = i;
    }
    flush();
    out.append(value.substr(gap_start));
    return out;
}

}  // namespace deskgate
