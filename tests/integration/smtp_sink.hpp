// Postfix's smtp-sink (a test SMTP server that accepts every mail and delivers none) on a free
// port, dumping each mail it receives into a directory: for counting exactly what deskgate
// sent, and how often, without Postfix and Dovecot delivering thousands of mails meanwhile.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "support/test_servers.hpp"

namespace deskgate::test {

class SmtpSink {
public:
    SmtpSink();  // starts it and waits until it answers; fails the test when it cannot
    ~SmtpSink();
    SmtpSink(const SmtpSink&) = delete;
    SmtpSink& operator=(const SmtpSink&) = delete;

    std::string url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
    // Message-ID (without <>) -> how many times a mail with it arrived.
    std::map<std::string, int> received() const;

private:
    std::unique_ptr<TempDir> dir_;
    int port_ = 0;
    std::unique_ptr<DeskgateProcess> process_;
};

}  // namespace deskgate::test
