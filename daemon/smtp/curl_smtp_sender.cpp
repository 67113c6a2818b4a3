#include "daemon/smtp/curl_smtp_sender.hpp"

#include <cstdlib>
#include <cstring>
#include <string_view>

#include <curl/curl.h>

namespace deskgate {

namespace {

struct Upload {
    const std::string* data;
    std::size_t pos = 0;
};

std::size_t readCallback(char* buffer, std::size_t size, std::size_t items, void* userp) {
    auto* up = static_cast<Upload*>(userp);
    std::size_t n = std::min(size * items, up->data->size() - up->pos);
    std::memcpy(buffer, up->data->data() + up->pos, n);
    up->pos += n;
    return n;
}

// Keeps the first refusal (4xx/5xx) the server gave, for error messages
// ("550 5.1.1 <x>: Recipient address rejected"); curl's QUIT answer must not hide it.
std::size_t headerCallback(char* buffer, std::size_t size, std::size_t items, void* userp) {
    auto* refusal = static_cast<std::string*>(userp);
    std::string line(buffer, size * items);
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
    if (refusal->empty() && line.size() >= 3 && (line[0] == '4' || line[0] == '5')) *refusal = line;
    return size * items;
}

// Pairs each RCPT TO libcurl sends with the server's reply to it (from libcurl's protocol trace:
// curl sends RCPT TO one at a time and waits for each reply), so that the refused ones are known
// by address. Nothing of the trace is logged: it holds the AUTH exchange.
struct RcptTrace {
    std::string pending;  // address of the RCPT TO awaiting its reply
    std::vector<RefusedRecipient> refused;
};

int debugCallback(CURL*, curl_infotype type, char* data, std::size_t size, void* userp) {
    auto* trace = static_cast<RcptTrace*>(userp);
    std::string_view text(data, size);
    if (type == CURLINFO_HEADER_OUT) {
        trace->pending.clear();
        if (text.size() > 8 && (text.substr(0, 8) == "RCPT TO:" || text.substr(0, 8) == "rcpt to:")) {
            auto open = text.find('<'), close = text.find('>');
            if (open != std::string_view::npos && close != std::string_view::npos && close > open)
                trace->pending = std::string(text.substr(open + 1, close - open - 1));
        }
        return 0;
    }
    if (type != CURLINFO_HEADER_IN || trace->pending.empty()) return 0;
    // The last line of a reply has a space (or nothing) after the code: "550 5.1.1 ...".
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    if (text.size() < 3 || (text.size() > 3 && text[3] == '-')) return 0;
    const long code = std::strtol(std::string(text.substr(0, 3)).c_str(), nullptr, 10);
    if (code >= 400) trace->refused.push_back({trace->pending, code, std::string(text)});
    trace->pending.clear();
    return 0;
}

// Messages must have CRLF line ends on the wire (RFC 5321 §2.3.8).
std::string toCrlf(const std::string& in) {
    if (in.find('\n') == std::string::npos || in.find("\r\n") != std::string::npos) return in;
    std::string out;
    out.reserve(in.size() + in.size() / 40);
    for (char c : in) {
        if (c == '\n') out += '\r';
        out += c;
    }
    return out;
}

}  // namespace

SendResult::Status classifySmtpFailure(int curl_code, long response_code) {
    if (response_code >= 500 && response_code < 600) {
        // A rejected login is the admin's configuration, not the recipient: keep the mail and retry.
        if (curl_code == CURLE_LOGIN_DENIED) return SendResult::Status::temporary;
        return SendResult::Status::permanent;
    }
    return SendResult::Status::temporary;
}

CurlSmtpSender::CurlSmtpSender(SmtpConfig config) : config_(std::move(config)) {}

CurlSmtpSender::~CurlSmtpSender() {
    if (curl_) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

// Where and how to connect: the same for a mail and for `check --connect`'s probe.
void CurlSmtpSender::setConnection(void* handle) const {
    CURL* c = static_cast<CURL*>(handle);
    curl_easy_setopt(c, CURLOPT_URL, config_.url.c_str());
    if (!config_.username.empty()) {
        curl_easy_setopt(c, CURLOPT_USERNAME, config_.username.c_str());
        curl_easy_setopt(c, CURLOPT_PASSWORD, config_.password.c_str());
    }
    if (!config_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, config_.ca_file.c_str());
    if (config_.starttls) curl_easy_setopt(c, CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
}

SendResult CurlSmtpSender::send(const std::string& mail_from, const std::vector<std::string>& recipients,
                                const std::string& raw) {
    if (!curl_) curl_ = curl_easy_init();
    CURL* c = static_cast<CURL*>(curl_);
    if (!c) return {SendResult::Status::temporary, "curl_easy_init failed", {}};
    curl_easy_reset(c);  // keeps the connection cache: the next mail reuses the connection
    char errbuf[CURL_ERROR_SIZE] = {0};
    std::string refusal;
    std::string data = toCrlf(raw);
    Upload upload{&data};
    std::string from = "<" + mail_from + ">";
    curl_slist* rcpts = nullptr;
    for (const auto& r : recipients) rcpts = curl_slist_append(rcpts, ("<" + r + ">").c_str());
    setConnection(c);
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
    // libcurl 7.88 spells it ALLLOWFAILS (fixed to ALLOWFAILS in 8.2, same option 290).
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT_ALLLOWFAILS, 1L);
    RcptTrace trace;
    curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, debugCallback);
    curl_easy_setopt(c, CURLOPT_DEBUGDATA, &trace);
    curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, readCallback);
    curl_easy_setopt(c, CURLOPT_READDATA, &upload);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(data.size()));
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, headerCallback);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &refusal);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(config_.timeout.count()));
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(rcpts);
    if (rc == CURLE_OK) {
        SendResult sent{SendResult::Status::sent, "accepted", std::move(trace.refused)};
        if (!sent.refused.empty()) sent.message = "accepted for all but " + std::to_string(sent.refused.size());
        return sent;
    }
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    std::string reason = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    if (code >= 400 && !refusal.empty()) reason = refusal;
    return {classifySmtpFailure(static_cast<int>(rc), code), reason, {}};
}

