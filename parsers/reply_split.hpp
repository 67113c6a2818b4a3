// Splits a reply's text into the new part and the quoted history.
#pragma once

#include <string>
#include <string_view>

namespace deskgate {

struct ReplySplit {
    std::string reply;   // the new text, without the signature
    std::string quoted;  // the quoted history from its header line ("On … wrote:") on
};

// Recognises ">" quoting, "On … wrote:", "Am … schrieb …:" (and the French, Spanish, Dutch,
// Italian forms), Outlook's "-----Original Message-----" and "From:/Von: … Sent:/Gesendet:"
// header blocks (also after a "____" rule), and cuts the "-- " signature (RFC 3676 §4.3)
// off the new part.
ReplySplit splitReply(std::string_view text);

// Same, but the quote is known to start at `quote_start` (an HTML quote container).
ReplySplit splitReplyAt(std::string_view text, std::size_t quote_start);

// RFC 3676 format=flowed: joins soft-broken lines, removes space-stuffing (and with
// delsp=yes the space before the break).
std::string unflow(std::string_view text, bool delsp);

}  // namespace deskgate
