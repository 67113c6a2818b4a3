// Locale-free ASCII case folding: std::tolower goes through the C locale on every call, and
// header names, charset labels and keywords are ASCII by definition (RFC 5322 §3.6.8).
#pragma once

#include <cctype>
#include <string>
#include <string_view>

namespace deskgate {

constexpr char asciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

// A lower-cased copy (ASCII letters only).
inline std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = asciiLower(c);
    return out;
}

// Equal without ASCII case (header names, parameter names, keywords).
inline bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (asciiLower(a[i]) != asciiLower(b[i])) return false;
    return true;
}

// `s` without leading and trailing white space (isspace: blank, tab, CR, LF, VT, FF).
inline std::string_view trimSpace(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

}  // namespace deskgate
