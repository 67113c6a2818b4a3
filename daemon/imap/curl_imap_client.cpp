#include "daemon/imap/curl_imap_client.hpp"

#include <algorithm>
#include <unistd.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <curl/curl.h>

namespace deskgate {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

CURL* handle(void* p) { return static_cast<CURL*>(p); }

enum class Wait { ready, timeout, woken };

}  // namespace

std::string uidSet(const std::vector<std::uint64_t>& uids) {
    // Compress runs: 1,2,3,7 -> "1:3,7" (keeps command lines short for large batches).
    std::vector<std::uint64_t> sorted(uids);
    std::sort(sorted.begin(), sorted.end());
    std::string out;
    for (std::size_t i = 0; i < sorted.size();) {
        std::size_t j = i;
        while (j + 1 < sorted.size() && sorted[j + 1] == sorted[j] + 1) ++j;
        if (!out.empty()) out += ',';
        out += std::to_string(sorted[i]);
        if (j > i) out += ':' + std::to_string(sorted[j]);
        i = j + 1;
    }
    return out;
}

CurlImapClient::CurlImapClient(asio::io_context& io, ImapSettings settings) : io_(io), settings_(std::move(settings)) {}

CurlImapClient::~CurlImapClient() { disconnect(); }

void CurlImapClient::disconnect() {
    if (socket_) {
        boost::system::error_code ignored;
        socket_->close(ignored);  // our dup() of curl's socket
        socket_.reset();
    }
    if (curl_) {
        curl_easy_cleanup(handle(curl_));  // sends nothing more; the server sees the connection close
        curl_ = nullptr;
    }
    parser_ = ImapResponseParser();
    capabilities_.clear();
    idling_ = false;
}

void CurlImapClient::fail(const std::string& what) {
    disconnect();
    throw ImapFailure(what);
}

void CurlImapClient::connect() {
    disconnect();
    CURL* c = curl_easy_init();
    if (!c) throw ImapFailure("curl_easy_init failed");
    curl_ = c;
    char errbuf[CURL_ERROR_SIZE] = {0};
    std::string url = settings_.url;
    if (url.empty() || url.back() != '/') url += '/';  // no mailbox in the URL: curl must not SELECT
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_USERNAME, settings_.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, settings_.password.c_str());
    curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, static_cast<long>(std::min<long long>(settings_.timeout.count(), 60)));
    curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(settings_.timeout.count()));
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!settings_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, settings_.ca_file.c_str());
    if (settings_.starttls) curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        std::string reason = errbuf[0] ? errbuf : curl_easy_strerror(rc);
        fail("cannot connect to " + settings_.url + " as " + settings_.username + ": " + reason + " (curl " +
             std::to_string(static_cast<int>(rc)) + ")");
    }
    // CONNECT_ONLY keeps the overall timeout armed for later transfers; we time out ourselves.
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 0L);
    curl_socket_t fd = CURL_SOCKET_BAD;
    curl_easy_getinfo(c, CURLINFO_ACTIVESOCKET, &fd);
    if (fd == CURL_SOCKET_BAD) fail("no socket after connecting to " + settings_.url);
    int mine = ::dup(fd);  // Asio owns the duplicate; curl keeps its own descriptor
    if (mine < 0) fail("dup() failed");
    socket_ = std::make_unique<asio::posix::stream_descriptor>(io_, mine);
}

bool CurlImapClient::hasCapability(std::string_view name) const {
    return std::find(capabilities_.begin(), capabilities_.end(), name) != capabilities_.end();
}

asio::awaitable<void> CurlImapClient::waitSocket(bool write, Clock::time_point deadline) {
    asio::steady_timer timer(io_);
    timer.expires_at(deadline);
    bool timedOut = false;
    auto* sock = socket_.get();
    timer.async_wait([&timedOut, sock](const boost::system::error_code& ec) {
        if (!ec) {
            timedOut = true;
            sock->cancel();
        }
    });
    boost::system::error_code ec;
    co_await sock->async_wait(write ? asio::posix::stream_descriptor::wait_write
                                    : asio::posix::stream_descriptor::wait_read,
                              asio::redirect_error(asio::use_awaitable, ec));
    timer.cancel();
    if (timedOut) throw ImapFailure("timeout");
    if (ec == asio::error::operation_aborted && woken_) throw ImapFailure("woken");
    if (ec && ec != asio::error::operation_aborted) throw ImapFailure("socket wait failed: " + ec.message());
}

