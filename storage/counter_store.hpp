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
#include "storage/records.hpp"

namespace deskgate {

class CounterStore {
public:
    explicit CounterStore(SociDatabase& db) : db_(db), hits_(db) { db_.holdBack(hits_); }

    // The agent the team's round robin gave the last ticket to. Inside a transaction the
    // position stays locked until the commit, so concurrent daemons advance it one at a time.
    std::optional<std::string> lastAssigned(const std::string& team);
    void saveLastAssigned(const std::string& team, const std::string& agent);
    // Takes the ticket-number counter's lock now, until the commit (PostgreSQL; SQLite's write
    // transaction is exclusive anyway). An intake batch that takes it first takes every other
    // lock after it, so the batches of several daemons wait for each other in turn instead of
    // deadlocking (customer rows, team positions, the counter in different orders).
    void lockTicketNumbers();
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

    class RuleHits : public DeferredRows {
    public:
        explicit RuleHits(SociDatabase& db) : db_(db) {}
        std::size_t pending() const override { return rules.size(); }
        void write() override;
        void dropFrom(std::size_t n) override {
            if (n < rules.size()) rules.resize(n);
        }
        std::vector<std::string> rules;

    private:
        SociDatabase& db_;
    };

    SociDatabase& db_;
    std::map<std::string, UnixTime, std::less<>> purged_;
    RuleHits hits_;
};

}  // namespace deskgate
