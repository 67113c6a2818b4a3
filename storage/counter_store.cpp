#include "storage/counter_store.hpp"

#include <soci/soci.h>

#include "storage/soci_guard.hpp"
#include "storage/soci_rows.hpp"

namespace deskgate {

namespace {

// The statements run for every new ticket, prepared once per session (database.hpp's Prepared).

// The team's row, locked until the commit (an upsert locks the row it finds or makes): the next
// daemon waits for this one's turn to be saved, then reads it, so two tickets never get the
// same turn. '' = no turn yet.
struct LockTurn : Prepared {
    std::string team, agent;
    soci::statement st;
    explicit LockTurn(soci::session& s)
        : st((s.prepare << "INSERT INTO assignment_state (team, last_agent) VALUES (:t, '') ON CONFLICT (team)"
                           " DO UPDATE SET last_agent = assignment_state.last_agent RETURNING last_agent",
              soci::use(team), soci::into(agent))) {}
};

struct ReadTurn : Prepared {
    std::string team, agent;
    soci::statement st;
    explicit ReadTurn(soci::session& s)
        : st((s.prepare << "SELECT last_agent FROM assignment_state WHERE team = :t", soci::use(team),
              soci::into(agent))) {}
};

struct SaveTurn : Prepared {
    std::string team, agent;
    soci::statement st;
    explicit SaveTurn(soci::session& s)
        : st((s.prepare << "INSERT INTO assignment_state (team, last_agent) VALUES (:t, :a)"
                           " ON CONFLICT (team) DO UPDATE SET last_agent = excluded.last_agent",
              soci::use(team), soci::use(agent))) {}
};

struct CountRuleHits : Prepared {
    std::string rule;
    long long hits = 0;
    soci::statement st;
    explicit CountRuleHits(soci::session& s)
        : st((s.prepare << "INSERT INTO rule_hits (rule, hits) VALUES (:r, :n)"
                           " ON CONFLICT (rule) DO UPDATE SET hits = rule_hits.hits + excluded.hits",
              soci::use(rule), soci::use(hits))) {}
};

// The conditional upsert returns no row when the limit is reached (then nothing changes).
struct TakeUsage : Prepared {
    std::string address, what;
    long long window = 0, cap = 0, uses = 0;
    soci::statement st;
    explicit TakeUsage(soci::session& s)
        : st((s.prepare << "INSERT INTO address_usage (address, what, window_start, uses) VALUES (:a, :w, :s, 1)"
                           " ON CONFLICT (address, what, window_start) DO UPDATE SET uses = address_usage.uses + 1"
                           " WHERE address_usage.uses < :cap RETURNING uses",
              soci::use(address), soci::use(what), soci::use(window), soci::use(cap), soci::into(uses))) {}
};

struct GiveBackUsage : Prepared {
    std::string address, what;
    long long window = 0;
    soci::statement st;
    explicit GiveBackUsage(soci::session& s)
        : st((s.prepare << "UPDATE address_usage SET uses = uses - 1 WHERE address = :a AND what = :w"
                           " AND window_start = :s AND uses > 0",
              soci::use(address), soci::use(what), soci::use(window))) {}
};

}  // namespace

CounterStore::CounterStore(SociDatabase& db)
    : db_(db),
      hits_([&db](const std::vector<std::string>& rules) {
          // By rule, in the rule's order: several daemons' commits lock the rows in one order.
          std::map<std::string, long long> counted;
          for (const auto& r : rules) ++counted[r];
          for (const auto& [rule, hits] : counted)
              withPrepared<CountRuleHits>(db, "counting rule hits", [&](CountRuleHits& q) {
                  q.rule = rule;
                  q.hits = hits;
                  q.st.execute(true);
              });
      }),
      turns_([&db](const std::vector<std::pair<std::string, std::string>>& saved) {
          std::map<std::string, std::string> last;  // per team the last turn given, in the team's order
          for (const auto& [team, agent] : saved) last[team] = agent;
          for (const auto& [team, agent] : last) saveTurn(db, team, agent);
      }) {
    db_.holdBack(hits_);
    db_.holdBack(turns_);
}

void CounterStore::saveTurn(SociDatabase& db, const std::string& team, const std::string& agent) {
    withPrepared<SaveTurn>(db, "saving the round-robin position", [&](SaveTurn& q) {
        q.team = team;
        q.agent = agent;
        q.st.execute(true);
    });
}

std::optional<std::string> CounterStore::lastAssigned(const std::string& team) {
    auto turn = [&](auto& q) -> std::optional<std::string> {
        q.team = team;
        if (!runOnce(q.st) || q.agent.empty()) return std::nullopt;
        return q.agent;
    };
    // SQLite's write transaction is exclusive already; outside one: a plain read. The lock is
    // taken every time, even when a turn given in this transaction answers: a rollback to a
    // savepoint gives up the locks taken after it.
    auto stored = db_.inTransaction() && db_.backend() == Backend::postgresql
                      ? withPrepared<LockTurn>(db_, "reading the round-robin position", turn)
                      : withPrepared<ReadTurn>(db_, "reading the round-robin position", turn);
    const auto& held = turns_.rows();
    for (auto it = held.rbegin(); it != held.rend(); ++it)
        if (it->first == team) return it->second;
    return stored;
}

void CounterStore::saveLastAssigned(const std::string& team, const std::string& agent) {
    if (db_.inTransaction())
        turns_.add({team, agent});
    else
        saveTurn(db_, team, agent);
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
    hits_.add(rule);
    if (!db_.inTransaction()) hits_.write();
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
    guarded("counting for rate limits", [&] {
        purgeOldWindows(what, window_start);
        return 0;
    });
    return withPrepared<TakeUsage>(db_, "counting for rate limits", [&](TakeUsage& q) {
        q.address = address;
        q.what = what;
        q.window = window_start;
        q.cap = limit;
        return runOnce(q.st);
    });
}

void CounterStore::giveBackUsage(const std::string& address, const std::string& what, UnixTime window_start) {
    withPrepared<GiveBackUsage>(db_, "counting for rate limits", [&](GiveBackUsage& q) {
        q.address = address;
        q.what = what;
        q.window = window_start;
        q.st.execute(true);
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
