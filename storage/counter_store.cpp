#include "storage/counter_store.hpp"

#include <soci/soci.h>

#include "storage/soci_guard.hpp"
#include "storage/soci_rows.hpp"

namespace deskgate {

std::optional<std::string> CounterStore::lastAssigned(const std::string& team) {
    return guarded("reading the round-robin position", [&]() -> std::optional<std::string> {
        std::string agent;
        if (db_.inTransaction() && db_.backend() == Backend::postgresql) {
            // The team's row, locked until the commit: the next daemon waits for this one's turn
            // to be saved, then reads it, so two tickets never get the same turn. Created when
            // missing ('' = no turn yet), since a row that is not there cannot be locked.
            sql() << "INSERT INTO assignment_state (team, last_agent) VALUES (:t, '') ON CONFLICT (team) DO NOTHING",
                soci::use(team);
            sql() << "SELECT last_agent FROM assignment_state WHERE team = :t FOR UPDATE", soci::use(team),
                soci::into(agent);
        } else {  // SQLite's write transaction is exclusive already; outside one: a plain read
            sql() << "SELECT last_agent FROM assignment_state WHERE team = :t", soci::use(team), soci::into(agent);
        }
        if (!sql().got_data() || agent.empty()) return std::nullopt;
        return agent;
    });
}

void CounterStore::saveLastAssigned(const std::string& team, const std::string& agent) {
    guarded("saving the round-robin position", [&] {
        sql() << "INSERT INTO assignment_state (team, last_agent) VALUES (:t, :a)"
                 " ON CONFLICT (team) DO UPDATE SET last_agent = excluded.last_agent",
            soci::use(team), soci::use(agent);
        return 0;
    });
}

void CounterStore::lockTicketNumbers() {
    if (db_.backend() != Backend::postgresql) return;
    guarded("locking the ticket numbers", [&] {
        long long value = 0;
        sql() << "SELECT value FROM counters WHERE name = 'ticket_number' FOR UPDATE", soci::into(value);
        return 0;
    });
}

std::map<std::string, std::int64_t, std::less<>> CounterStore::openTicketsOf(const std::vector<std::string>& agents) {
    return guarded("counting open tickets", [&] {
        std::map<std::string, std::int64_t, std::less<>> out;
        // One count per agent on the (assignee, status) index: the cost stays with the agent's
        // own open tickets, not with every ticket of the desk (this runs for each new ticket).
        std::string agent;
        long long n = 0;
        soci::statement st = (sql().prepare << "SELECT COUNT(*) FROM tickets WHERE assignee = :a"
                                               " AND status IN ('new', 'open', 'pending')",
                              soci::use(agent), soci::into(n));
        for (const auto& a : agents) {
            agent = a;
            st.execute(true);
            out[a] = n;
        }
        return out;
    });
}

void CounterStore::addRuleHit(const std::string& rule) {
    guarded("counting a rule hit", [&] {
        sql() << "INSERT INTO rule_hits (rule, hits) VALUES (:r, 1)"
                 " ON CONFLICT (rule) DO UPDATE SET hits = rule_hits.hits + 1",
            soci::use(rule);
        return 0;
    });
}

std::vector<std::pair<std::string, std::int64_t>> CounterStore::ruleHits() {
    return guarded("reading rule hits", [&] {
        std::vector<std::pair<std::string, std::int64_t>> out;
        soci::rowset<soci::row> rows = sql().prepare << "SELECT rule, hits FROM rule_hits ORDER BY rule";
        for (const auto& r : rows) out.emplace_back(strAt(r, 0), intAt(r, 1));
        return out;
    });
}

bool CounterStore::takeUsage(const std::string& address, const std::string& what, UnixTime window_start,
                             std::int64_t limit) {
    if (limit <= 0) return false;
    return guarded("counting for rate limits", [&] {
        long long w = window_start, cap = limit, n = 0;
        purgeOldWindows(what, window_start);
        // The conditional upsert returns no row when the limit is reached (then nothing changes).
        sql() << "INSERT INTO address_usage (address, what, window_start, uses) VALUES (:a, :w, :s, 1)"
                 " ON CONFLICT (address, what, window_start) DO UPDATE SET uses = address_usage.uses + 1"
                 " WHERE address_usage.uses < :cap RETURNING uses",
            soci::use(address), soci::use(what), soci::use(w), soci::use(cap), soci::into(n);
        return sql().got_data();
    });
}

void CounterStore::giveBackUsage(const std::string& address, const std::string& what, UnixTime window_start) {
    guarded("counting for rate limits", [&] {
        long long w = window_start;
        sql() << "UPDATE address_usage SET uses = uses - 1 WHERE address = :a AND what = :w AND window_start = :s"
                 " AND uses > 0",
            soci::use(address), soci::use(what), soci::use(w);
        return 0;
    });
}

void CounterStore::purgeOldWindows(const std::string& what, UnixTime window_start) {
    auto seen = purged_.find(what);
    if (seen != purged_.end() && seen->second >= window_start) return;
    long long w = window_start;
    // Old windows are of no use any more: keep the table small.
    sql() << "DELETE FROM address_usage WHERE what = :w AND window_start < :s", soci::use(what), soci::use(w);
    purged_[what] = window_start;
}

std::string CounterStore::secret(const std::string& name, const std::function<std::string()>& generate, UnixTime now) {
    return guarded("reading a secret", [&] {
        std::string value;
        sql() << "SELECT value FROM secrets WHERE name = :n", soci::use(name), soci::into(value);
        if (sql().got_data()) return value;
        // Two daemons may make one at the same moment: the first insert wins, both read it back.
        const std::string fresh = generate();
        long long t = now;
        sql() << "INSERT INTO secrets (name, value, created_at) VALUES (:n, :v, :t) ON CONFLICT (name) DO NOTHING",
            soci::use(name), soci::use(fresh), soci::use(t);
        sql() << "SELECT value FROM secrets WHERE name = :n", soci::use(name), soci::into(value);
        return value;
    });
}

}  // namespace deskgate
