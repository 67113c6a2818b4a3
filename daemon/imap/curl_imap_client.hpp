// IMAP over libcurl: curl makes the connection, TLS (verified) and login (CURLOPT_CONNECT_ONLY);
// deskgate speaks the few commands it needs itself over curl_easy_send/recv and parses the
// answers with ImapResponseParser (DESIGN §2a: libcurl 7.88 has no IDLE, hands FETCH literals
// to the header callback and caps responses at 300 KB). The socket is waited on with Asio, and
// connect and login (a blocking curl_easy_perform) run on a worker thread, so the event loop
// never blocks on the network.
//
// One command at a time, never pipelined: every tagged answer must carry the tag of the command
// in flight (anything else means the stream is out of step, and the connection is dropped).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "parsers/imap_folders.hpp"
#include "parsers/imap_response.hpp"

namespace deskgate {

struct ImapSettings {
    std::string name;       // the mailbox's name in deskgate.yaml, for the log
    std::string url;        // imap://host:port or imaps://host:port
    std::string username;
    std::string password;
    std::string ca_file;    // extra CA bundle; verification is always on
    bool starttls = false;  // require STARTTLS on imap://
    std::chrono::seconds connect_timeout{30};  // TCP, TLS and login together
    // Inactivity: a command fails when the server sends nothing for this long (a large mail on
    // a slow link takes as long as it takes, as long as bytes keep coming).
    std::chrono::seconds read_timeout{30};
    std::size_t max_literal = 256u << 20;  // the largest literal accepted (a body we asked for)
};

// The connection is unusable (lost, timed out, out of step, TLS, login): reconnect.
struct ImapFailure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The server answered one command with a tagged NO or BAD. The connection stays usable.
struct ImapRefused : ImapFailure {
    ImapRefused(std::string command_verb, std::string answer)
        : ImapFailure("IMAP " + command_verb + " refused: " + answer), verb(std::move(command_verb)),
          server_text(std::move(answer)) {}
    // A response code of the answer, e.g. hasCode("OVERQUOTA") for "NO [OVERQUOTA] Quota exceeded".
    bool hasCode(std::string_view code) const;
    std::string verb;
    std::string server_text;  // "NO [OVERQUOTA] Quota exceeded"
};

struct SelectInfo {
    std::uint64_t uidvalidity = 0;
    std::uint64_t uidnext = 0;
    std::uint64_t exists = 0;
};

// STATUS (MESSAGES UNSEEN) of a folder (RFC 3501 §6.3.10).
struct FolderStatus {
    std::uint64_t messages = 0;
    std::uint64_t unseen = 0;
};

struct MessageSize {
    std::uint64_t uid = 0;
    std::uint64_t size = 0;  // RFC822.SIZE
};

// What a UID FETCH of bodies brought: the messages (a NIL body has no value), and the server's
// text when it ended with a tagged NO (some of the UIDs could not be fetched).
struct FetchedBodies {
    std::vector<ImapFetch> messages;
    std::optional<std::string> refused;
};

class CurlImapClient {
public:
    CurlImapClient(boost::asio::io_context& io, ImapSettings settings);
    ~CurlImapClient();
    CurlImapClient(const CurlImapClient&) = delete;
    CurlImapClient& operator=(const CurlImapClient&) = delete;

    // Connects, verifies TLS and logs in on a worker thread. Throws ImapFailure with curl's reason.
    boost::asio::awaitable<void> connect();
    bool connected() const { return curl_ != nullptr; }
    void disconnect();
    bool hasCapability(std::string_view name) const;
    const std::vector<std::string>& capabilities() const { return capabilities_; }
    // Asks for CAPABILITY unless the server has told them since the login (RFC 3501 §7.2.1).
    boost::asio::awaitable<void> ensureCapabilities();
    // The server's first line ("* OK [CAPABILITY ...] Dovecot ready."), as curl read it at connect.
    const std::string& greeting() const { return greeting_; }
    // Messages in the selected folder as the server last said (SELECT, then EXISTS/EXPUNGE).
    std::uint64_t exists() const { return exists_; }
    // Forgets that the server reported new mail (call before looking for it): an EXISTS that
    // comes after this makes the next idle() return at once instead of waiting for another.
    void clearNews() { news_ = false; }

