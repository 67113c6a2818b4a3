// Small UTF-8 helpers shared by the template loader and the MIME builder.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace deskgate {

// Length of the valid UTF-8 sequence starting at s[pos] (1..4), or 0 when the bytes there
// are not well-formed UTF-8 (RFC 3629 §4: no overlongs, no surrogates, nothing above U+10FFFF).
std::size_t utf8SequenceLength(std::string_view s, std::size_t pos);

// Offset of the first byte that is not well-formed UTF-8, or npos when all of `s` is valid.
std::size_t firstInvalidUtf8(std::string_view s);

// `s` with every ill-formed byte replaced by U+FFFD, so a charset=utf-8 label is never a lie.
std::string toValidUtf8(std::string_view s);

// Number of code points in `s` (ill-formed bytes count one each).
std::size_t utf8Length(std::string_view s);

}  // namespace deskgate
