#include "daemon/imap/curl_imap_client.hpp"

#include "daemon/logging.hpp"

#include <algorithm>
#include <unistd.h>

#include <poll.h>

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <curl/curl.h>
#include <spdlog/spdlog.h>

namespace deskgate {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

CURL* handle(void* p) { return static_cast<CURL*>(p); }

std::shared_ptr<spdlog::logger> imapLog() { return componentLog("imap"); }

// A command or status line for the debug log: never a literal (the parser keeps those apart),
// never a password (curl logs in, not us), cut to a readable length.
std::string shortLine(std::string_view line, std::size_t max = 160) {
    std::string out(line.substr(0, max));
    for (auto& c : out)
        if (c == '\r' || c == '\n') c = ' ';
    if (line.size() > max) out += "...";
    return out;
}

// "UID FETCH 1:5 (...)" -> "UID FETCH"; "SELECT INBOX" -> "SELECT".
std::string verbOf(std::string_view cmd) {
    auto end = cmd.find(' ');
    if (cmd.starts_with("UID ")) end = cmd.find(' ', 4);
    return std::string(cmd.substr(0, end));
}

// Keeps command lines short: Dovecot refuses lines over 64 KB (imap_max_line_length), and a
// set of scattered UIDs does not compress.
constexpr std::size_t kUidsPerCommand = 500;

std::vector<std::vector<std::uint64_t>> chunks(const std::vector<std::uint64_t>& uids, std::size_t n) {
    std::vector<std::vector<std::uint64_t>> out;
    for (std::size_t i = 0; i < uids.size(); i += n)
        out.emplace_back(uids.begin() + static_cast<long>(i), uids.begin() + static_cast<long>(std::min(uids.size(), i + n)));
    return out;
}

}  // namespace

enum class CurlImapClient::Wait { ready, timeout, woken };

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

bool ImapRefused::hasCode(std::string_view code) const {
    ImapResponse r;
    r.text = server_text;
    return r.code(code).has_value();
}

// The blocking part of connect(), handed to a worker thread. Shared with it, so that either
// side may finish first.
struct CurlImapClient::ConnectJob {
    CURL* curl = nullptr;
    CURLcode rc = CURLE_OK;
    char errbuf[CURL_ERROR_SIZE] = {0};
    std::atomic<bool> abort{false};
    std::string greeting;                    // the server's first line (worker thread, then io)
    bool finished = false;                   // io thread only
    asio::steady_timer* waiter = nullptr;    // io thread only
};

namespace {
// curl calls this during connect and login too: a stop() ends a hanging connect at once.
int abortCheck(void* job, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    return static_cast<std::atomic<bool>*>(job)->load() ? 1 : 0;
}
// Keeps the first line the server sent (its greeting) for `deskgate check --connect`. Only
// CURLINFO_HEADER_IN: what curl sends (the login) is never looked at.
int greetingCapture(CURL*, curl_infotype type, char* data, std::size_t size, void* userp) {
    auto& greeting = *static_cast<std::string*>(userp);
    if (type == CURLINFO_HEADER_IN && greeting.empty()) {
        greeting.assign(data, size);
        while (!greeting.empty() && (greeting.back() == '\n' || greeting.back() == '\r')) greeting.pop_back();
        if (greeting.empty()) greeting = " ";
    }
    return 0;
}
}  // namespace

CurlImapClient::CurlImapClient(asio::io_context& io, ImapSettings settings)
    : io_(io), settings_(std::move(settings)), parser_(1u << 20, settings_.max_literal) {}

CurlImapClient::~CurlImapClient() { disconnect(); }

void CurlImapClient::disconnect() {
    if (connect_thread_.joinable()) {
        if (connecting_) connecting_->abort = true;
        connect_thread_.join();
        if (connecting_ && connecting_->curl) curl_easy_cleanup(connecting_->curl);
        connecting_.reset();
    }
    if (socket_) {
        boost::system::error_code ignored;
        socket_->close(ignored);  // our dup() of curl's socket
        socket_.reset();
    }
    if (curl_) {
        curl_easy_cleanup(handle(curl_));  // sends nothing more; the server sees the connection close
        curl_ = nullptr;
    }
    parser_ = ImapResponseParser(1u << 20, settings_.max_literal);
    capabilities_.clear();
    greeting_.clear();
    exists_ = 0;
    news_ = false;
    idling_ = false;
}

void CurlImapClient::fail(const std::string& what) {
    disconnect();
    throw ImapFailure(what);
}

