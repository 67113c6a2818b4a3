// Charset handling: every byte sequence a mail part carries becomes UTF-8.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace deskgate {

bool isAscii(std::string_view bytes);
bool isValidUtf8(std::string_view bytes);
// Replaces every invalid UTF-8 sequence with U+FFFD.
std::string sanitizeUtf8(std::string_view bytes);

// The iconv name for a charset label as real mail writes it (aliases such as
// ks_c_5601-1987 → CP949, uft-8 → UTF-8); "" when the label says nothing (x-unknown, empty).
std::string canonicalCharset(std::string_view label);

// uchardet's guess for unlabelled 8-bit text; "" when it has none.
std::string detectCharset(std::string_view bytes);

// Converts `bytes` labelled `charset` to UTF-8. A missing, unknown or wrong label falls back
// to detection; what was wrong is appended to `defects` (if not null). Never fails.
std::string toUtf8(std::string_view bytes, std::string_view charset, std::vector<std::string>* defects);

}  // namespace deskgate
