#include "storage/daemon_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "storage/database.hpp"

namespace deskgate {

namespace {

std::string hostName() {
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) != 0) return "?";
    return buf;
}

}  // namespace

SqliteDaemonLock::SqliteDaemonLock(const std::string& database_path) : path_(database_path + ".daemon-lock") {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw StorageUnavailable("cannot open " + path_ + ": " + std::strerror(errno));
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
        const int error = errno;
        std::string who;
        char buf[200] = {};
        if (::pread(fd_, buf, sizeof buf - 1, 0) > 0) who = buf;
        while (!who.empty() && (who.back() == '\n' || who.back() == '\0')) who.pop_back();
        ::close(fd_);
        fd_ = -1;
        if (error != EWOULDBLOCK) throw StorageUnavailable("cannot lock " + path_ + ": " + std::strerror(error));
        throw DaemonLockHeld("another deskgate daemon (" + (who.empty() ? std::string("unknown process") : who) +
                             ") already runs on the SQLite database " + database_path +
                             " (it holds " + path_ +
                             "): SQLite takes one daemon; to run several, use PostgreSQL (see \"Running several daemons\")");
    }
    // Who holds it, for the message a second daemon prints.
    const std::string me = "pid " + std::to_string(::getpid()) + " on " + hostName() + "\n";
    if (::ftruncate(fd_, 0) == 0) (void)!::pwrite(fd_, me.data(), me.size(), 0);
}

SqliteDaemonLock::~SqliteDaemonLock() {
    if (fd_ >= 0) ::close(fd_);  // closing drops the lock; the file stays (removing it would race a new daemon)
}

}  // namespace deskgate