asio::awaitable<void> CurlImapClient::connect() {
    disconnect();
    CURL* c = curl_easy_init();
    if (!c) throw ImapFailure("curl_easy_init failed");
    auto job = std::make_shared<ConnectJob>();
    job->curl = c;
    std::string url = settings_.url;
    if (url.empty() || url.back() != '/') url += '/';  // no mailbox in the URL: curl must not SELECT
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());     // curl copies every string option
    curl_easy_setopt(c, CURLOPT_USERNAME, settings_.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, settings_.password.c_str());
    curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, job->errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    const long limit = static_cast<long>(settings_.connect_timeout.count());
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, limit);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, limit);  // the greeting and login too, not only TCP
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, abortCheck);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &job->abort);
    curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, greetingCapture);
    curl_easy_setopt(c, CURLOPT_DEBUGDATA, &job->greeting);
    curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);  // calls the debug function; prints nothing itself
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!settings_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, settings_.ca_file.c_str());
    if (settings_.starttls) curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));

    // curl_easy_perform blocks for the whole connect and login: a worker thread does it, and the
    // loop (other mailboxes, timers, signals) goes on meanwhile.
    asio::steady_timer waiter(io_, Clock::time_point::max());
    job->waiter = &waiter;
    connecting_ = job;
    connect_thread_ = std::thread([job, &io = io_] {
        job->rc = curl_easy_perform(job->curl);
        asio::post(io, [job] {
            job->finished = true;
            if (job->waiter) job->waiter->cancel();
        });
    });
    while (!job->finished) {
        boost::system::error_code ec;
        co_await waiter.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    job->waiter = nullptr;
    connect_thread_.join();
    connecting_.reset();
    curl_ = c;
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 1L);
    curl_easy_setopt(c, CURLOPT_VERBOSE, 0L);
    curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, nullptr);
    greeting_ = job->greeting;
    if (job->rc != CURLE_OK) {
        std::string reason = job->errbuf[0] ? job->errbuf : curl_easy_strerror(job->rc);
        fail("cannot connect to " + settings_.url + " as " + settings_.username + ": " + reason + " (curl " +
             std::to_string(static_cast<int>(job->rc)) + ")");
    }
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);  // the job's buffer goes with it
    // CONNECT_ONLY keeps the overall timeout armed for later transfers; we time out ourselves.
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 0L);
    curl_socket_t fd = CURL_SOCKET_BAD;
    curl_easy_getinfo(c, CURLINFO_ACTIVESOCKET, &fd);
    if (fd == CURL_SOCKET_BAD) fail("no socket after connecting to " + settings_.url);
    int mine = ::dup(fd);  // Asio owns the duplicate; curl keeps its own descriptor
    if (mine < 0) fail("dup() failed");
    socket_ = std::make_unique<asio::posix::stream_descriptor>(io_, mine);
    imapLog()->debug("imap connected mailbox={} url={}", settings_.name, settings_.url);
}

bool CurlImapClient::hasCapability(std::string_view name) const {
    return std::find(capabilities_.begin(), capabilities_.end(), name) != capabilities_.end();
}

asio::awaitable<CurlImapClient::Wait> CurlImapClient::waitSocket(bool write, Clock::time_point deadline) {
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
    if (timedOut) {
        // The loop may have been busy past the deadline (a batch's commit waiting for a lock):
        // what arrived meanwhile is no silence.
        pollfd p{sock->native_handle(), static_cast<short>(write ? POLLOUT : POLLIN), 0};
        if (::poll(&p, 1, 0) > 0) co_return Wait::ready;
        co_return Wait::timeout;
    }
    if (ec == asio::error::operation_aborted && woken_) co_return Wait::woken;
    if (ec && ec != asio::error::operation_aborted) fail("socket wait failed: " + ec.message());
    co_return Wait::ready;
}

asio::awaitable<void> CurlImapClient::sendAll(const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        std::size_t n = 0;
        CURLcode rc = curl_easy_send(handle(curl_), bytes.data() + sent, bytes.size() - sent, &n);
        if (rc == CURLE_AGAIN) {
            if (co_await waitSocket(true, Clock::now() + settings_.read_timeout) == Wait::timeout)
                fail("the IMAP server took nothing for " + std::to_string(settings_.read_timeout.count()) + "s");
            continue;
        }
        if (rc != CURLE_OK) fail(std::string("send to IMAP server failed: ") + curl_easy_strerror(rc));
        sent += n;
    }
}

