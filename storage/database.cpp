#include "storage/database.hpp"

#include <chrono>
#include <iterator>
#include <random>
#include <regex>
#include <thread>

#include <libpq-fe.h>

#include <mimetic/codec/base64.h>
#include <mimetic/codec/code.h>
#include <soci/soci.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include "storage/schema.hpp"
#include "storage/soci_guard.hpp"

namespace deskgate {

namespace {

bool startsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// postgresql://user:password@host:port/dbname?param=value  ->  libpq keyword string
std::string pgUrlToKeywords(std::string_view url) {
    std::string rest(url.substr(url.find("://") + 3));
    std::string params;
    if (auto q = rest.find('?'); q != std::string::npos) {
        params = rest.substr(q + 1);
        rest.resize(q);
    }
    std::string userinfo, hostport = rest, dbname;
    if (auto at = rest.rfind('@'); at != std::string::npos) {
        userinfo = rest.substr(0, at);
        hostport = rest.substr(at + 1);
    }
    if (auto slash = hostport.find('/'); slash != std::string::npos) {
        dbname = hostport.substr(slash + 1);
        hostport.resize(slash);
    }
    std::string out;
    auto add = [&out](std::string_view key, const std::string& value) {
        if (value.empty()) return;
        if (!out.empty()) out += ' ';
        out += std::string(key) + "='" + value + "'";
    };
    std::string user = userinfo, password;
    if (auto colon = userinfo.find(':'); colon != std::string::npos) {
        user = userinfo.substr(0, colon);
        password = userinfo.substr(colon + 1);
    }
    std::string host = hostport, port;
    if (auto colon = hostport.rfind(':'); colon != std::string::npos) {
        host = hostport.substr(0, colon);
        port = hostport.substr(colon + 1);
    }
    add("host", host);
    add("port", port);
    add("dbname", dbname);
    add("user", user);
    add("password", password);
    std::size_t pos = 0;
    while (pos < params.size()) {
        auto amp = params.find('&', pos);
        std::string kv = params.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
        if (auto eq = kv.find('='); eq != std::string::npos) add(kv.substr(0, eq), kv.substr(eq + 1));
        if (amp == std::string::npos) break;
        pos = amp + 1;
    }
    return out;
}

// Switching a fresh file to WAL takes an exclusive lock and does not wait on the busy
// timeout: when two processes open a new database at once, one gets "locked" at once. It
// is retried here for as long as the busy timeout would have waited.
void setWalMode(soci::session& s) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
        try {
            s << "PRAGMA journal_mode=WAL";
            return;
        } catch (const soci::soci_error& e) {
            std::string_view what = e.what();
            bool busy = what.find("locked") != std::string_view::npos || what.find("busy") != std::string_view::npos;
            if (!busy || std::chrono::steady_clock::now() > deadline) throw;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
}

}  // namespace

std::string DatabaseUrl::redacted() const {
    if (backend == Backend::sqlite) return "sqlite:" + connect;
    static const std::regex password(R"(password\s*=\s*('[^']*'|\S+))");
    return "postgresql: " + std::regex_replace(connect, password, "password=***");
}

DatabaseUrl parseDatabaseUrl(std::string_view url) {
    DatabaseUrl out;
    if (startsWith(url, "sqlite:")) {
        out.backend = Backend::sqlite;
        out.connect = std::string(url.substr(7));
        if (startsWith(out.connect, "//")) out.connect = out.connect.substr(2);
    } else if (startsWith(url, "postgresql://") || startsWith(url, "postgres://")) {
        out.backend = Backend::postgresql;
        out.connect = pgUrlToKeywords(url);
    } else if (startsWith(url, "postgresql:")) {
        out.backend = Backend::postgresql;
        out.connect = std::string(url.substr(11));
        while (!out.connect.empty() && out.connect.front() == ' ') out.connect.erase(0, 1);
    } else {
        throw StorageError("database URL must start with sqlite: or postgresql:");
    }
    if (out.connect.empty()) throw StorageError("database URL names no database");
    return out;
}

std::unique_ptr<soci::session> openSession(const DatabaseUrl& url) {
    try {
        if (url.backend == Backend::sqlite) {
            // busy timeout: several processes (daemon + CLI) may share the file. synchronous=FULL: a
            // commit must survive power loss, because the mail is flagged on the server after it.
            auto s = std::make_unique<soci::session>(*soci::factory_sqlite3(),
                                                     "dbname=" + url.connect + " timeout=30");
            setWalMode(*s);
            *s << "PRAGMA synchronous=FULL";
            *s << "PRAGMA foreign_keys=ON";
            return s;
        }
        auto s = std::make_unique<soci::session>(*soci::factory_postgresql(), url.connect);
        if (url.idle_in_transaction_timeout_s > 0)
            *s << "SET idle_in_transaction_session_timeout = " + std::to_string(url.idle_in_transaction_timeout_s * 1000);
        return s;
    } catch (const soci::soci_error& e) {
        throw StorageUnavailable(std::string("cannot open database ") + url.redacted() + ": " + e.what());
    }
}

void beginWriteTransaction(soci::session& sql, Backend backend) {
    if (backend == Backend::sqlite)
        sql << "BEGIN IMMEDIATE";
    else
        sql.begin();
}

namespace {

enum class Failure { conflict, duplicate_key, unavailable, error };

bool hasPrefix(const std::string& s, std::string_view prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// By the code the database gives where there is one (PostgreSQL's SQLSTATE, SQLite's result
// code), by the message only where there is none (libpq reports a lost connection without one).
Failure classify(const soci::soci_error& e) {
    if (const auto* pg = dynamic_cast<const soci::postgresql_soci_error*>(&e)) {
        const std::string state = pg->sqlstate();
        // Class 40: transaction rollback (40P01 deadlock, 40001 serialization failure); 55P03
        // lock_not_available (lock_timeout, NOWAIT).
        if (hasPrefix(state, "40") || state == "55P03") return Failure::conflict;
        if (state == "23505") return Failure::duplicate_key;
        // 08: connection exception; 57P01-03: admin/crash shutdown, cannot connect now; 57014:
        // query canceled (statement_timeout); 53: insufficient resources (disk full, too many
        // connections); 58: system error (I/O).
        if (hasPrefix(state, "08") || hasPrefix(state, "57") || hasPrefix(state, "53") || hasPrefix(state, "58"))
            return Failure::unavailable;
    } else if (const auto* lite = dynamic_cast<const soci::sqlite3_soci_error*>(&e)) {
        switch (lite->result() & 0xff) {  // the primary code; extended codes add bits above
            case SQLITE_BUSY:
            case SQLITE_LOCKED:
            case SQLITE_FULL:
            case SQLITE_IOERR:
            case SQLITE_CANTOPEN:
            case SQLITE_PROTOCOL:
                return Failure::unavailable;
            case SQLITE_CONSTRAINT:
                if (std::string_view(e.what()).find("UNIQUE") != std::string_view::npos) return Failure::duplicate_key;
                break;
            default:
                break;
        }
    }
    if (e.get_error_category() == soci::soci_error::connection_error) return Failure::unavailable;
    const std::string_view message = e.what();
    for (std::string_view lost : {"database is locked", "server closed the connection", "no connection to the server",
                                  "could not connect", "terminating connection"})
        if (message.find(lost) != std::string_view::npos) return Failure::unavailable;
    return Failure::error;
}

}  // namespace

void throwStorageFailure(const char* what, const soci::soci_error& e) {
    // what() adds SOCI's context — the statement and every bound value ("with :b=<the mail
    // body>") — and PostgreSQL's DETAIL may quote a whole row: neither may reach a log line or a
    // quarantine reason. The server's own message and our description of the step are enough.
    std::string server = e.get_error_message();
    for (const char* cut : {"\nDETAIL", "DETAIL:", " while executing", "\nLINE "})
        if (auto at = server.find(cut); at != std::string::npos) server.resize(at);
    while (!server.empty() && (server.back() == '\n' || server.back() == ' ')) server.pop_back();
    if (server.size() > 300) server.resize(300);
    std::string message = std::string(what) + ": " + server;
    switch (classify(e)) {
        case Failure::conflict: throw StorageConflict(message);
        case Failure::duplicate_key: throw StorageDuplicateKey(message);
        case Failure::unavailable: throw StorageUnavailable(message);
        case Failure::error: break;
    }
    throw StorageError(message);
}

namespace {
// An output iterator over a buffer sized beforehand, whose copies share one position: mimetic
// takes its output iterator by value and does not say how much it wrote. Writing through it
// instead of a back_inserter's push_back per character: encodeRaw was 6% of the intake
// thread's CPU in the profile of run-mix.sh.
struct BufferCursor {
    using iterator_category = std::output_iterator_tag;
    using value_type = void;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = void;
    char** at;
    BufferCursor& operator*() { return *this; }
    BufferCursor& operator=(char c) {
        *(*at)++ = c;
        return *this;
    }
    BufferCursor& operator++() { return *this; }
    BufferCursor operator++(int) { return *this; }
};
}  // namespace

std::string encodeRaw(const std::string& bytes) {
    std::string out((bytes.size() + 2) / 3 * 4, '\0');
    char* end = out.data();
    mimetic::Base64::Encoder enc(0);  // 0 = no line breaks
    mimetic::encode(bytes.begin(), bytes.end(), enc, BufferCursor{&end});
    out.resize(static_cast<std::size_t>(end - out.data()));
    return out;
}

std::string decodeRaw(const std::string& b64) {
    std::string out(b64.size() / 4 * 3 + 3, '\0');
    char* end = out.data();
    mimetic::Base64::Decoder dec;
    mimetic::decode(b64.begin(), b64.end(), dec, BufferCursor{&end});
    out.resize(static_cast<std::size_t>(end - out.data()));
    return out;
}

SociDatabase::SociDatabase(const DatabaseUrl& url) : url_(url), sql_(openSession(url)) {
    guarded("migrating the schema", [&] { return migrate(*sql_, url_.backend); });
}

SociDatabase::~SociDatabase() = default;

soci::session& SociDatabase::session() {
    if (depth_ == 0 && url_.backend == Backend::postgresql) {
        // PQstatus only reads what libpq saw last (no round trip); BAD after a failed statement
        // on a dead connection.
        auto* backend = static_cast<soci::postgresql_session_backend*>(sql_->get_backend());
        if (backend == nullptr || PQstatus(backend->conn_) == CONNECTION_BAD) reconnect();
    }
    return *sql_;
}

void SociDatabase::reconnect() {
    prepared_.clear();  // prepared on the lost connection
    sql_ = openSession(url_);  // throws StorageUnavailable while the server is away
    if (relaxed_) relaxCommitDurability();
}

Prepared* SociDatabase::findPrepared(std::type_index type) {
    auto it = prepared_.find(type);
    return it == prepared_.end() ? nullptr : it->second.get();
}

Prepared* SociDatabase::keepPrepared(std::type_index type, std::unique_ptr<Prepared> statement) {
    return (prepared_[type] = std::move(statement)).get();
}

void SociDatabase::transaction(const std::function<void()>& work) {
    if (depth_ > 0) {  // nested: part of the caller's transaction
        work();
        return;
    }
    auto& sql = session();
    guarded("beginning a transaction", [&] {
        beginWriteTransaction(sql, url_.backend);
        return 0;
    });
    ++depth_;
    try {
        work();
        writeHeldBack();
        --depth_;
        guarded("committing", [&] {
            sql_->commit();
            return 0;
        });
    } catch (...) {
        if (depth_ > 0) --depth_;
        for (auto* rows : deferred_) rows->dropFrom(0);
        marks_.clear();
        try {
            sql_->rollback();
        } catch (...) {  // the connection may be gone; the server rolls back on its own
        }
        throw;
    }
}

void SociDatabase::retryingTransaction(const std::function<void()>& work, int attempts,
                                       const std::function<void(const StorageConflict&, int)>& on_conflict) {
    if (depth_ > 0) {
        work();
        return;
    }
    // Random pauses: two sessions that collided must not collide again in lock step.
    static thread_local std::minstd_rand rng(std::random_device{}());
    for (int attempt = 1;; ++attempt) {
        try {
            transaction(work);
            return;
        } catch (const StorageConflict& e) {
            if (attempt >= attempts) throw;
            if (on_conflict) on_conflict(e, attempt);
            const int ceiling = 20 << std::min(attempt, 6);  // 40 ms, 80 ms ... 1.3 s
            std::this_thread::sleep_for(std::chrono::milliseconds(10 + static_cast<int>(rng() % static_cast<unsigned>(ceiling))));
        }
    }
}

void SociDatabase::relaxCommitDurability() {
    relaxed_ = true;
    guarded("setting the commit durability", [&] {
        if (url_.backend == Backend::sqlite)
            *sql_ << "PRAGMA synchronous=NORMAL";
        else
            *sql_ << "SET synchronous_commit = off";
        return 0;
    });
}

void SociDatabase::savepoint(const std::string& name) {
    guarded("setting a savepoint", [&] {
        *sql_ << "SAVEPOINT " + name;
        return 0;
    });
    std::vector<std::size_t> mark;
    for (const auto* rows : deferred_) mark.push_back(rows->pending());
    marks_.push_back(std::move(mark));
}

void SociDatabase::releaseSavepoint(const std::string& name) {
    // The outermost savepoint is one mail's (Intake::processIsolated): what it held back is
    // written inside it, so that a row the database refuses fails that mail (rolled back to and
    // quarantined) and never the whole batch at its commit, which would leave every mail of it
    // nowhere, fetched again and failing again.
    if (marks_.size() == 1) writeHeldBack();
    guarded("releasing a savepoint", [&] {
        *sql_ << "RELEASE SAVEPOINT " + name;
        return 0;
    });
    if (!marks_.empty()) marks_.pop_back();
}

void SociDatabase::rollbackToSavepoint(const std::string& name) {
    guarded("rolling back to a savepoint", [&] {
        *sql_ << "ROLLBACK TO SAVEPOINT " + name;
        return 0;
    });
    // The savepoint stays (SQL's ROLLBACK TO keeps it until released), and so does its mark.
    if (!marks_.empty())
        for (std::size_t i = 0; i < deferred_.size() && i < marks_.back().size(); ++i)
            deferred_[i]->dropFrom(marks_.back()[i]);
}

}  // namespace deskgate
