// Content-transfer-encodings (RFC 2045 §6) and RFC 2047 encoded words.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace deskgate {

// Lenient base64: characters outside the alphabet are skipped (RFC 2045 §6.8), missing
// padding is tolerated. `bad` is set when garbage or a truncated quantum was seen.
std::string decodeBase64(std::string_view in, bool* bad = nullptr);
// Quoted-printable (RFC 2045 §6.7): soft line breaks removed, invalid escapes kept literally.
std::string decodeQuotedPrintable(std::string_view in, bool* bad = nullptr);
// Body of one uuencoded file (the lines between "begin" and "end").
std::string decodeUuencodeLines(std::string_view lines);
// Decodes a body by its Content-Transfer-Encoding (lower-case); unknown encodings pass through.
std::string decodeTransfer(std::string_view body, std::string_view cte, std::vector<std::string>* defects);

// RFC 2047 encoded words in an (already UTF-8) header value, e.g.
// "=?ISO-8859-1?Q?Gr=FC=DFe?= =?UTF-8?B?w7xiZXI=?=" → "Grüße über". Whitespace between
// adjacent encoded words is dropped (§6.2); words of one charset are joined before
// conversion, because encoders split multibyte characters across words.
std::string decodeEncodedWords(std::string_view value, std::vector<std::string>* defects);

}  // namespace deskgate
