// Connection to the ticket database: SQLite (embedded default) or PostgreSQL.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace soci {
class session;
}

namespace deskgate {

enum class Backend { sqlite, postgresql };

// Storage failures that callers treat as "temporary, try again" (database unreachable, locked).
struct StorageUnavailable : std::runtime_error {
    using std::runtime_error::runtime_error;
};
// Any other storage failure (constraint violated, bad schema).
struct StorageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct DatabaseUrl {
    Backend backend = Backend::sqlite;
    std::string connect;  // what SOCI gets: a file path, or a libpq connection string
    // For logs: the connection without its password.
    std::string redacted() const;
};

// "sqlite:PATH" or "postgresql://user:pw@host:port/db" or "postgresql: host=... dbname=...".
DatabaseUrl parseDatabaseUrl(std::string_view url);

// Opens a session (throws StorageUnavailable when the server cannot be reached).
std::unique_ptr<soci::session> openSession(const DatabaseUrl& url);

// Begins a transaction that will write. On SQLite this is BEGIN IMMEDIATE: a deferred
// transaction that reads first and writes later fails at once with "database is locked"
// (the busy timeout does not apply) when another process wrote in between.
void beginWriteTransaction(soci::session& sql, Backend backend);

}  // namespace deskgate