asio::awaitable<void> CurlImapClient::sendAll(const std::string& bytes) {
    std::size_t sent = 0;
    auto deadline = Clock::now() + settings_.timeout;
    while (sent < bytes.size()) {
        std::size_t n = 0;
        CURLcode rc = curl_easy_send(handle(curl_), bytes.data() + sent, bytes.size() - sent, &n);
        if (rc == CURLE_AGAIN) {
            co_await waitSocket(true, deadline);
            continue;
        }
        if (rc != CURLE_OK) fail(std::string("send to IMAP server failed: ") + curl_easy_strerror(rc));
        sent += n;
    }
}

asio::awaitable<ImapResponse> CurlImapClient::readResponse(Clock::time_point deadline) {
    char buf[65536];
    for (;;) {
        if (auto r = parser_.next()) co_return std::move(*r);
        std::size_t n = 0;
        CURLcode rc = curl_easy_recv(handle(curl_), buf, sizeof buf, &n);
        if (rc == CURLE_AGAIN) {
            co_await waitSocket(false, deadline);
            continue;
        }
        if (rc != CURLE_OK) fail(std::string("receive from IMAP server failed: ") + curl_easy_strerror(rc));
        if (n == 0) fail("the IMAP server closed the connection");
        if (auto fed = parser_.feed(std::string_view(buf, n)); !fed) fail("bad IMAP response: " + fed.error().message);
    }
}

asio::awaitable<CurlImapClient::Result> CurlImapClient::command(const std::string& cmd) {
    if (!curl_) throw ImapFailure("not connected");
    std::string tag = "d" + std::to_string(++tag_);
    co_await sendAll(tag + " " + cmd + "\r\n");
    Result result;
    auto deadline = Clock::now() + settings_.timeout;
    for (;;) {
        ImapResponse r;
        try {
            r = co_await readResponse(deadline);
        } catch (const ImapFailure& e) {
            if (std::string(e.what()) == "timeout") fail("timeout waiting for the answer to " + cmd.substr(0, 40));
            throw;
        }
        if (r.kind == ImapResponse::Kind::tagged && r.tag == tag) {
            result.done = std::move(r);
            break;
        }
        if (r.kind == ImapResponse::Kind::untagged && r.status() == "BYE")
            fail("the IMAP server said goodbye: " + r.text);
        if (r.kind == ImapResponse::Kind::untagged) {
            auto caps = parseCapabilities(r);
            if (!caps.empty()) capabilities_ = caps;
        }
        result.untagged.push_back(std::move(r));
    }
    if (result.done.status() != "OK") {
        auto verb = cmd.substr(0, cmd.find(' ', 4));
        throw ImapFailure("IMAP " + verb + " failed: " + result.done.text);
    }
    if (auto caps = parseCapabilities(result.done); !caps.empty()) capabilities_ = caps;
    co_return result;
}

asio::awaitable<SelectInfo> CurlImapClient::select(const std::string& folder) {
    if (capabilities_.empty()) co_await command("CAPABILITY");
    auto r = co_await command("SELECT " + imapQuote(imapMailboxName(folder)));
    SelectInfo info;
    for (const auto& u : r.untagged) {
        if (auto v = u.code("UIDVALIDITY")) info.uidvalidity = std::stoull(*v);
        if (auto v = u.code("UIDNEXT")) info.uidnext = std::stoull(*v);
        if (auto v = u.numbered("EXISTS")) info.exists = *v;
    }
    if (info.uidvalidity == 0) fail("SELECT " + folder + " returned no UIDVALIDITY");
    co_return info;
}

asio::awaitable<std::vector<std::uint64_t>> CurlImapClient::searchUidsFrom(std::uint64_t from_uid) {
    auto r = co_await command("UID SEARCH UID " + std::to_string(std::max<std::uint64_t>(from_uid, 1)) + ":*");
    std::vector<std::uint64_t> out;
    for (const auto& u : r.untagged)
        if (auto uids = parseSearch(u))
            for (auto uid : *uids)
                if (uid >= from_uid) out.push_back(uid);
    std::sort(out.begin(), out.end());
    co_return out;
}

