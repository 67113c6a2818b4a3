// Sends finished messages over SMTP with libcurl, reusing the connection between mails.
// Blocking: runs on the outbox worker's thread, never on the event loop.
#pragma once

#include <string>
#include <vector>

#include "daemon/config.hpp"

namespace deskgate {

// A recipient the server refused while it accepted the mail for the others.
struct RefusedRecipient {
    std::string address;
    long code = 0;       // the RCPT TO reply code (4xx temporary, 5xx permanent)
    std::string reply;   // the server's reply line, e.g. "550 5.1.1 <x@y>: Recipient address rejected"
};

struct SendResult {
    enum class Status { sent, temporary, permanent };
    Status status = Status::temporary;
    std::string message;  // the server's or curl's reason
    // With status sent: recipients refused at RCPT TO. One dead address must not fail the mail
    // for the others (libcurl's MAIL_RCPT_ALLOWFAILS); the caller records and retries them.
    std::vector<RefusedRecipient> refused;
};

// What `deskgate check --connect` learns from the SMTP server: connected, TLS as configured,
// logged in (when a username is set), its greeting and EHLO keywords. Nothing is sent.
struct SmtpProbe {
    bool ok = false;
    std::string error;                  // curl's reason when not ok
    std::string greeting;               // "220 mx.example.com ESMTP"
    std::vector<std::string> extensions;  // EHLO keywords: "SIZE 52428800", "STARTTLS", "AUTH PLAIN LOGIN"
};

class CurlSmtpSender {
public:
    explicit CurlSmtpSender(SmtpConfig config);
    ~CurlSmtpSender();
    CurlSmtpSender(const CurlSmtpSender&) = delete;
    CurlSmtpSender& operator=(const CurlSmtpSender&) = delete;

    SendResult send(const std::string& mail_from, const std::vector<std::string>& recipients, const std::string& raw);
    // Connects, does STARTTLS and AUTH as for a mail, and stops there (CURLOPT_CONNECT_ONLY).
    SmtpProbe probe();

private:
    void setConnection(void* curl) const;  // URL, login, TLS on a CURL* handle

    SmtpConfig config_;
    void* curl_ = nullptr;  // CURL*, kept for connection reuse
};

// RFC 5321 §4.2.1: 4yz = transient, 5yz = permanent. Connection problems are transient.
SendResult::Status classifySmtpFailure(int curl_code, long response_code);

}  // namespace deskgate