asio::awaitable<CurlImapClient::Wait> CurlImapClient::receive(Clock::time_point deadline) {
    char buf[65536];
    for (;;) {
        std::size_t n = 0;
        CURLcode rc = curl_easy_recv(handle(curl_), buf, sizeof buf, &n);
        if (rc == CURLE_AGAIN) {
            if (auto w = co_await waitSocket(false, deadline); w != Wait::ready) co_return w;
            continue;
        }
        if (rc != CURLE_OK) fail(std::string("receive from IMAP server failed: ") + curl_easy_strerror(rc));
        if (n == 0) fail("the IMAP server closed the connection");
        if (auto fed = parser_.feed(std::string_view(buf, n)); !fed) fail("bad IMAP response: " + fed.error().message);
        co_return Wait::ready;
    }
}

asio::awaitable<ImapResponse> CurlImapClient::readResponse(const std::string& waiting_for) {
    for (;;) {
        if (auto r = parser_.next()) co_return std::move(*r);
        // The clock restarts with every read: a large mail on a slow link is fine while bytes come.
        if (co_await receive(Clock::now() + settings_.read_timeout) != Wait::ready)
            fail("timeout: no answer from the IMAP server for " + std::to_string(settings_.read_timeout.count()) +
                 "s (read_timeout) waiting for " + waiting_for);
    }
}

asio::awaitable<std::optional<ImapResponse>> CurlImapClient::readUntil(Clock::time_point deadline) {
    for (;;) {
        if (auto r = parser_.next()) co_return std::move(*r);
        if (co_await receive(deadline) != Wait::ready) co_return std::nullopt;
    }
}

bool CurlImapClient::noteUntagged(const ImapResponse& r) {
    const std::string status = r.status();
    if (status == "BYE") fail("the IMAP server said goodbye: " + r.text);
    if (!status.empty()) imapLog()->debug("imap untagged mailbox={} line={}", settings_.name, shortLine(r.text));
    if (r.code("ALERT")) imapLog()->warn("IMAP server alert mailbox={} text={}", settings_.name, shortLine(r.text));
    if (auto caps = parseCapabilities(r); !caps.empty()) capabilities_ = caps;
    if (auto n = r.numbered("EXISTS")) {
        bool more = *n > exists_;
        exists_ = *n;
        if (more) news_ = true;
        return more;
    }
    if (r.numbered("EXPUNGE") && exists_ > 0) --exists_;
    return false;
}

asio::awaitable<CurlImapClient::Result> CurlImapClient::exchange(const std::string& cmd) {
    if (!curl_) throw ImapFailure("not connected");
    const std::string tag = "d" + std::to_string(++tag_);
    imapLog()->debug("imap send mailbox={} tag={} command={}", settings_.name, tag, shortLine(cmd));
    co_await sendAll(tag + " " + cmd + "\r\n");
    Result result;
    for (;;) {
        ImapResponse r = co_await readResponse(tag + " " + verbOf(cmd));
        if (r.kind == ImapResponse::Kind::tagged) {
            // One command at a time: an answer with another tag means we lost track of the stream.
            if (r.tag != tag) fail("IMAP answer for tag " + r.tag + " while waiting for " + tag + ": out of step");
            imapLog()->debug("imap answer mailbox={} tag={} status={}", settings_.name, tag, shortLine(r.text));
            result.done = std::move(r);
            break;
        }
        if (r.kind == ImapResponse::Kind::continuation)
            fail("unexpected continuation from the IMAP server for " + tag + " " + verbOf(cmd));
        noteUntagged(r);
        result.untagged.push_back(std::move(r));
    }
    if (auto caps = parseCapabilities(result.done); !caps.empty()) capabilities_ = caps;
    co_return result;
}

asio::awaitable<CurlImapClient::Result> CurlImapClient::command(const std::string& cmd) {
    auto r = co_await exchange(cmd);
    if (r.done.status() != "OK") {
        imapLog()->debug("imap refused mailbox={} command={} answer={}", settings_.name, verbOf(cmd), shortLine(r.done.text));
        throw ImapRefused(verbOf(cmd), r.done.text);
    }
    co_return r;
}

asio::awaitable<void> CurlImapClient::ensureCapabilities() {
    if (capabilities_.empty()) co_await command("CAPABILITY");
}

