// Sends finished messages over SMTP with libcurl, reusing the connection between mails.
// Blocking: runs on the outbox worker's thread, never on the event loop.
#pragma once

#include <string>
#include <vector>

#include "daemon/config.hpp"

namespace deskgate {

struct SendResult {
    enum class Status { sent, temporary, permanent };
    Status status = Status::temporary;
    std::string message;  // the server's or curl's reason
};

class CurlSmtpSender {
public:
    explicit CurlSmtpSender(SmtpConfig config);
    ~CurlSmtpSender();
    CurlSmtpSender(const CurlSmtpSender&) = delete;
    CurlSmtpSender& operator=(const CurlSmtpSender&) = delete;

    SendResult send(const std::string& mail_from, const std::vector<std::string>& recipients, const std::string& raw);

private:
    SmtpConfig config_;
    void* curl_ = nullptr;  // CURL*, kept for connection reuse
};

// RFC 5321 §4.2.1: 4yz = transient, 5yz = permanent. Connection problems are transient.
SendResult::Status classifySmtpFailure(int curl_code, long response_code);

}  // namespace deskgate
