// Quoted-printable body encoding (RFC 2045 §6.7) for the text parts deskgate sends.
#pragma once

#include <string>
#include <string_view>

namespace deskgate {

// Encodes `text` (line ends LF, CRLF or CR) as quoted-printable with CRLF line ends:
// encoded lines of at most 76 characters (soft breaks "=" at the end), '=' and every byte
// outside printable ASCII encoded, white space at a line end encoded (RFC 2045 §6.7 (3)),
// and "From " / "." at the start of a line encoded so mbox tools and SMTP cannot alter them.
// The result always ends with CRLF.
std::string encodeQuotedPrintable(std::string_view text);

// The inverse, for tests and for reading our own mail back: soft breaks removed, =XX
// decoded, line ends returned as LF.
std::string decodeQuotedPrintable(std::string_view encoded);

// Line ends normalized to LF, ending with exactly one LF.
std::string normalizeLineEnds(std::string_view text);

}  // namespace deskgate
