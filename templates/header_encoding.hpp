// Header values for outgoing mail: RFC 2047 encoded words where needed, never CR/LF.
#pragma once

#include <string>
#include <string_view>

namespace deskgate {

// Replaces CR, LF and other control characters by spaces, so no value can add a header.
std::string sanitizeHeaderValue(std::string_view value);

// RFC 2047 §4/§5: plain ASCII is returned as is; anything else becomes UTF-8 "B" encoded
// words of at most 75 characters, separated by folding white space.
std::string encodeHeaderText(std::string_view utf8);

}  // namespace deskgate
