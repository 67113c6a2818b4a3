// RFC 5322 §3.4 address lists, as senders really write them.
#pragma once

#include "parsers/parsed_mail.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace deskgate {

// Parses an address-list header value (already UTF-8; encoded words are decoded here,
// inside display names only). Groups are flattened, quoted-pairs resolved, comments used as
// names for "addr (Name)" forms; an unquoted comma inside a display name ("Müller, Hans
// <h@x>") is joined back.
std::vector<Address> parseAddressList(std::string_view value, std::vector<std::string>* defects);

// Message-IDs from In-Reply-To / References / Message-ID, without angle brackets, in order.
std::vector<std::string> parseMessageIds(std::string_view value);

// RFC 5322 §3.3 date-time (and obsolete zones, two-digit years) → "2024-03-01T09:05:00+01:00".
// Empty when it cannot be parsed.
std::string parseDateToIso(std::string_view value);

}  // namespace deskgate
