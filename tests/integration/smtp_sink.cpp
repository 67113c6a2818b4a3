#include "smtp_sink.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace deskgate::test {

namespace {

constexpr const char* kSmtpSink = "/usr/sbin/smtp-sink";  // Debian's postfix package

int freePort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        if (fd >= 0) ::close(fd);
        return 0;
    }
    ::close(fd);
    return ntohs(a.sin_port);
}

bool answers(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    bool ok = fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    if (fd >= 0) ::close(fd);
    return ok;
}

}  // namespace

SmtpSink::SmtpSink() : dir_(std::make_unique<TempDir>("sink")) {
    REQUIRE_MESSAGE(std::filesystem::exists(kSmtpSink), "smtp-sink not found (Debian package postfix)");
    // smtp-sink drops to `nobody` (it must, as root) and writes the dumps as that user.
    std::filesystem::permissions(dir_->path(), std::filesystem::perms::all);
    port_ = freePort();
    REQUIRE(port_ > 0);
    ProcessOptions po;
    po.binary = kSmtpSink;
    po.logFile = dir_->path() / "smtp-sink.log";
    // One sub-directory per second, then a random name: the names do not collide.
    process_ = std::make_unique<DeskgateProcess>(
        std::vector<std::string>{"-u", "nobody", "-d", (dir_->path() / "%Y%m%d%H%M%S/").string(),
                                 "127.0.0.1:" + std::to_string(port_), "256"},
        po);
    REQUIRE_MESSAGE(waitFor([&] { return answers(port_); }, 10s), process_->output());
}

SmtpSink::~SmtpSink() {
    if (process_) {
        process_->signal(SIGTERM);
        if (!process_->wait(5s)) process_->signal(SIGKILL);
    }
}

std::map<std::string, int> SmtpSink::received() const {
    std::map<std::string, int> out;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir_->path())) {
        if (!entry.is_regular_file() || entry.path().filename() == "smtp-sink.log") continue;
        std::ifstream in(entry.path(), std::ios::binary);
        // A dump starts with smtp-sink's X-Client-Addr line; count each mail's first Message-ID.
        bool inHeader = false;
        for (std::string line; std::getline(in, line);) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.rfind("X-Client-Addr:", 0) == 0) {
                inHeader = true;
            } else if (inHeader && line.empty()) {
                inHeader = false;
            } else if (inHeader && (line.rfind("Message-ID:", 0) == 0 || line.rfind("Message-Id:", 0) == 0)) {
                auto v = line.substr(line.find(':') + 1);
                auto lt = v.find('<'), gt = v.rfind('>');
                if (lt != std::string::npos && gt != std::string::npos && gt > lt) ++out[v.substr(lt + 1, gt - lt - 1)];
                inHeader = false;
            }
        }
    }
    return out;
}

}  // namespace deskgate::test
