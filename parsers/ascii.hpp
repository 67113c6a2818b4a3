// Locale-free ASCII case folding: std::tolower goes through the C locale on every call, and
// header names, charset labels and keywords are ASCII by definition (RFC 5322 §3.6.8).
#pragma once

namespace deskgate {

constexpr char asciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c; }

}  // namespace deskgate
