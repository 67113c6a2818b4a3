// Folder names resolved against the server (issue 15): the personal namespace and separator
// (RFC 2342 NAMESPACE when advertised, else `LIST "" ""`), the server names of the watched
// folder and of move_to, and making move_to when LIST shows it missing. Shared by the watcher
// and `deskgate check --connect`.
#pragma once

#include <string>

#include <boost/asio/awaitable.hpp>

#include "daemon/imap/curl_imap_client.hpp"

namespace deskgate {

struct ServerNamespace {
    ImapNamespace personal;
    std::string source;  // "NAMESPACE", "LIST" or "none" (the server answered neither)
};

// NAMESPACE when the server has it (RFC 2342), else the separator from `LIST "" ""` (RFC 3501
// §6.3.8) and no prefix. A refusal of either is no failure: the names stay as configured.
boost::asio::awaitable<ServerNamespace> discoverNamespace(CurlImapClient& client);

// Whether LIST shows the folder (a \Noselect or \NonExistent entry is no folder to move into).
boost::asio::awaitable<bool> folderExists(CurlImapClient& client, const std::string& server_name,
                                          const std::string& separator);

enum class FolderMade { existed, created };
// CREATE only when LIST shows the folder missing. Any NO to CREATE followed by a LIST that shows
// the folder is success (Courier: "NO Cannot create this folder." for one that exists; another
// client may have made it meanwhile). Otherwise the refusal is thrown (ImapRefused).
boost::asio::awaitable<FolderMade> ensureFolder(CurlImapClient& client, const std::string& server_name,
                                                const std::string& separator);

}  // namespace deskgate
