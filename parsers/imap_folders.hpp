// Folder names against the server's namespace (RFC 2342) and hierarchy separator (RFC 3501
// §6.3.8): what NAMESPACE and LIST answer, and which name a configured folder has on the server.
// Courier and Cyrus keep every folder under the personal prefix "INBOX." (separator "."), where
// `CREATE Handled` is refused; Dovecot's default is prefix "" with "/" (README, "IMAP servers").
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "parsers/imap_response.hpp"

namespace deskgate {

// The personal namespace: where the user's own folders live.
struct ImapNamespace {
    std::string prefix;     // "INBOX." (Courier, Cyrus) or "" (Dovecot), as on the wire
    std::string separator;  // "." or "/"; empty when the server has no hierarchy (NIL) or did not say
};

// "* NAMESPACE (("INBOX." ".")) NIL NIL" -> the first personal namespace (RFC 2342 §5);
// nullopt for another response, or when the server has no personal namespace (NIL).
std::optional<ImapNamespace> parseNamespace(const ImapResponse& response);

// One line of "* LIST (\HasNoChildren) "." INBOX.Handled" (RFC 3501 §7.2.2).
struct ImapListEntry {
    std::vector<std::string> attributes;  // as sent: "\HasNoChildren", "\Noselect"
    std::string separator;                // empty for NIL
    std::string name;                     // as on the wire (modified UTF-7)
    bool hasAttribute(std::string_view attribute) const;  // case-insensitive
};
std::optional<ImapListEntry> parseList(const ImapResponse& response);

// "* STATUS INBOX.Handled (MESSAGES 3 UNSEEN 0)" (RFC 3501 §7.2.4): the counts it gives.
struct ImapStatus {
    std::string name;  // as on the wire
    std::optional<std::uint64_t> messages, unseen, uidnext, uidvalidity;
};
std::optional<ImapStatus> parseStatus(const ImapResponse& response);

// The name a configured folder (UTF-8, as in deskgate.yaml) has on the server, in modified
// UTF-7: INBOX stays INBOX; a name that already starts with the personal prefix is kept; any
// other gets the prefix ("Handled" -> "INBOX.Handled"). Throws std::runtime_error for invalid UTF-8.
std::string serverFolderName(std::string_view configured, const ImapNamespace& ns);

// Two server names for the same folder? INBOX is case-insensitive (RFC 3501 §5.1), also as the
// first level of a hierarchy ("inbox.Handled" = "INBOX.Handled" with separator "."); the rest is exact.
bool sameFolder(std::string_view a, std::string_view b, std::string_view separator);

// A server name (modified UTF-7) as UTF-8, for people to read; unchanged when it does not decode.
std::string folderNameForDisplay(std::string_view server_name);

}  // namespace deskgate
