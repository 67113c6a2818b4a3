// IMAP over libcurl: curl makes the connection, TLS (verified) and login (CURLOPT_CONNECT_ONLY);
// deskgate speaks the few commands it needs itself over curl_easy_send/recv and parses the
// answers with ImapResponseParser (DESIGN §2a: libcurl 7.88 has no IDLE, hands FETCH literals
// to the header callback and caps responses at 300 KB). The socket is waited on with Asio, so
// the event loop never blocks on the network (connect and login excepted: they are short and
// bounded by the connect timeout).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include "parsers/imap_response.hpp"

namespace deskgate {

struct ImapSettings {
    std::string url;        // imap://host:port or imaps://host:port
    std::string username;
    std::string password;
    std::string ca_file;    // extra CA bundle; verification is always on
    bool starttls = false;  // require STARTTLS on imap://
    std::chrono::seconds timeout{60};
};

// A failure talking to the server: connection lost, timeout, TLS, login, or a NO/BAD answer.
struct ImapFailure : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct SelectInfo {
    std::uint64_t uidvalidity = 0;
    std::uint64_t uidnext = 0;
    std::uint64_t exists = 0;
};

class CurlImapClient {
public:
    CurlImapClient(boost::asio::io_context& io, ImapSettings settings);
    ~CurlImapClient();
    CurlImapClient(const CurlImapClient&) = delete;
    CurlImapClient& operator=(const CurlImapClient&) = delete;

    // Connects, verifies TLS and logs in. Throws ImapFailure with curl's reason.
    void connect();
    bool connected() const { return curl_ != nullptr; }
    void disconnect();
    bool hasCapability(std::string_view name) const;

    boost::asio::awaitable<SelectInfo> select(const std::string& folder);
    // UIDs of messages with UID >= from_uid (RFC 3501: "n:*" also returns the highest UID, filtered here).
    boost::asio::awaitable<std::vector<std::uint64_t>> searchUidsFrom(std::uint64_t from_uid);
    boost::asio::awaitable<std::vector<std::uint64_t>> searchUnseen();
    // BODY.PEEK[] of the given UIDs (never sets \Seen by itself).
    boost::asio::awaitable<std::vector<ImapFetch>> fetchBodies(const std::vector<std::uint64_t>& uids);
    boost::asio::awaitable<void> addFlags(const std::vector<std::uint64_t>& uids, const std::string& flags);
    boost::asio::awaitable<void> move(const std::vector<std::uint64_t>& uids, const std::string& folder);
    boost::asio::awaitable<void> createFolder(const std::string& folder);
    // IDLE until the server reports a change or `max_wait` passes or wake() is called.
    // Returns true when the server reported new mail.
    boost::asio::awaitable<bool> idle(std::chrono::seconds max_wait);
    // Ends a running idle() early (e.g. on shutdown).
    void wake();

private:
    struct Result {
        std::vector<ImapResponse> untagged;
        ImapResponse done;
    };
    boost::asio::awaitable<Result> command(const std::string& command);
    boost::asio::awaitable<void> sendAll(const std::string& bytes);
    boost::asio::awaitable<ImapResponse> readResponse(std::chrono::steady_clock::time_point deadline);
    boost::asio::awaitable<void> waitSocket(bool write, std::chrono::steady_clock::time_point deadline);
    [[noreturn]] void fail(const std::string& what);

    boost::asio::io_context& io_;
    ImapSettings settings_;
    void* curl_ = nullptr;  // CURL*
    std::unique_ptr<boost::asio::posix::stream_descriptor> socket_;
    ImapResponseParser parser_;
    std::vector<std::string> capabilities_;
    unsigned tag_ = 0;
    bool woken_ = false;
    bool idling_ = false;
};

std::string uidSet(const std::vector<std::uint64_t>& uids);

}  // namespace deskgate
