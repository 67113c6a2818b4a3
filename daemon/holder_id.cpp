#include "daemon/holder_id.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

namespace deskgate {

namespace {

// This kernel boot and PID namespace: pids mean the same processes only within both.
std::string scope() {
    std::string boot;
    std::ifstream("/proc/sys/kernel/random/boot_id") >> boot;
    std::error_code ec;
    auto ns = std::filesystem::read_symlink("/proc/self/ns/pid", ec).string();  // "pid:[4026531836]"
    std::string inode;
    for (char c : ns)
        if (c >= '0' && c <= '9') inode += c;
    return boot.substr(0, 8) + "-" + inode;
}

std::vector<std::string> fields(const std::string& holder) {
    std::vector<std::string> out(1);
    for (char c : holder) {
        if (c == ':') out.emplace_back();
        else out.back() += c;
    }
    return out;
}

}  // namespace

std::string makeHolderId() {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "unknown");
    for (char* c = host; *c; ++c)
        if (*c == ':') *c = '_';
    char random[9];
    std::snprintf(random, sizeof random, "%08x", static_cast<unsigned>(std::random_device{}()));
    return std::string(host) + ":" + std::to_string(getpid()) + ":" + random + ":" + scope();
}

bool holderDeadHere(const std::string& holder) {
    auto f = fields(holder);
    if (f.size() != 4 || f[3] != scope()) return false;
    char* end = nullptr;
    const long pid = std::strtol(f[1].c_str(), &end, 10);
    if (pid <= 0 || *end != '\0' || pid == getpid()) return false;
    // ESRCH: no such process. EPERM means it exists (another user's): alive.
    return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

}  // namespace deskgate
