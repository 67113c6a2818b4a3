#include "storage/database.hpp"

#include <chrono>
#include <regex>
#include <thread>

#include <soci/soci.h>
#include <soci/postgresql/soci-postgresql.h>
#include <soci/sqlite3/soci-sqlite3.h>

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
        return std::make_unique<soci::session>(*soci::factory_postgresql(), url.connect);
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

}  // namespace deskgate