asio::awaitable<std::vector<std::uint64_t>> CurlImapClient::searchUnseen() {
    auto r = co_await command("UID SEARCH UNSEEN");
    std::vector<std::uint64_t> out;
    for (const auto& u : r.untagged)
        if (auto uids = parseSearch(u)) out.insert(out.end(), uids->begin(), uids->end());
    std::sort(out.begin(), out.end());
    co_return out;
}

asio::awaitable<std::vector<ImapFetch>> CurlImapClient::fetchBodies(const std::vector<std::uint64_t>& uids) {
    std::vector<ImapFetch> out;
    if (uids.empty()) co_return out;
    auto r = co_await command("UID FETCH " + uidSet(uids) + " (UID BODY.PEEK[])");
    for (auto& u : r.untagged)
        if (auto f = parseFetch(u); f && f->uid && f->body) out.push_back(std::move(*f));
    std::sort(out.begin(), out.end(), [](const ImapFetch& a, const ImapFetch& b) { return a.uid < b.uid; });
    co_return out;
}

asio::awaitable<void> CurlImapClient::addFlags(const std::vector<std::uint64_t>& uids, const std::string& flags) {
    if (uids.empty()) co_return;
    co_await command("UID STORE " + uidSet(uids) + " +FLAGS.SILENT (" + flags + ")");
}

asio::awaitable<void> CurlImapClient::move(const std::vector<std::uint64_t>& uids, const std::string& folder) {
    if (uids.empty()) co_return;
    if (hasCapability("MOVE")) {
        co_await command("UID MOVE " + uidSet(uids) + " " + imapQuote(imapMailboxName(folder)));
        co_return;
    }
    // RFC 6851 §3.3 fallback: COPY, flag \Deleted, expunge just these UIDs (UIDPLUS).
    co_await command("UID COPY " + uidSet(uids) + " " + imapQuote(imapMailboxName(folder)));
    co_await command("UID STORE " + uidSet(uids) + " +FLAGS.SILENT (\\Deleted)");
    if (hasCapability("UIDPLUS")) co_await command("UID EXPUNGE " + uidSet(uids));
}

asio::awaitable<void> CurlImapClient::createFolder(const std::string& folder) {
    try {
        co_await command("CREATE " + imapQuote(imapMailboxName(folder)));
    } catch (const ImapFailure& e) {
        // "NO [ALREADYEXISTS]" is fine (RFC 5530); anything else is a real failure.
        if (std::string(e.what()).find("ALREADYEXISTS") == std::string::npos &&
            std::string(e.what()).find("already exists") == std::string::npos)
            throw;
    }
}

void CurlImapClient::wake() {
    woken_ = true;
    if (socket_ && idling_) socket_->cancel();
}

asio::awaitable<bool> CurlImapClient::idle(std::chrono::seconds max_wait) {
    if (woken_) {
        woken_ = false;
        co_return false;
    }
    std::string tag = "d" + std::to_string(++tag_);
    co_await sendAll(tag + " IDLE\r\n");
    auto first = co_await readResponse(Clock::now() + settings_.timeout);
    if (first.kind == ImapResponse::Kind::tagged) throw ImapFailure("IDLE refused: " + first.text);
    bool newMail = false;
    idling_ = true;
    auto deadline = Clock::now() + max_wait;
    try {
        for (;;) {
            auto r = co_await readResponse(deadline);
            if (r.kind == ImapResponse::Kind::untagged && r.status() == "BYE") fail("server ended IDLE: " + r.text);
            if (r.numbered("EXISTS") || r.numbered("RECENT")) {
                newMail = true;
                break;
            }
        }
    } catch (const ImapFailure& e) {
        std::string why = e.what();
        if (why != "timeout" && why != "woken") {
            idling_ = false;
            throw;
        }
    }
    idling_ = false;
    woken_ = false;
    co_await sendAll("DONE\r\n");
    auto deadline2 = Clock::now() + settings_.timeout;
    for (;;) {
        auto r = co_await readResponse(deadline2);
        if (r.kind == ImapResponse::Kind::tagged && r.tag == tag) break;
        if (r.numbered("EXISTS")) newMail = true;
    }
    co_return newMail;
}

}  // namespace deskgate
