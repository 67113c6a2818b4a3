// Small shared state: the round-robin position per team, open tickets per agent, rule hit
// counts, and per-address usage counters for rate limits.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "storage/database.hpp"
#include "storage/held_rows.hpp"
#include "storage/records.hpp"

namespace deskgate {

class CounterStore {
public:
    explicit CounterStore(SociDatabase& db);

    // The agent the team's round robin gave the last ticket to. Inside a transaction the
    // position stays locked until the commit, so concurrent daemons advance it one at a time.
    std::optional<std::string> lastAssigned(const std::string& team);
    void saveLastAssigned(const std::string& team, const std::string& agent);
    // Open (new, open, pending) tickets of each of `agents`: least_open assignment.
    std::map<std::string, std::int64_t, std::less<>> openTicketsOf(const std::vector<std::string>& agents);

    // In a transaction, counted at the end of the mail or the commit, one statement per rule
    // (DeferredRows).
    void addRuleHit(const std::string& rule);
    std::vector<std::pair<std::string, std::int64_t>> ruleHits();

    // Per-address counters for rate limits, per window (`window_start`: the hour, the day): one
    // use of `what` by `address` if fewer than `limit` were made — true and counted, else false
    // and nothing changed; one statement. giveBackUsage undoes one use.
    bool takeUsage(const std::string& address, const std::string& what, UnixTime window_start, std::int64_t limit);
    void giveBackUsage(const std::string& address, const std::string& what, UnixTime window_start);

    // The secret called `name` (e.g. the key behind agents' reply keys), made by `generate` the
    // first time; every daemon on the database gets the same one.
    std::string secret(const std::string& name, const std::function<std::string()>& generate, UnixTime now);

private:
    soci::session& sql() { return db_.session(); }
    // Old windows of `what` are removed once per window this store sees, not at every use.
    void purgeOldWindows(const std::string& what, UnixTime window_start);
    static void saveTurn(SociDatabase& db, const std::string& team, const std::string& agent);

    SociDatabase& db_;
    std::map<std::string, UnixTime, std::less<>> purged_;
    // Held back in a transaction (database.hpp's DeferredRows): rule hits, and the round-robin
    // positions saved (team, agent), whose rows stay locked by lastAssigned() until the commit.
    HeldRows<std::string> hits_;
    HeldRows<std::pair<std::string, std::string>> turns_;
};

}  // namespace deskgate