namespace {
// The server's lines of the connect phase (greeting, EHLO, STARTTLS, AUTH replies). What curl
// sends (the AUTH exchange) is never looked at.
int probeCallback(CURL*, curl_infotype type, char* data, std::size_t size, void* userp) {
    if (type != CURLINFO_HEADER_IN) return 0;
    std::string line(data, size);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    static_cast<std::vector<std::string>*>(userp)->push_back(std::move(line));
    return 0;
}
}  // namespace

SmtpProbe CurlSmtpSender::probe() {
    SmtpProbe out;
    CURL* c = curl_easy_init();
    if (!c) return {false, "curl_easy_init failed", {}, {}};
    char errbuf[CURL_ERROR_SIZE] = {0};
    std::vector<std::string> lines;
    setConnection(c);
    curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, probeCallback);
    curl_easy_setopt(c, CURLOPT_DEBUGDATA, &lines);
    curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, static_cast<long>(config_.timeout.count()));
    const CURLcode rc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    if (!lines.empty()) out.greeting = lines.front();
    // RFC 5321 §4.1.1.1: "250-KEYWORD params" lines after the first (the domain); the last
    // EHLO answer wins (after STARTTLS the server tells them again).
    std::vector<std::string> current;
    bool inReply = false;
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const auto& l = lines[i];
        if (l.size() < 4 || !l.starts_with("250")) {
            inReply = false;
            continue;
        }
        if (!inReply) {
            current.clear();  // the first line of an EHLO answer is the server's domain
            inReply = true;
        } else {
            current.push_back(l.substr(4));
        }
        if (l[3] == ' ') {
            out.extensions = current;
            inReply = false;
        }
    }
    out.ok = rc == CURLE_OK;
    if (!out.ok) out.error = (errbuf[0] ? std::string(errbuf) : curl_easy_strerror(rc)) + " (curl " + std::to_string(static_cast<int>(rc)) + ")";
    return out;
}

}  // namespace deskgate
