#include "daemon/imap/folder_names.hpp"

#include <algorithm>

namespace deskgate {

namespace asio = boost::asio;

asio::awaitable<ServerNamespace> discoverNamespace(CurlImapClient& client) {
    co_await client.ensureCapabilities();
    ServerNamespace out;
    if (client.hasCapability("NAMESPACE")) {
        try {
            if (auto ns = co_await client.personalNamespace()) {
                out.personal = *ns;
                out.source = "NAMESPACE";
                co_return out;
            }
        } catch (const ImapRefused&) {
            // Advertised and refused all the same: LIST still tells the separator.
        }
    }
    try {
        // RFC 3501 §6.3.8: an empty pattern asks for the hierarchy delimiter and root only.
        const auto entries = co_await client.list("", "");
        out.source = "LIST";
        if (!entries.empty()) out.personal.separator = entries.front().separator;
    } catch (const ImapRefused&) {
        out.source = "none";
    }
    co_return out;
}

asio::awaitable<bool> folderExists(CurlImapClient& client, const std::string& server_name, const std::string& separator) {
    const auto entries = co_await client.list("", server_name);
    co_return std::any_of(entries.begin(), entries.end(), [&](const ImapListEntry& e) {
        return sameFolder(e.name, server_name, separator) && !e.hasAttribute("\\Noselect") &&
               !e.hasAttribute("\\NonExistent");
    });
}

asio::awaitable<FolderMade> ensureFolder(CurlImapClient& client, const std::string& server_name,
                                         const std::string& separator) {
    if (co_await folderExists(client, server_name, separator)) co_return FolderMade::existed;
    std::optional<ImapRefused> refused;
    try {
        co_await client.createFolder(server_name);
        co_return FolderMade::created;
    } catch (const ImapRefused& e) {
        refused = e;  // no co_await inside a handler
    }
    // "NO [ALREADYEXISTS]" (RFC 5530), "NO Mailbox exists", Courier's "NO Cannot create this
    // folder.": whatever the wording, the folder is there or it is not.
    if (co_await folderExists(client, server_name, separator)) co_return FolderMade::existed;
    throw *refused;
}

}  // namespace deskgate
