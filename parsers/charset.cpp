#include "parsers/charset.hpp"
#include "parsers/ascii.hpp"
#include "parsers/parsed_mail.hpp"

#include <uchardet/uchardet.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <iconv.h>
#include <unordered_map>

namespace deskgate {
namespace {

void addDefect(std::vector<std::string>* defects, std::string text) {
    if (defects) deskgate::addDefect(*defects, std::move(text));
}

// Labels seen in real mail that iconv does not know, or knows under a narrower meaning.
// The right-hand sides are supersets: decoding with them never loses a valid character.
struct Alias {
    std::string_view label;
    std::string_view iconv_name;
};
constexpr std::array kAliases{
    Alias{"utf8", "UTF-8"},           Alias{"uft-8", "UTF-8"},          Alias{"utf-8", "UTF-8"},
    Alias{"unicode-1-1-utf-8", "UTF-8"}, Alias{"x-unicode20utf8", "UTF-8"},
    // WHATWG encoding standard: Latin-1 labels are decoded as windows-1252, because
    // mail labelled Latin-1 routinely carries cp1252 quotes and dashes in 0x80–0x9F.
    Alias{"iso-8859-1", "WINDOWS-1252"}, Alias{"iso8859-1", "WINDOWS-1252"}, Alias{"latin1", "WINDOWS-1252"},
    Alias{"latin-1", "WINDOWS-1252"}, Alias{"l1", "WINDOWS-1252"}, Alias{"iso_8859-1", "WINDOWS-1252"},
    Alias{"us-ascii", "WINDOWS-1252"}, Alias{"ascii", "WINDOWS-1252"}, Alias{"ansi_x3.4-1968", "WINDOWS-1252"},
    Alias{"cp1252", "WINDOWS-1252"},  Alias{"x-cp1252", "WINDOWS-1252"},
    Alias{"ks_c_5601-1987", "CP949"}, Alias{"ks_c_5601", "CP949"},    Alias{"ks_c_5601-1989", "CP949"},
    Alias{"euc-kr", "CP949"},         Alias{"x-windows-949", "CP949"},
    Alias{"gb2312", "GB18030"},       Alias{"gbk", "GB18030"},          Alias{"x-gbk", "GB18030"},
    Alias{"x-euc-cn", "GB18030"},     Alias{"cn-gb", "GB18030"},
    Alias{"big5", "BIG5-HKSCS"},      Alias{"x-big5", "BIG5-HKSCS"},
    Alias{"shift_jis", "CP932"},      Alias{"shift-jis", "CP932"},      Alias{"x-sjis", "CP932"},
    Alias{"sjis", "CP932"},           Alias{"windows-31j", "CP932"},    Alias{"ms_kanji", "CP932"},
    Alias{"iso-2022-jp", "ISO-2022-JP-3"}, Alias{"csiso2022jp", "ISO-2022-JP-3"},
    Alias{"euc-jp", "EUC-JP-MS"},     Alias{"x-euc-jp", "EUC-JP-MS"},
    Alias{"iso-8859-8-i", "ISO-8859-8"}, Alias{"iso-8859-6-i", "ISO-8859-6"},
    Alias{"windows-874", "CP874"},    Alias{"tis-620", "CP874"},        Alias{"iso-8859-11", "CP874"},
    Alias{"x-mac-roman", "MACINTOSH"}, Alias{"macintosh", "MACINTOSH"}, Alias{"x-mac-cyrillic", "MAC-CYRILLIC"},
    Alias{"koi8-r", "KOI8-R"},        Alias{"koi8-u", "KOI8-U"},        Alias{"x-koi8-r", "KOI8-R"},
    Alias{"utf-7", "UTF-7"},          Alias{"unicode-1-1-utf-7", "UTF-7"},
    Alias{"cp-850", "CP850"},         Alias{"ibm850", "CP850"},
};

// Labels that carry no information: decode by detection.
constexpr std::array<std::string_view, 9> kMeaningless{
    "", "x-unknown", "unknown", "unknown-8bit", "x-user-defined", "default", "charset", "none", "8bit"};

struct IconvCache {
    std::unordered_map<std::string, iconv_t> handles;
    ~IconvCache() { clear(); }
    // Returns (iconv_t)-1 when iconv cannot convert from `name`.
    iconv_t get(const std::string& name) {
        if (auto it = handles.find(name); it != handles.end()) return it->second;
        // Bogus labels from hostile mail must not grow the cache without bound.
        if (handles.size() >= 128) clear();
        iconv_t cd = iconv_open("UTF-8", name.c_str());
        handles.emplace(name, cd);
        return cd;
    }
    void clear() {
        for (auto& [name, cd] : handles)
            if (cd != reinterpret_cast<iconv_t>(-1)) iconv_close(cd);
        handles.clear();
    }
};

IconvCache& iconvCache() {
    thread_local IconvCache cache;
    return cache;
}

// Converts with iconv; invalid input bytes become U+FFFD. Returns false if iconv lacks the charset.
bool convert(std::string_view bytes, const std::string& name, std::string& out, bool& lossy) {
    iconv_t cd = iconvCache().get(name);
    if (cd == reinterpret_cast<iconv_t>(-1)) return false;
    iconv(cd, nullptr, nullptr, nullptr, nullptr);  // reset shift state (ISO-2022-JP, UTF-7)
    out.clear();
    // Worst case for the common single-byte charsets is 3 UTF-8 bytes per input byte, but 2×
    // is plenty for real text; the loop below grows on E2BIG.
    out.resize_and_overwrite(bytes.size() * 2 + 16, [](char*, std::size_t n) { return n; });
    char* in = const_cast<char*>(bytes.data());
    std::size_t in_left = bytes.size();
    std::size_t used = 0;
    while (true) {
        char* dst = out.data() + used;
        std::size_t dst_left = out.size() - used;
        std::size_t rc = iconv(cd, in_left ? &in : nullptr, in_left ? &in_left : nullptr, &dst, &dst_left);
        used = out.size() - dst_left;
        if (rc != static_cast<std::size_t>(-1)) {
            if (in_left == 0) break;
            continue;
        }
        if (errno == E2BIG) {
            out.resize(out.size() * 2);
            continue;
        }
        // EILSEQ or EINVAL (truncated sequence at the end): replace one byte and go on.
        lossy = true;
        out.resize(std::max(out.size(), used + 3 + in_left * 2 + 16));
        std::memcpy(out.data() + used, "\xEF\xBF\xBD", 3);
        used += 3;
        ++in;
        --in_left;
        iconv(cd, nullptr, nullptr, nullptr, nullptr);
        if (in_left == 0) break;
    }
    out.resize(used);
    return true;
}

}  // namespace

bool isAscii(std::string_view bytes) {
    for (unsigned char c : bytes)
        if (c >= 0x80) return false;
    return true;
}

bool isValidUtf8(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const auto* end = p + s.size();
    while (p < end) {
        unsigned char c = *p;
        if (c < 0x80) {
            ++p;
            continue;
        }
        int n;
        unsigned min;
        unsigned cp;
        if ((c & 0xE0) == 0xC0) n = 1, min = 0x80, cp = c & 0x1Fu;
        else if ((c & 0xF0) == 0xE0) n = 2, min = 0x800, cp = c & 0x0Fu;
        else if ((c & 0xF8) == 0xF0) n = 3, min = 0x10000, cp = c & 0x07u;
        else return false;
        if (end - p < n + 1) return false;
        for (int i = 1; i <= n; ++i) {
            if ((p[i] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (p[i] & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        p += n + 1;
    }
    return true;
}

std::string sanitizeUtf8(std::string_view s) {
    if (isValidUtf8(s)) return std::string(s);
    std::string out;
    out.reserve(s.size() + 16);
    std::size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (len && i + len <= s.size() && isValidUtf8(s.substr(i, len))) {
            out.append(s.substr(i, len));
            i += len;
        } else {
            out += "\xEF\xBF\xBD";
            ++i;
        }
    }
    return out;
}

std::string canonicalCharset(std::string_view label) {
    // Labels arrive quoted, padded, or with an RFC 2231 language suffix ("utf-8*de").
    while (!label.empty() && (label.front() == '"' || label.front() == '\'' || std::isspace(static_cast<unsigned char>(label.front()))))
        label.remove_prefix(1);
    while (!label.empty() && (label.back() == '"' || label.back() == '\'' || std::isspace(static_cast<unsigned char>(label.back()))))
        label.remove_suffix(1);
    if (auto star = label.find('*'); star != std::string_view::npos) label = label.substr(0, star);
    std::string l = lower(label);
    for (auto m : kMeaningless)
        if (l == m) return {};
    for (const auto& a : kAliases)
        if (l == a.label) return std::string(a.iconv_name);
    if (l.starts_with("x-") && l.size() > 2) {
        // "x-mac-…", "x-iso-8859-1": try without the experimental prefix as well.
        std::string rest = l.substr(2);
        for (const auto& a : kAliases)
            if (rest == a.label) return std::string(a.iconv_name);
    }
    std::string upper(l);
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return upper;
}

std::string detectCharset(std::string_view bytes) {
    struct Handle {
        uchardet_t ud = uchardet_new();
        ~Handle() { uchardet_delete(ud); }
    };
    thread_local Handle h;
    uchardet_reset(h.ud);
    // The first 64 KB decide; more only costs time.
    std::string_view sample = bytes.substr(0, 64 * 1024);
    if (uchardet_handle_data(h.ud, sample.data(), sample.size()) != 0) return {};
    uchardet_data_end(h.ud);
    const char* cs = uchardet_get_charset(h.ud);
    return cs ? std::string(cs) : std::string();
}

std::string toUtf8(std::string_view bytes, std::string_view charset, std::vector<std::string>* defects) {
    std::string name = canonicalCharset(charset);
    // 7-bit encodings of Unicode and CJK must go through iconv even when all bytes are ASCII.
    bool seven_bit_encoding = name == "UTF-7" || name.starts_with("ISO-2022") || name == "HZ-GB-2312" ||
                              name.starts_with("UTF-16") || name.starts_with("UTF-32") || name == "UCS-2";
    if (!seven_bit_encoding && isAscii(bytes)) return std::string(bytes);
    if (seven_bit_encoding && name != "UTF-16" && !name.starts_with("UTF-16") && !name.starts_with("UTF-32") &&
        name != "UCS-2" && !isAscii(bytes)) {
        // 8-bit bytes cannot be ISO-2022-JP/UTF-7: the label is wrong (often the text is UTF-8).
        addDefect(defects, "8-bit data in a part labelled " + std::string(charset));
        if (isValidUtf8(bytes)) return std::string(bytes);
        std::string guess = canonicalCharset(detectCharset(bytes));
        name = guess.empty() || guess == "ASCII" ? "WINDOWS-1252" : guess;
        if (name == "UTF-8") return sanitizeUtf8(bytes);
    }

    if (name.empty() || name == "UTF-8" || name == "WINDOWS-1252") {
        // Most mail labelled (or not labelled at all) is in fact UTF-8; an ASCII or Latin-1
        // label on valid multibyte UTF-8 is a mislabel, and UTF-8 is the better guess.
        if (isValidUtf8(bytes)) {
            if (!name.empty() && name != "UTF-8" && charset.size() && lower(charset).find("ascii") != std::string::npos)
                addDefect(defects, "8-bit data in a part labelled " + std::string(charset));
            return std::string(bytes);
        }
        if (name == "UTF-8") addDefect(defects, "invalid UTF-8 in a part labelled " + std::string(charset));
        if (name != "WINDOWS-1252" || lower(charset).find("ascii") != std::string::npos) {
            std::string guess = canonicalCharset(detectCharset(bytes));
            if (guess.empty() || guess == "UTF-8" || guess == "ASCII") guess = "WINDOWS-1252";
            name = guess;
        }
    }

    std::string out;
    bool lossy = false;
    if (!convert(bytes, name, out, lossy)) {
        addDefect(defects, "unknown charset " + std::string(charset));
        std::string guess = canonicalCharset(detectCharset(bytes));
        if (guess.empty() || guess == "UTF-8" || guess == "ASCII" || !convert(bytes, guess, out, lossy)) {
            if (!convert(bytes, "WINDOWS-1252", out, lossy)) return sanitizeUtf8(bytes);
        }
    }
    if (lossy) addDefect(defects, "undecodable bytes for charset " + std::string(charset.empty() ? name : charset));
    return out;
}

}  // namespace deskgate
