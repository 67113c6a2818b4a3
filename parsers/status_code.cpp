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
    std::size_t eol = text.find('\n', start);
    std::string_view line = text.substr(start, eol == std::string_view::npos ? std::string_view::npos : eol - start);
    struct Found {
        std::string code;
        int depth;
    };
    std::vector<Found> codes;
    int depth = 0;
    for (std::size_t i = 0; i < line.size() && codes.size() < 32; ++i) {
        char c = line[i];
        if (c == '<' || c == '(' || c == '[') ++depth;
        else if ((c == '>' || c == ')' || c == ']') && depth > 0) --depth;
        else if (std::size_t end = codeEnd(line, i); end != 0) {
            // A quoted reply is "421 4.4.2 …": the basic reply code (RFC 5321 §4.2) comes first.
            // A bare code in brackets ("(… 4.4.1 earlier)") is a remark, counted at depth 0.
            bool reply = i >= 4 && isDigit(line[i - 4]) && isDigit(line[i - 3]) && isDigit(line[i - 2]) &&
                         (line[i - 1] == ' ' || line[i - 1] == '-');
            if (c != '2') codes.push_back({std::string(line.substr(i, end - i)), reply ? depth : 0});
            i = end - 1;
        }
    }
    if (codes.empty()) return {};  // cannot happen: the scan starts at a code
    const Found* best = &codes.front();
    for (const auto& f : codes)
        if (f.depth > best->depth) best = &f;
    if (best->depth > 0) {
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
