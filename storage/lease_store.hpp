// Leases: a named right (watching a mailbox) that one daemon holds at a time, until it expires.
// The holder renews it well before; when the holder dies or loses the database, the lease runs
// out and another daemon takes it. Expiry is counted on the database's clock, so the hosts'
// clocks do not matter.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "storage/database.hpp"
#include "storage/records.hpp"

namespace deskgate {

struct LeaseRecord {
    std::string name;
    std::string holder;
    UnixTime expires_at = 0;   // database time
    UnixTime acquired_at = 0;
};

class LeaseStore {
public:
    explicit LeaseStore(SociDatabase& db) : db_(db) {}

    // Takes the lease for `seconds` when it is free, expired or already `holder`'s (then it is
    // renewed). True when `holder` has it now. Waits while the holder's transaction that
    // renews it (renew() inside a batch) is open, so a lease is never taken in mid-batch.
    bool acquire(const std::string& name, const std::string& holder, int seconds);
    // Extends the lease of `holder` to `seconds` from now; false when it is not (or no longer)
    // `holder`'s: another daemon took it over, or it was released. Inside a transaction the
    // lease row stays locked until the commit: the fence of work done under the lease.
    bool renew(const std::string& name, const std::string& holder, int seconds);
    // Takes the lease from `from` (a holder known to be dead) for `to`; false when `from` no
    // longer holds it (renewed it after all, or another daemon was quicker).
    bool takeOver(const std::string& name, const std::string& from, const std::string& to, int seconds);
    // Gives it up at once (another daemon may take it at its next try). No-op if not held.
    void release(const std::string& name, const std::string& holder);

    std::optional<LeaseRecord> lease(const std::string& name);
    std::vector<LeaseRecord> leases();
    UnixTime databaseNow();

private:
    soci::session& sql() { return db_.session(); }
    SociDatabase& db_;
};

}  // namespace deskgate
