// Connection to the ticket database: SQLite (embedded default) or PostgreSQL.
#pragma once

#include <functional>
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

// One session on the ticket database (opened and migrated on construction) with its
// transactions. The stores (ticket_store.hpp, intake_store.hpp, outbox_store.hpp,
// counter_store.hpp) work on it; one instance per thread.
class SociDatabase {
public:
    explicit SociDatabase(const DatabaseUrl& url);
    ~SociDatabase();
    SociDatabase(const SociDatabase&) = delete;
    SociDatabase& operator=(const SociDatabase&) = delete;

    Backend backend() const { return url_.backend; }
    const DatabaseUrl& url() const { return url_; }
    soci::session& session() { return *sql_; }

    // Runs `work` in one transaction: committed when it returns, rolled back when it throws.
    // Nested calls are part of the outer transaction.
    void transaction(const std::function<void()>& work);

    // Savepoints inside transaction(): one mail's failure must not spoil its batch (on
    // PostgreSQL any error aborts the whole transaction unless rolled back to a savepoint).
    void savepoint(const std::string& name);
    void releaseSavepoint(const std::string& name);
    void rollbackToSavepoint(const std::string& name);

private:
    DatabaseUrl url_;
    std::unique_ptr<soci::session> sql_;
    int depth_ = 0;  // nesting of transaction()
};

// base64 for raw mail bytes in text columns.
std::string encodeRaw(const std::string& bytes);
std::string decodeRaw(const std::string& b64);

}  // namespace deskgate
