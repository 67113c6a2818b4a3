#include "templates/header_encoding.hpp"

#include <algorithm>
#include <iterator>
#include <vector>

#include <mimetic/codec/base64.h>
#include <mimetic/codec/code.h>

#include "templates/utf8.hpp"

namespace deskgate {

namespace {

// "=?UTF-8?B?" + "?=": the fixed part of every encoded word.
constexpr std::size_t kWordOverhead = 12;
// RFC 2047 §2: an encoded word is at most 75 characters long.
constexpr std::size_t kMaxWordLength = 75;

std::string encodedWord(std::string_view utf8) { return "=?UTF-8?B?" + base64(utf8) + "?="; }

std::size_t encodedWordLength(std::size_t bytes) { return kWordOverhead + (bytes + 2) / 3 * 4; }

// Most input bytes whose encoded word fits in `width` characters.
std::size_t bytesFitting(std::size_t width) {
    if (width <= kWordOverhead) return 0;
    return (width - kWordOverhead) / 4 * 3;
}

// Largest prefix of s[pos..] of at most `budget` bytes that ends on a character boundary;
// at least one whole character, so the caller always makes progress.
std::size_t takeCharacters(std::string_view s, std::size_t pos, std::size_t budget) {
    std::size_t end = pos;
    while (end < s.size()) {
        std::size_t n = utf8SequenceLength(s, end);
        if (n == 0) n = 1;
        if (end + n - pos > budget && end > pos) break;
        end += n;
        if (end - pos >= budget) break;
    }
    return end - pos;
}

std::vector<std::string_view> splitWords(std::string_view s) {
    std::vector<std::string_view> words;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && s[i] == ' ') ++i;
        std::size_t start = i;
        while (i < s.size() && s[i] != ' ') ++i;
        if (i > start) words.push_back(s.substr(start, i - start));
    }
    return words;
}

}  // namespace

std::string base64(std::string_view in) {
    std::string out;
    out.reserve((in.size() + 2) / 3 * 4);
    mimetic::Base64::Encoder encoder(0);  // 0: one line, no breaks
    mimetic::encode(in.begin(), in.end(), encoder, std::back_inserter(out));
    return out;
}

std::string sanitizeHeaderValue(std::string_view value) {
    std::string out = toValidUtf8(value);
    for (char& c : out) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) c = ' ';
    }
    return out;
}

bool needsEncodedWord(std::string_view word) {
    for (unsigned char c : word)
        if (c >= 0x80 || c < 0x20 || c == 0x7f) return true;
    return word.find("=?") != std::string_view::npos;
}

std::string encodeHeaderText(std::string_view utf8In) {
    const std::string clean = sanitizeHeaderValue(utf8In);
    if (!needsEncodedWord(clean)) return clean;
    std::string out;
    const std::size_t budget = bytesFitting(kMaxWordLength);
    for (std::size_t pos = 0; pos < clean.size();) {
        const std::size_t n = takeCharacters(clean, pos, budget);
        if (!out.empty()) out += "\r\n ";
        out += encodedWord(std::string_view(clean).substr(pos, n));
        pos += n;
    }
    return out;
}

HeaderLine::HeaderLine(std::string_view name) : out_(name) {
    out_ += ':';
    column_ = out_.size();
}

void HeaderLine::fold() {
    // RFC 5322 §2.2.3: folding is a CRLF inserted before white space.
    out_ += "\r\n";
    column_ = 0;
    line_has_content_ = false;
}

void HeaderLine::append(std::string_view text, bool space) {
    if (space) {
        out_ += ' ';
        ++column_;
    }
    out_ += text;
    column_ += text.size();
    line_has_content_ = true;
}

void HeaderLine::atom(std::string_view text, bool space) {
    if (space && line_has_content_ && column_ + 1 + text.size() > kSoftLimit) fold();
    append(text, space);
}

void HeaderLine::encoded(std::string_view utf8, bool space) {
    const std::string clean = sanitizeHeaderValue(utf8);
    const std::string_view s = clean;
    bool first = true;
    for (std::size_t pos = 0; pos < s.size();) {
        bool sep = first ? space : true;
        std::size_t width = kSoftLimit - std::min(kSoftLimit, column_ + (sep ? 1 : 0));
        // Fold when not even a word with the next character fits on this line.
        const std::size_t next = std::max<std::size_t>(utf8SequenceLength(s, pos), 1);
        if (sep && line_has_content_ && width < encodedWordLength(next)) {
            fold();
            width = kSoftLimit - 1;
        }
        const std::size_t budget = std::max<std::size_t>(bytesFitting(std::min(width, kMaxWordLength)), 1);
        const std::size_t n = takeCharacters(s, pos, budget);
        append(encodedWord(s.substr(pos, n)), sep);
        pos += n;
        first = false;
    }
}

void HeaderLine::unstructured(std::string_view utf8) {
    const std::string clean = sanitizeHeaderValue(utf8);
    const std::vector<std::string_view> words = splitWords(clean);
    // Plain words stay readable (a token like "[Ticket#1042]" survives naive tools);
    // neighbouring words that need encoding share one run, because the space between two
    // encoded words disappears when decoding (RFC 2047 §6.2) and must be encoded itself.
    // A plain word too long to fit any line is encoded too, so it can be split.
    const auto mustEncode = [](std::string_view w) { return needsEncodedWord(w) || w.size() > kSoftLimit - 8; };
    for (std::size_t i = 0; i < words.size();) {
        if (!mustEncode(words[i])) {
            atom(words[i]);
            ++i;
            continue;
        }
        std::size_t j = i + 1;
        while (j < words.size() && mustEncode(words[j])) ++j;
        const char* begin = words[i].data();
        const char* end = words[j - 1].data() + words[j - 1].size();
        encoded(std::string_view(begin, static_cast<std::size_t>(end - begin)));
        i = j;
    }
}

std::string formatUnstructuredField(std::string_view name, std::string_view value) {
    HeaderLine line(name);
    line.unstructured(value);
    return line.str();
}

}  // namespace deskgate
