// One daemon per SQLite database. `deskgate run` on SQLite holds an exclusive lock (flock) on a
// file beside the database for as long as it runs; a second daemon on the same database is
// refused with a clear message instead of racing the first (two watchers of one mailbox, two
// senders of one outbox). The kernel drops the lock when the process ends, however it ends
// (SIGKILL too), so a stale lock cannot stay behind. The other commands (ingest, tickets,
// report, quarantine) do not take it: they share the file with the daemon through SQLite's
// own locking. Several daemons need PostgreSQL.
#pragma once

#include <stdexcept>
#include <string>

namespace deskgate {

struct DaemonLockHeld : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class SqliteDaemonLock {
public:
    // Locks `<database>.daemon-lock`; throws DaemonLockHeld (naming the other process) when
    // another daemon holds it, StorageUnavailable when the file cannot be opened.
    explicit SqliteDaemonLock(const std::string& database_path);
    ~SqliteDaemonLock();
    SqliteDaemonLock(const SqliteDaemonLock&) = delete;
    SqliteDaemonLock& operator=(const SqliteDaemonLock&) = delete;

    const std::string& path() const { return path_; }

private:
    std::string path_;
    int fd_ = -1;
};

}  // namespace deskgate
