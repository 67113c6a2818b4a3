#include "parsers/status_code.hpp"

#include <cctype>
#include <vector>

namespace deskgate {
namespace {

bool isDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool isAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// The end of an enhanced status code "c.sss.ddd" starting at `i` (RFC 3463 §2: class 2, 4 or
// 5, subject and detail of 1–3 digits), or 0 if none starts there.
std::size_t codeEnd(std::string_view text, std::size_t i) {
    if (i + 5 > text.size()) return 0;
    char c = text[i];
    if ((c != '2' && c != '4' && c != '5') || text[i + 1] != '.') return 0;
    if (i > 0 && (isAlnum(text[i - 1]) || text[i - 1] == '.')) return 0;
    std::size_t j = i + 2;
    std::size_t a = j;
    while (j < text.size() && j - a < 3 && isDigit(text[j])) ++j;
    if (j == a || j >= text.size() || text[j] != '.') return 0;
    std::size_t b = ++j;
    while (j < text.size() && j - b < 3 && isDigit(text[j])) ++j;
    if (j == b) return 0;
    if (j < text.size() && (isAlnum(text[j]) || (text[j] == '.' && j + 1 < text.size() && isDigit(text[j + 1])))) return 0;
    return j;
}

}  // namespace

bool isGenericStatus(std::string_view code) { return code.size() == 5 && code.substr(1) == ".0.0"; }

// The position of the first class 4 or 5 code in `text`, npos if none.
std::size_t firstCode(std::string_view text) {
    for (std::size_t i = 0; i + 5 <= text.size(); ++i) {
        if (codeEnd(text, i) == 0) continue;
        if (text[i] == '2') continue;  // success codes do not explain a bounce
        return i;
    }
    return std::string_view::npos;
}

std::string findStatusCode(std::string_view text) {
    std::size_t i = firstCode(text);
    return i == std::string_view::npos ? std::string() : std::string(text.substr(i, codeEnd(text, i) - i));
}

std::string causeStatusCode(std::string_view text, bool* nested) {
    if (nested) *nested = false;
    // Where the first code is (a text search for its digits could stop at "15.1.1" before it).
    std::size_t start = firstCode(text);
    if (start == std::string_view::npos) return {};
    // The line of the first code, from the beginning: the replies before the code count.
    std::size_t bol = text.rfind('\n', start);
    bol = bol == std::string_view::npos ? 0 : bol + 1;
    std::size_t eol = text.find('\n', start);
    std::string_view line = text.substr(bol, eol == std::string_view::npos ? std::string_view::npos : eol - bol);
    struct Found {
        std::string code;
        int depth;  // SMTP replies (RFC 5321 §4.2: "550 ", "421-") before it on the line
    };
    std::vector<Found> codes;
    int replies = 0;
    for (std::size_t i = 0; i < line.size() && codes.size() < 32; ++i) {
        char c = line[i];
        if (std::size_t end = codeEnd(line, i); end != 0) {
            if (c != '2') codes.push_back({std::string(line.substr(i, end - i)), replies});
            i = end - 1;
        } else if ((c == '2' || c == '4' || c == '5') && i + 3 < line.size() && isDigit(line[i + 1]) &&
                   isDigit(line[i + 2]) && (line[i + 3] == ' ' || line[i + 3] == '-') &&
                   (i == 0 || !isAlnum(line[i - 1]))) {
            // A reply quoted inside the text of another ("554 4.4.7 … <421 4.4.2 …>",
            // SES's "5.1.0 - Unknown address error 550-'5.7.1 … Access denied'").
            ++replies;
            i += 2;
        }
    }
    if (codes.empty()) return {};  // cannot happen: the line holds the first code
    const Found* best = &codes.front();
    for (const auto& f : codes)
        if (f.depth > best->depth) best = &f;
    if (best != &codes.front()) {
        if (nested) *nested = true;
        return best->code;
    }
    if (isGenericStatus(best->code))
        for (const auto& f : codes)
            if (!isGenericStatus(f.code) && f.code.front() == best->code.front()) return f.code;
    return best->code;
}

std::string preferStatus(const std::string& status, std::string_view diagnostic) {
    bool nested = false;
    std::string cause = causeStatusCode(diagnostic, &nested);
    if (cause.empty()) return status;
    if (status.empty() || nested) return cause;
    if (isGenericStatus(status) && !isGenericStatus(cause) && cause.front() == status.front()) return cause;
    return status;
}

}  // namespace deskgate
