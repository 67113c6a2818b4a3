// Connection to the ticket database: SQLite (embedded default) or PostgreSQL.
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <typeindex>
#include <unordered_map>
#include <vector>

namespace soci {
class session;
}

namespace deskgate {

enum class Backend { sqlite, postgresql };

// Storage failures that callers treat as "temporary, try again later" (database unreachable,
// shutting down, locked, disk full). Never a reason to quarantine a mail.
struct StorageUnavailable : std::runtime_error {
    using std::runtime_error::runtime_error;
};
// Another session got in the way: a deadlock (SQLSTATE 40P01), a serialization failure
// (40001) or a lock timeout (55P03). The transaction was rolled back; running it again, after
// a short pause, normally succeeds (SociDatabase::retryingTransaction).
struct StorageConflict : StorageUnavailable {
    using StorageUnavailable::StorageUnavailable;
};
// Any other storage failure (constraint violated, bad schema).
struct StorageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};
// A unique key is taken (SQLSTATE 23505, SQLite's UNIQUE constraint). On PostgreSQL it may
// have been taken a moment ago by a concurrent transaction (the same mail through another
// mailbox): reading again then finds it. A StorageError, because it may also be a real clash.
struct StorageDuplicateKey : StorageError {
    using StorageError::StorageError;
};

struct DatabaseUrl {
    Backend backend = Backend::sqlite;
    std::string connect;  // what SOCI gets: a file path, or a libpq connection string
    // PostgreSQL: a session that leaves a transaction open this long without a statement is
    // ended by the server (0 = the server's setting). The daemon sets it, so that one that hangs
    // mid-transaction (stopped, cut off) cannot hold its locks, and its leases, for ever.
    int idle_in_transaction_timeout_s = 0;
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

// A statement compiled once per session and run again with new values: PostgreSQL parses and
// plans it once (a named prepared statement, where a one-off statement is parsed and planned at
// every run), SQLite compiles it once. SOCI binds use() and into() to variables by reference, so
// a prepared statement is a struct holding its variables and, after them, the statement bound
// to them; storage/soci_guard.hpp's withPrepared() finds or makes the session's instance.
struct Prepared {
    virtual ~Prepared() = default;
};

// Rows a store holds back during a transaction, to write them all at once (one statement per
// table, PostgreSQL's round trips being the cost of intake): when the outermost savepoint (one
// mail's) is released, else just before the commit (or earlier, writeHeldBack()). Those added
// after a savepoint are dropped when the transaction rolls back to it; all of them when it rolls
// back. Only for rows nothing reads back by SQL in the same transaction but their store (which
// adds what it holds to what it reads). A row the database refuses fails where they are written:
// the mail's savepoint (that mail is quarantined), or the batch's end (Intake::finishBatch: the
// batch runs again mail by mail).
class DeferredRows {
public:
    virtual ~DeferredRows() = default;
    virtual std::size_t pending() const = 0;
    virtual void write() = 0;                   // writes them (in the transaction) and forgets them
    virtual void dropFrom(std::size_t n) = 0;   // forgets those after the first n
};

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
    // The session for the next statement. A PostgreSQL connection found lost (the server
    // restarted, the network went away) is opened again here, outside transactions only: a
    // transaction that lost its connection fails as a whole and is run again by its caller.
    soci::session& session();
    bool inTransaction() const { return depth_ > 0; }

    // Runs `work` in one transaction: committed when it returns, rolled back when it throws.
    // Nested calls are part of the outer transaction.
    void transaction(const std::function<void()>& work);

    // transaction(), run again (up to `attempts` times in all, after a short random pause that
    // grows) while it ends in a StorageConflict; the last conflict is thrown. `work` must start
    // from scratch each time (everything it did was rolled back). `on_conflict` hears of each
    // retry (for a log line). Not for nested use: inside a transaction it is transaction().
    void retryingTransaction(const std::function<void()>& work, int attempts = 6,
                             const std::function<void(const StorageConflict&, int attempt)>& on_conflict = {});

    // This session's commits wait for no disk flush (SQLite synchronous=NORMAL, PostgreSQL
    // synchronous_commit=off): one lost in a power failure or an OS crash — never in a crash of
    // the daemon or of the database server — is a risk the caller takes. The outbox worker's:
    // a "sent" mark lost so makes one mail go out twice, as a crash between the SMTP server's
    // 250 and the commit does; what arrived is never on such a session.
    void relaxCommitDurability();

    // A store's DeferredRows (registered once, for the session's life).
    void holdBack(DeferredRows& rows) { deferred_.push_back(&rows); }
    // Writes what is held back now (inside the transaction): done before each commit and at the
    // outermost savepoint's release; a caller that calls it first can tell a refused row from a
    // failed commit.
    void writeHeldBack() {
        for (auto* rows : deferred_) rows->write();
    }

    // Savepoints inside transaction(): one mail's failure must not spoil its batch (on
    // PostgreSQL any error aborts the whole transaction unless rolled back to a savepoint).
    void savepoint(const std::string& name);
    void releaseSavepoint(const std::string& name);
    void rollbackToSavepoint(const std::string& name);

    // The session's prepared statements by type (withPrepared()); gone with the session.
    Prepared* findPrepared(std::type_index type);
    Prepared* keepPrepared(std::type_index type, std::unique_ptr<Prepared> statement);
    void dropPrepared(std::type_index type) { prepared_.erase(type); }

private:
    void reconnect();

    DatabaseUrl url_;
    std::unique_ptr<soci::session> sql_;
    // After sql_: destroyed first, while their session still exists.
    std::unordered_map<std::type_index, std::unique_ptr<Prepared>> prepared_;
    int depth_ = 0;  // nesting of transaction()
    std::vector<DeferredRows*> deferred_;
    std::vector<std::vector<std::size_t>> marks_;  // per open savepoint: each deferred's pending()
    bool relaxed_ = false;  // relaxCommitDurability(), again after a reconnect
};

// base64 for raw mail bytes in text columns.
std::string encodeRaw(const std::string& bytes);
std::string decodeRaw(const std::string& b64);

}  // namespace deskgate