asio::awaitable<SelectInfo> CurlImapClient::select(const std::string& folder) {
    co_await ensureCapabilities();
    auto r = co_await command("SELECT " + imapQuote(folder));
    SelectInfo info;
    for (const auto& u : r.untagged) {
        if (auto v = u.code("UIDVALIDITY")) info.uidvalidity = std::stoull(*v);
        if (auto v = u.code("UIDNEXT")) info.uidnext = std::stoull(*v);
        if (auto v = u.numbered("EXISTS")) info.exists = *v;
    }
    exists_ = info.exists;
    if (info.uidvalidity == 0) fail("SELECT " + folder + " returned no UIDVALIDITY");
    co_return info;
}

asio::awaitable<std::uint64_t> CurlImapClient::highestUid() {
    if (exists_ == 0) co_return 0;
    // RFC 3501 §6.4.5: "*" is the last message; its UID is the highest in the folder.
    auto r = co_await command("FETCH * (UID)");
    std::uint64_t highest = 0;
    for (const auto& u : r.untagged)
        if (auto f = parseFetch(u); f && f->uid) highest = std::max(highest, f->uid);
    co_return highest;
}

asio::awaitable<std::vector<std::uint64_t>> CurlImapClient::searchUids(std::uint64_t from, std::uint64_t to,
                                                                       const std::string& criteria) {
    from = std::max<std::uint64_t>(from, 1);
    std::vector<std::uint64_t> out;
    if (to < from) co_return out;
    // Built before the co_await: g++ 12 destroys the temporaries of a ?: inside a co_await
    // expression twice (a double free).
    std::string cmd = "UID SEARCH UID " + std::to_string(from) + ":" + std::to_string(to);
    if (!criteria.empty()) cmd += " " + criteria;
    auto r = co_await command(cmd);
    for (const auto& u : r.untagged)
        if (auto uids = parseSearch(u))
            for (auto uid : *uids)
                if (uid >= from && uid <= to) out.push_back(uid);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    co_return out;
}

asio::awaitable<std::vector<MessageSize>> CurlImapClient::fetchSizes(std::uint64_t from, std::uint64_t to) {
    from = std::max<std::uint64_t>(from, 1);
    std::vector<MessageSize> out;
    if (to < from) co_return out;
    auto r = co_await command("UID FETCH " + std::to_string(from) + ":" + std::to_string(to) + " (UID RFC822.SIZE)");
    for (const auto& u : r.untagged)
        if (auto f = parseFetch(u); f && f->uid >= from && f->uid <= to && f->size) out.push_back({f->uid, *f->size});
    std::sort(out.begin(), out.end(), [](const MessageSize& a, const MessageSize& b) { return a.uid < b.uid; });
    out.erase(std::unique(out.begin(), out.end(), [](const MessageSize& a, const MessageSize& b) { return a.uid == b.uid; }),
              out.end());
    co_return out;
}

asio::awaitable<FetchedBodies> CurlImapClient::fetchBodies(const std::vector<std::uint64_t>& uids) {
    FetchedBodies out;
    if (uids.empty()) co_return out;
    std::vector<std::uint64_t> sorted(uids);
    std::sort(sorted.begin(), sorted.end());
    auto r = co_await exchange("UID FETCH " + uidSet(sorted) + " (UID BODY.PEEK[])");
    for (auto& u : r.untagged)
        // Only the messages asked for: a FETCH of flags that another client changed may come too.
        if (auto f = takeFetch(u); f && f->uid && std::binary_search(sorted.begin(), sorted.end(), f->uid))
            out.messages.push_back(std::move(*f));
    if (r.done.status() != "OK") out.refused = r.done.text;
    std::sort(out.messages.begin(), out.messages.end(),
              [](const ImapFetch& a, const ImapFetch& b) { return a.uid < b.uid; });
    co_return out;
}

asio::awaitable<std::optional<std::string>> CurlImapClient::fetchHeader(std::uint64_t uid) {
    auto r = co_await command("UID FETCH " + std::to_string(uid) + " (UID BODY.PEEK[HEADER])");
    for (auto& u : r.untagged)
        if (auto f = takeFetch(u); f && f->uid == uid && f->header) co_return std::move(f->header);
    co_return std::nullopt;
}

asio::awaitable<void> CurlImapClient::addFlags(const std::vector<std::uint64_t>& uids, const std::string& flags) {
    // Named, not a temporary in the range-for: g++ 12 ends such temporaries early in coroutines.
    const auto parts = chunks(uids, kUidsPerCommand);
    for (const auto& part : parts)
        co_await command("UID STORE " + uidSet(part) + " +FLAGS.SILENT (" + flags + ")");
}

