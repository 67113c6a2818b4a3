#include "storage/lease_store.hpp"

#include <soci/soci.h>

#include "storage/soci_guard.hpp"
#include "storage/soci_rows.hpp"

namespace deskgate {

namespace {

// The database's clock in unix seconds (clock_timestamp: the time now, not the transaction's start).
std::string nowSql(Backend backend) {
    return backend == Backend::postgresql ? "CAST(EXTRACT(EPOCH FROM clock_timestamp()) AS BIGINT)"
                                          : "CAST(strftime('%s', 'now') AS INTEGER)";
}

}  // namespace

bool LeaseStore::acquire(const std::string& name, const std::string& holder, int seconds) {
    return guarded("taking a lease", [&] {
        const std::string now = nowSql(db_.backend());
        // The WHERE of the upsert: only a free (expired) lease or our own is overwritten.
        soci::statement st =
            (sql().prepare << "INSERT INTO leases (name, holder, expires_at, acquired_at) VALUES (:n, :h, " + now +
                                  " + :s, " + now +
                                  ") ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
                                  " expires_at = excluded.expires_at, acquired_at = CASE WHEN leases.holder ="
                                  " excluded.holder THEN leases.acquired_at ELSE excluded.acquired_at END"
                                  " WHERE leases.holder = excluded.holder OR leases.expires_at <= " +
                                  now,
             soci::use(name), soci::use(holder), soci::use(seconds));
        st.execute(true);
        return st.get_affected_rows() == 1;
    });
}

bool LeaseStore::renew(const std::string& name, const std::string& holder, int seconds) {
    return guarded("renewing a lease", [&] {
        // Our row even when it expired meanwhile: nobody took it (a takeover changes the holder).
        soci::statement st = (sql().prepare << "UPDATE leases SET expires_at = " + nowSql(db_.backend()) +
                                                   " + :s WHERE name = :n AND holder = :h",
                              soci::use(seconds), soci::use(name), soci::use(holder));
        st.execute(true);
        return st.get_affected_rows() == 1;
    });
}

bool LeaseStore::takeOver(const std::string& name, const std::string& from, const std::string& to, int seconds) {
    return guarded("taking a lease over", [&] {
        const std::string now = nowSql(db_.backend());
        soci::statement st = (sql().prepare << "UPDATE leases SET holder = :t, expires_at = " + now + " + :s, acquired_at = " +
                                                   now + " WHERE name = :n AND holder = :f",
                              soci::use(to), soci::use(seconds), soci::use(name), soci::use(from));
        st.execute(true);
        return st.get_affected_rows() == 1;
    });
}

void LeaseStore::release(const std::string& name, const std::string& holder) {
    guarded("releasing a lease", [&] {
        sql() << "UPDATE leases SET expires_at = 0 WHERE name = :n AND holder = :h", soci::use(name),
            soci::use(holder);
        return 0;
    });
}

std::optional<LeaseRecord> LeaseStore::lease(const std::string& name) {
    for (auto& l : leases())
        if (l.name == name) return std::move(l);
    return std::nullopt;
}

std::vector<LeaseRecord> LeaseStore::leases() {
    return guarded("reading leases", [&] {
        std::vector<LeaseRecord> out;
        soci::rowset<soci::row> rows =
            sql().prepare << "SELECT name, holder, expires_at, acquired_at FROM leases ORDER BY name";
        for (const auto& r : rows) out.push_back({strAt(r, 0), strAt(r, 1), intAt(r, 2), intAt(r, 3)});
        return out;
    });
}

UnixTime LeaseStore::databaseNow() {
    return guarded("reading the database clock", [&] {
        long long now = 0;
        sql() << "SELECT " + nowSql(db_.backend()), soci::into(now);
        return static_cast<UnixTime>(now);
    });
}

}  // namespace deskgate