    // Folder names here are the server's (modified UTF-7, with the namespace prefix): see
    // folder_names.hpp for how a configured name becomes one.
    boost::asio::awaitable<SelectInfo> select(const std::string& folder);
    // The highest UID in the selected folder (FETCH * (UID)), 0 when it is empty.
    boost::asio::awaitable<std::uint64_t> highestUid();
    // UIDs in [from, to] (both ends inclusive), ascending; with `criteria` (e.g. "UNSEEN",
    // "SINCE 24-Nov-2026") only those that match. A bounded window keeps the answer small.
    boost::asio::awaitable<std::vector<std::uint64_t>> searchUids(std::uint64_t from, std::uint64_t to,
                                                                  const std::string& criteria = "");
    // The messages with UIDs in [from, to] and their RFC822.SIZE, ascending.
    boost::asio::awaitable<std::vector<MessageSize>> fetchSizes(std::uint64_t from, std::uint64_t to);
    // BODY.PEEK[] of the given UIDs (never sets \Seen by itself).
    boost::asio::awaitable<FetchedBodies> fetchBodies(const std::vector<std::uint64_t>& uids);
    // BODY.PEEK[HEADER] of one message: nullopt when the server gave none.
    boost::asio::awaitable<std::optional<std::string>> fetchHeader(std::uint64_t uid);
    boost::asio::awaitable<void> addFlags(const std::vector<std::uint64_t>& uids, const std::string& flags);
    boost::asio::awaitable<void> move(const std::vector<std::uint64_t>& uids, const std::string& folder);
    // A plain CREATE; a tagged NO throws ImapRefused (folder_names.hpp decides what it means).
    boost::asio::awaitable<void> createFolder(const std::string& folder);
    // RFC 2342 NAMESPACE: the first personal namespace; nullopt when the server names none.
    boost::asio::awaitable<std::optional<ImapNamespace>> personalNamespace();
    // LIST reference pattern (RFC 3501 §6.3.8); `pattern` as on the wire, quoted here.
    boost::asio::awaitable<std::vector<ImapListEntry>> list(const std::string& reference, const std::string& pattern);
    boost::asio::awaitable<FolderStatus> status(const std::string& folder);
    // IDLE until the server reports new mail, `max_wait` passes or wake() is called.
    // Returns true when the server reported new mail.
    boost::asio::awaitable<bool> idle(std::chrono::seconds max_wait);
    // Ends a running idle() or connect() early (e.g. on shutdown).
    void wake();

private:
    struct Result {
        std::vector<ImapResponse> untagged;
        ImapResponse done;
    };
    struct ConnectJob;
    enum class Wait;
    // Sends one command and reads until its own tagged answer, whatever its status.
    boost::asio::awaitable<Result> exchange(const std::string& command);
    // The same; a tagged NO or BAD throws ImapRefused with the server's text.
    boost::asio::awaitable<Result> command(const std::string& command);
    boost::asio::awaitable<void> sendAll(const std::string& bytes);
    // Feeds what the server sent to the parser; waits for the socket until `deadline`.
    boost::asio::awaitable<Wait> receive(std::chrono::steady_clock::time_point deadline);
    // The next response; the connection fails when nothing arrives for read_timeout.
    boost::asio::awaitable<ImapResponse> readResponse(const std::string& waiting_for);
    // The next response, or nullopt at `deadline` or on wake() (IDLE: silence is normal there).
    boost::asio::awaitable<std::optional<ImapResponse>> readUntil(std::chrono::steady_clock::time_point deadline);
    boost::asio::awaitable<Wait> waitSocket(bool write, std::chrono::steady_clock::time_point deadline);
    // An untagged response that came while waiting: state it changes (EXISTS, EXPUNGE,
    // CAPABILITY, BYE). Returns true for new mail (EXISTS above what we knew).
    bool noteUntagged(const ImapResponse& r);
    [[noreturn]] void fail(const std::string& what);

    boost::asio::io_context& io_;
    ImapSettings settings_;
    void* curl_ = nullptr;  // CURL*
    std::shared_ptr<ConnectJob> connecting_;
    std::thread connect_thread_;
    std::unique_ptr<boost::asio::posix::stream_descriptor> socket_;
    ImapResponseParser parser_;
    std::vector<std::string> capabilities_;
    std::string greeting_;
    std::uint64_t exists_ = 0;
    bool news_ = false;  // an EXISTS above exists_ came since clearNews()
    unsigned tag_ = 0;
    bool woken_ = false;
    bool idling_ = false;
};

std::string uidSet(const std::vector<std::uint64_t>& uids);

}  // namespace deskgate