asio::awaitable<void> CurlImapClient::move(const std::vector<std::uint64_t>& uids, const std::string& folder) {
    const std::string target = imapQuote(folder);
    const auto parts = chunks(uids, kUidsPerCommand);
    for (const auto& part : parts) {
        if (hasCapability("MOVE")) {
            co_await command("UID MOVE " + uidSet(part) + " " + target);
            continue;
        }
        // RFC 6851 §3.3 fallback: COPY, flag \Deleted, expunge just these UIDs (UIDPLUS).
        co_await command("UID COPY " + uidSet(part) + " " + target);
        co_await command("UID STORE " + uidSet(part) + " +FLAGS.SILENT (\\Deleted)");
        if (hasCapability("UIDPLUS")) co_await command("UID EXPUNGE " + uidSet(part));
    }
}

asio::awaitable<void> CurlImapClient::createFolder(const std::string& folder) {
    co_await command("CREATE " + imapQuote(folder));
}

asio::awaitable<std::optional<ImapNamespace>> CurlImapClient::personalNamespace() {
    auto r = co_await command("NAMESPACE");
    for (const auto& u : r.untagged)
        if (auto ns = parseNamespace(u)) co_return ns;
    co_return std::nullopt;
}

asio::awaitable<std::vector<ImapListEntry>> CurlImapClient::list(const std::string& reference, const std::string& pattern) {
    auto r = co_await command("LIST " + imapQuote(reference) + " " + imapQuote(pattern));
    std::vector<ImapListEntry> out;
    for (const auto& u : r.untagged)
        if (auto e = parseList(u)) out.push_back(std::move(*e));
    co_return out;
}

asio::awaitable<FolderStatus> CurlImapClient::status(const std::string& folder) {
    auto r = co_await command("STATUS " + imapQuote(folder) + " (MESSAGES UNSEEN)");
    FolderStatus out;
    for (const auto& u : r.untagged)
        if (auto st = parseStatus(u)) {
            out.messages = st->messages.value_or(0);
            out.unseen = st->unseen.value_or(0);
        }
    co_return out;
}

void CurlImapClient::wake() {
    woken_ = true;
    if (connecting_) connecting_->abort = true;
    if (socket_ && idling_) socket_->cancel();
}

asio::awaitable<bool> CurlImapClient::idle(std::chrono::seconds max_wait) {
    if (woken_) {
        woken_ = false;
        co_return false;
    }
    if (news_) co_return true;  // new mail was announced during an earlier command
    if (!curl_) throw ImapFailure("not connected");
    const std::string tag = "d" + std::to_string(++tag_);
    imapLog()->debug("imap send mailbox={} tag={} command=IDLE", settings_.name, tag);
    co_await sendAll(tag + " IDLE\r\n");
    bool newMail = false;
    // RFC 2177 §3: the server may send untagged responses (EXISTS, flag changes) before its "+";
    // they are news to note, not the continuation.
    for (;;) {
        auto r = co_await readResponse(tag + " IDLE (the continuation)");
        if (r.kind == ImapResponse::Kind::continuation) break;
        if (r.kind == ImapResponse::Kind::tagged) {
            if (r.tag != tag) fail("IMAP answer for tag " + r.tag + " while waiting for " + tag + ": out of step");
            throw ImapRefused("IDLE", r.text);
        }
        if (noteUntagged(r)) newMail = true;
    }
    idling_ = true;
    const auto deadline = Clock::now() + max_wait;
    while (!newMail) {
        auto r = co_await readUntil(deadline);
        if (!r) break;  // max_wait passed, or wake()
        if (r->kind == ImapResponse::Kind::tagged) {
            idling_ = false;
            fail("the IMAP server ended IDLE by itself: " + r->tag + " " + r->text);
        }
        if (noteUntagged(*r)) newMail = true;
    }
    idling_ = false;
    woken_ = false;
    imapLog()->debug("imap send mailbox={} tag={} command=DONE", settings_.name, tag);
    co_await sendAll("DONE\r\n");
    for (;;) {
        auto r = co_await readResponse(tag + " IDLE (after DONE)");
        if (r.kind == ImapResponse::Kind::tagged) {
            if (r.tag != tag) fail("IMAP answer for tag " + r.tag + " while waiting for " + tag + ": out of step");
            imapLog()->debug("imap answer mailbox={} tag={} status={}", settings_.name, tag, shortLine(r.text));
            if (r.status() != "OK") throw ImapRefused("IDLE", r.text);
            break;
        }
        if (r.kind == ImapResponse::Kind::untagged && noteUntagged(r)) newMail = true;
    }
    co_return newMail;
}

}  // namespace deskgate
