#include "storage/report_queries.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <sstream>

#include <soci/soci.h>

#include "storage/soci_guard.hpp"
#include "storage/soci_rows.hpp"
#include "storage/database.hpp"

namespace deskgate {

namespace {

// --- building SQL -------------------------------------------------------------------------
// Filters are integers and one queue name: they are written into the SQL as literals (the
// queue quoted by doubling quotes, which both backends read the same way with
// standard_conforming_strings, PostgreSQL's default), so one statement text serves both.
std::string quoted(std::string_view s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\0') continue;
        out += c;
        if (c == '\'') out += '\'';
    }
    return out + "'";
}

struct TicketRow {
    std::string sla, priority, queue, team, assignee;
    std::int64_t created = 0;
    std::optional<std::int64_t> first, end, due;
};

class Sql {
public:
    Sql(SociDatabase& store, const ReportFilter& filter) : sql_(store.session()), filter_(filter) {}

    // "<column> >= since AND <column> < until"
    std::string period(std::string_view column) const {
        // SQLite: "+column" keeps the planner off the column's index (see preferScans).
        const std::string c = (scans_ ? "+" : "") + std::string(column);
        return c + " >= " + std::to_string(filter_.since) + " AND " + c + " < " + std::to_string(filter_.until);
    }
    // SQLite walks an index range row by row back into the table, which for a period that
    // holds a large share of the tickets is an order of magnitude slower than reading the
    // table (measured: 3.5 s vs 0.25 s for 900,000 of 1,000,000 tickets). Its planner has
    // no histogram to know that; PostgreSQL's has, and decides itself.
    void preferScans(bool on) { scans_ = on; }
    // GROUP BY keys: "+queue" likewise stops SQLite from walking an index for the grouping
    // order (and from there every row back into the table).
    std::string keys(std::initializer_list<std::string_view> columns) const {
        std::string out;
        for (auto c : columns) out += (out.empty() ? "" : ", ") + std::string(scans_ ? "+" : "") + std::string(c);
        return out;
    }
    // " AND <prefix>queue = 'q'" when a queue is chosen.
    std::string queue(std::string_view prefix = "") const {
        return filter_.queue.empty() ? "" : " AND " + std::string(prefix) + "queue = " + quoted(filter_.queue);
    }
    // Tickets created in the period (the population of most sections).
    std::string created() const { return period("created_at") + queue(); }
    // FROM clause for messages / events: joined with tickets only when a queue filters them.
    std::string fromWithTicket(std::string_view table, std::string_view alias) const {
        std::string from = " FROM " + std::string(table) + " " + std::string(alias);
        if (!filter_.queue.empty()) from += " JOIN tickets t ON t.id = " + std::string(alias) + ".ticket_id";
        return from;
    }

    // Typed batches for the one pass that reads every ticket of the period (queryTimes):
    // columns sla, priority, queue, team, assignee, created, first, end, due.
    template <typename F>
    void tickets(const std::string& query, F&& onRow) {
        constexpr std::size_t kBatch = 10000;
        std::vector<std::string> sla(kBatch), priority(kBatch), queue(kBatch), team(kBatch), assignee(kBatch);
        std::vector<long long> created(kBatch), first(kBatch), end(kBatch), due(kBatch);
        std::vector<soci::indicator> firstI(kBatch), endI(kBatch), dueI(kBatch);
        soci::statement st = (sql_.prepare << query, soci::into(sla), soci::into(priority), soci::into(queue),
                              soci::into(team), soci::into(assignee), soci::into(created), soci::into(first, firstI),
                              soci::into(end, endI), soci::into(due, dueI));
        st.execute();
        TicketRow row;
        while (st.fetch()) {
            for (std::size_t i = 0; i < sla.size(); ++i) {
                row.sla = std::move(sla[i]);
                row.priority = std::move(priority[i]);
                row.queue = std::move(queue[i]);
                row.team = std::move(team[i]);
                row.assignee = std::move(assignee[i]);
                row.created = created[i];
                row.first = firstI[i] == soci::i_null ? std::nullopt : std::optional<std::int64_t>(first[i]);
                row.end = endI[i] == soci::i_null ? std::nullopt : std::optional<std::int64_t>(end[i]);
                row.due = dueI[i] == soci::i_null ? std::nullopt : std::optional<std::int64_t>(due[i]);
                onRow(row);
            }
            for (auto* v : {&sla, &priority, &queue, &team, &assignee}) v->resize(kBatch);
            for (auto* v : {&created, &first, &end, &due}) v->resize(kBatch);
            for (auto* v : {&firstI, &endI, &dueI}) v->resize(kBatch);
        }
    }

    template <typename F>
    void each(const std::string& query, F&& onRow) {
        soci::rowset<soci::row> rows = sql_.prepare << query;
        for (const auto& r : rows) onRow(r);
    }
    long long one(const std::string& query) {
        long long v = 0;
        each(query, [&](const soci::row& r) { v = intAt(r, 0); });
        return v;
    }
    std::optional<long long> optOne(const std::string& query) {
        std::optional<long long> v;
        each(query, [&](const soci::row& r) { v = optIntAt(r, 0); });
        return v;
    }

private:
    soci::session& sql_;
    const ReportFilter& filter_;
    bool scans_ = false;
};

// Counts sorted by count (descending), then key: the same order on both backends (ORDER BY
// on text would follow PostgreSQL's locale collation).
std::vector<ReportCount> sorted(const std::map<std::string, std::int64_t>& counts) {
    std::vector<ReportCount> out;
    for (const auto& [k, n] : counts) out.push_back({k, n});
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.count > b.count; });
    return out;
}

std::string orNone(std::string s, const char* none = "(none)") { return s.empty() ? none : s; }

// Nearest-rank statistics of durations fetched from the database (see queryTimes).
DurationStats statsOf(std::vector<std::int64_t> values) {
    DurationStats s;
    s.count = static_cast<std::int64_t>(values.size());
    if (values.empty()) return s;
    std::sort(values.begin(), values.end());  // O(n log n) on plain integers: ~50 ms for a million
    std::int64_t sum = 0;
    for (auto v : values) sum += v;
    s.mean = sum / s.count;
    s.median = values[static_cast<std::size_t>(nearestRankIndex(s.count, 0.5))];
    s.p90 = values[static_cast<std::size_t>(nearestRankIndex(s.count, 0.9))];
    return s;
}

// --- sections -----------------------------------------------------------------------------

constexpr std::int64_t kDay = 86400;

// "2026-11-16" for a day counted from 1970-01-01.
std::string dayString(std::int64_t day) {
    const std::chrono::year_month_day ymd{std::chrono::sys_days{std::chrono::days{day}}};
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()));
    return buf;
}

// SQL: a status event that took a resolved or closed ticket back to open.
const char* kReopenEvent =
    "e.type = 'status' AND (e.detail LIKE 'resolved -> open%' OR e.detail LIKE 'closed -> open%')";

void queryVolumes(Sql& sql, ReportVolumes& v) {
    std::map<std::int64_t, ReportPeriodVolume> days;
    auto perDay = [&](const std::string& query, std::int64_t ReportPeriodVolume::*field, std::int64_t& total) {
        sql.each(query, [&](const soci::row& r) {
            auto n = intAt(r, 1);
            days[intAt(r, 0)].*field += n;
            total += n;
        });
    };
    perDay("SELECT created_at / 86400, COUNT(*) FROM tickets WHERE " + sql.created() + " GROUP BY 1",
           &ReportPeriodVolume::created, v.created);
    perDay("SELECT resolved_at / 86400, COUNT(*) FROM tickets WHERE " + sql.period("resolved_at") + sql.queue() +
               " GROUP BY 1",
           &ReportPeriodVolume::resolved, v.resolved);
    perDay("SELECT closed_at / 86400, COUNT(*) FROM tickets WHERE " + sql.period("closed_at") + sql.queue() +
               " GROUP BY 1",
           &ReportPeriodVolume::closed, v.closed);
    perDay("SELECT e.at / 86400, COUNT(*)" + sql.fromWithTicket("events", "e") + " WHERE " + kReopenEvent + " AND " +
               sql.period("e.at") + sql.queue("t.") + " GROUP BY 1",
           &ReportPeriodVolume::reopened, v.reopened);
    // Weeks start on Monday; 1970-01-01 was a Thursday, so day d is in week (d + 3) / 7.
    std::map<std::int64_t, ReportPeriodVolume> weeks;
    for (auto& [day, row] : days) {
        row.start = dayString(day);
        v.per_day.push_back(row);
        auto& w = weeks[(day + 3) / 7];
        w.created += row.created;
        w.resolved += row.resolved;
        w.closed += row.closed;
        w.reopened += row.reopened;
    }
    for (auto& [week, row] : weeks) {
        row.start = dayString(week * 7 - 3);
        v.per_week.push_back(row);
    }

    std::map<std::string, std::int64_t> queues, priorities, categories, mailboxes, tags;
    sql.each("SELECT queue, priority, category, mailbox, COUNT(*) FROM tickets WHERE " + sql.created() +
                 " GROUP BY " + sql.keys({"queue", "priority", "category", "mailbox"}),
             [&](const soci::row& r) {
                 auto n = intAt(r, 4);
                 queues[strAt(r, 0)] += n;
                 priorities[strAt(r, 1)] += n;
                 categories[orNone(strAt(r, 2))] += n;
                 mailboxes[orNone(strAt(r, 3))] += n;
             });
    // Tags are a space-separated column: grouped by the whole list in SQL, split here.
    sql.each("SELECT tags, COUNT(*) FROM tickets WHERE " + sql.created() + " AND tags <> '' GROUP BY " + sql.keys({"tags"}),
             [&](const soci::row& r) {
                 std::istringstream words(strAt(r, 0));
                 for (std::string tag; words >> tag;) tags[tag] += intAt(r, 1);
             });
    v.by_queue = sorted(queues);
    v.by_priority = sorted(priorities);
    v.by_category = sorted(categories);
    v.by_mailbox = sorted(mailboxes);
    v.by_tag = sorted(tags);
}

void queryBacklog(Sql& sql, std::int64_t now, ReportBacklog& b) {
    const std::string open = "status IN ('open', 'pending')" + sql.queue();
    std::map<std::string, std::int64_t> statuses, priorities, queues, assignees;
    sql.each("SELECT status, priority, queue, assignee, COUNT(*) FROM tickets WHERE " + open +
                 " GROUP BY status, priority, queue, assignee",
             [&](const soci::row& r) {
                 auto n = intAt(r, 4);
                 b.total += n;
                 statuses[strAt(r, 0)] += n;
                 priorities[strAt(r, 1)] += n;
                 queues[strAt(r, 2)] += n;
                 assignees[orNone(strAt(r, 3), "(nobody)")] += n;
             });
    b.by_status = sorted(statuses);
    b.by_priority = sorted(priorities);
    b.by_queue = sorted(queues);
    b.by_assignee = sorted(assignees);
    sql.each("SELECT number, created_at FROM tickets WHERE " + open + " ORDER BY created_at, number LIMIT 1",
             [&](const soci::row& r) {
                 b.oldest_number = intAt(r, 0);
                 b.oldest_age_seconds = now - intAt(r, 1);
             });
}

// Resolution ends when the ticket is resolved, or closed without being resolved first.
const char* kResolutionEnd = "COALESCE(resolved_at, closed_at)";

struct Bucket {
    const char* label;
    std::int64_t from;
    std::optional<std::int64_t> to;
};
const Bucket kBuckets[] = {{"< 15m", 0, 900},          {"15m-1h", 900, 3600},       {"1h-4h", 3600, 14400},
                           {"4h-8h", 14400, 28800},    {"8h-24h", 28800, 86400},    {"1d-3d", 86400, 259200},
                           {">= 3d", 259200, std::nullopt}};

// Durations need every ticket of the period: one pass over the tickets of the period reads
// only the needed columns (typed, in batches), then everything that needs the individual
// values happens here: percentiles, the histogram, per-agent medians, business time under
// each ticket's calendar, and the first-response SLA. (Percentiles by ORDER BY ... OFFSET in
// SQL were measured: each is a full sort, 3.4 s per percentile on SQLite with 900,000 rows.)
struct TicketTimes {
    std::vector<std::int64_t> first_wall, first_business, resolution_wall, resolution_business;
    std::map<std::string, std::vector<std::int64_t>> first_by_agent;
};

void histogramAdd(std::vector<DurationBucket>& histogram, std::int64_t d, std::int64_t DurationBucket::*field) {
    for (auto& b : histogram)
        if (!b.to || d < *b.to) {
            b.*field += 1;
            return;
        }
}

using AgentMedians = std::map<std::string, std::optional<std::int64_t>>;

void queryTimes(Sql& sql, const ReportRequest& request, const ReportCalendars& calendars, ReportData& d,
                std::map<std::string, ReportBreach>& byQueue, std::map<std::string, ReportBreach>& byTeam,
                AgentMedians& agentMedians) {
    ReportTimes& t = d.times;
    ReportSla& s = d.sla;
    for (const auto& b : kBuckets) t.histogram.push_back({b.label, b.from, b.to, 0, 0});
    TicketTimes times;
    sql.tickets("SELECT sla, priority, queue, team, assignee, created_at, first_response_at, " +
                    std::string(kResolutionEnd) + ", first_response_due FROM tickets WHERE " + sql.created(),
                [&](const TicketRow& r) {
                    std::optional<std::int64_t> firstB;
                    if (r.first) {
                        const auto wall = *r.first - r.created;
                        times.first_wall.push_back(wall);
                        histogramAdd(t.histogram, wall, &DurationBucket::first_response);
                        if (!r.assignee.empty()) times.first_by_agent[r.assignee].push_back(wall);
                    }
                    if (r.end) {
                        times.resolution_wall.push_back(*r.end - r.created);
                        histogramAdd(t.histogram, *r.end - r.created, &DurationBucket::resolution);
                    }
                    if (r.sla.empty() || !calendars.business_seconds) return;
                    if (r.first) firstB = calendars.business_seconds(r.sla, r.created, *r.first);
                    if (firstB) times.first_business.push_back(*firstB);
                    if (r.end)
                        if (auto b = calendars.business_seconds(r.sla, r.created, *r.end))
                            times.resolution_business.push_back(*b);
                    // First response: met when answered within the policy's target in business
                    // time; breached when answered later, or unanswered past its deadline.
                    std::optional<bool> met;
                    if (r.first) {
                        auto target = calendars.first_response_target
                                          ? calendars.first_response_target(r.sla, r.priority)
                                          : std::nullopt;
                        if (target && firstB) met = *firstB <= *target;
                    } else if (r.due && *r.due < request.now) {
                        met = false;
                    }
                    if (!met) return;
                    ++s.first_response_total;
                    if (*met) {
                        ++s.first_response_met;
                    } else {
                        byQueue[r.queue].first_response++;
                        byTeam[orNone(r.team)].first_response++;
                    }
                });
    t.first_response_wall = statsOf(std::move(times.first_wall));
    t.resolution_wall = statsOf(std::move(times.resolution_wall));
    t.first_response_business = statsOf(std::move(times.first_business));
    t.resolution_business = statsOf(std::move(times.resolution_business));
    for (auto& [agent, values] : times.first_by_agent)
        agentMedians[agent] = statsOf(std::move(values)).median;
}

void querySla(Sql& sql, const ReportRequest& request, ReportSla& s, std::map<std::string, ReportBreach>& byQueue,
              std::map<std::string, ReportBreach>& byTeam) {
    const std::string end = kResolutionEnd;
    const std::string now = std::to_string(request.now);
    // Resolution is decided in SQL: met when it ended by its deadline, breached when it ended
    // later or is still unresolved past it; the rest is still running.
    sql.each("SELECT queue, team,"
             " CAST(SUM(CASE WHEN " + end + " <= resolution_due THEN 1 ELSE 0 END) AS BIGINT),"
             " CAST(SUM(CASE WHEN " + end + " > resolution_due OR (" + end + " IS NULL AND resolution_due < " + now +
                 ") THEN 1 ELSE 0 END) AS BIGINT)"
                 " FROM tickets WHERE " + sql.created() + " AND resolution_due IS NOT NULL GROUP BY " + sql.keys({"queue", "team"}),
             [&](const soci::row& r) {
                 auto met = intAt(r, 2), breached = intAt(r, 3);
                 s.resolution_met += met;
                 s.resolution_total += met + breached;
                 if (breached == 0) return;
                 byQueue[strAt(r, 0)].resolution += breached;
                 byTeam[orNone(strAt(r, 1))].resolution += breached;
             });
    for (auto& [k, b] : byQueue) {
        b.key = k;
        s.breaches_by_queue.push_back(b);
    }
    for (auto& [k, b] : byTeam) {
        b.key = k;
        s.breaches_by_team.push_back(b);
    }
    // At risk: open tickets (pending ones have their clock stopped) due within the window.
    s.at_risk_hours = request.at_risk_hours;
    const std::string window = " >= " + now + " AND {due} < " + std::to_string(request.now + request.at_risk_hours * 3600);
    auto atRisk = [&](const char* target, const std::string& column, const std::string& extra) {
        std::string cond = window;
        cond.replace(cond.find("{due}"), 5, column);
        sql.each("SELECT number, subject, queue, assignee, " + column + " FROM tickets WHERE status = 'open'" +
                     sql.queue() + extra + " AND " + column + cond + " ORDER BY " + column + ", number LIMIT " +
                     std::to_string(request.at_risk_limit),
                 [&](const soci::row& r) {
                     s.at_risk.push_back({intAt(r, 0), strAt(r, 1), strAt(r, 2), strAt(r, 3), target, intAt(r, 4)});
                 });
    };
    atRisk("first_response", "first_response_due", " AND first_response_at IS NULL");
    atRisk("resolution", "resolution_due", "");
    std::stable_sort(s.at_risk.begin(), s.at_risk.end(), [](const auto& a, const auto& b) {
        return a.due != b.due ? a.due < b.due : a.number < b.number;
    });
    if (s.at_risk.size() > request.at_risk_limit) s.at_risk.resize(request.at_risk_limit);
}

void queryAgents(Sql& sql, const AgentMedians& medians, std::vector<ReportAgent>& agents) {
    std::map<std::string, ReportAgent> byName;
    sql.each("SELECT assignee, COUNT(*) FROM tickets WHERE " + sql.created() + " AND assignee <> '' GROUP BY " + sql.keys({"assignee"}),
             [&](const soci::row& r) {
                 auto& a = byName[strAt(r, 0)];
                 a.handled = intAt(r, 1);
             });
    for (const auto& [name, median] : medians) byName[name].median_first_response = median;
    sql.each("SELECT m.author, COUNT(*)" + sql.fromWithTicket("messages", "m") +
                 // Mail to the customer written by an agent: a relayed reply, or the agent's words in a
                 // closing notice or status update (author "agent:NAME"; system mail is "system").
                 " WHERE m.direction = 'out' AND m.author LIKE 'agent:%' AND " + sql.period("m.created_at") +
                 sql.queue("t.") + " GROUP BY m.author",
             [&](const soci::row& r) {
                 byName[strAt(r, 0).substr(6)].replies += intAt(r, 1);  // "agent:NAME"
             });
    sql.each("SELECT assignee, COUNT(*), CAST(SUM(rating) AS BIGINT) FROM tickets WHERE " +
                 sql.period("rating_requested_at") + sql.queue() +
                 " AND rating IS NOT NULL AND assignee <> '' GROUP BY " + sql.keys({"assignee"}),
             [&](const soci::row& r) {
                 auto& a = byName[strAt(r, 0)];
                 a.ratings = intAt(r, 1);
                 if (a.ratings > 0) a.average_rating = static_cast<double>(intAt(r, 2)) / static_cast<double>(a.ratings);
             });
    for (auto& [name, a] : byName) {
        a.name = name;
        agents.push_back(a);
    }
}

void querySatisfaction(Sql& sql, ReportSatisfaction& s) {
    const std::string asked = sql.period("rating_requested_at") + sql.queue();
    s.requested = sql.one("SELECT COUNT(*) FROM tickets WHERE " + asked);
    std::int64_t sum = 0;
    sql.each("SELECT rating, COUNT(*) FROM tickets WHERE " + asked + " AND rating IS NOT NULL GROUP BY rating",
             [&](const soci::row& r) {
                 auto rating = intAt(r, 0), n = intAt(r, 1);
                 if (rating < 1 || rating > 5) return;
                 s.distribution[static_cast<std::size_t>(rating - 1)] += n;
                 s.rated += n;
                 sum += rating * n;
             });
    if (s.rated > 0) s.average = static_cast<double>(sum) / static_cast<double>(s.rated);
}

// Incoming customer mail, counted per 15 minutes in SQL (every zone's offset is a multiple of
// 15 minutes), then placed on the local clock of the report's zone.
void queryTraffic(Sql& sql, const ReportCalendars& calendars, ReportTraffic& t) {
    t.timezone = calendars.timezone;
    sql.each("SELECT m.created_at / 900, COUNT(*)" + sql.fromWithTicket("messages", "m") +
                 " WHERE m.direction = 'in' AND m.author = 'customer' AND m.kind = 'normal' AND " +
                 sql.period("m.created_at") + sql.queue("t.") + " GROUP BY 1",
             [&](const soci::row& r) {
                 const std::int64_t utc = intAt(r, 0) * 900;
                 auto [hour, weekday] = calendars.local_hour_weekday
                                            ? calendars.local_hour_weekday(utc)
                                            : std::pair<int, int>{static_cast<int>(utc % kDay / 3600),
                                                                  static_cast<int>((utc / kDay + 3) % 7)};
                 auto n = intAt(r, 1);
                 t.by_hour[static_cast<std::size_t>(hour)] += n;
                 t.by_weekday[static_cast<std::size_t>(weekday)] += n;
             });
}

void queryHygiene(Sql& sql, ReportHygiene& h) {
    sql.each("SELECT m.kind, COUNT(*)" + sql.fromWithTicket("messages", "m") +
                 " WHERE m.direction = 'in' AND m.kind IN ('bounce', 'auto_reply') AND " + sql.period("m.created_at") +
                 sql.queue("t.") + " GROUP BY m.kind",
             [&](const soci::row& r) {
                 (strAt(r, 0) == "bounce" ? h.bounces : h.auto_replies) += intAt(r, 1);
             });
    // Quarantined mail belongs to no queue: the queue filter does not apply here.
    std::map<std::string, std::int64_t> reasons;
    sql.each("SELECT reason, COUNT(*) FROM quarantine WHERE " + sql.period("created_at") + " GROUP BY reason",
             [&](const soci::row& r) {
                 auto n = intAt(r, 1);
                 reasons[quarantineReasonKind(strAt(r, 0))] += n;
                 h.quarantined += n;
             });
    h.quarantined_by_reason = sorted(reasons);
}

}  // namespace

std::int64_t nearestRankIndex(std::int64_t n, double q) {
    if (n <= 0) return 0;
    auto rank = static_cast<std::int64_t>(std::ceil(q * static_cast<double>(n) - 1e-9));
    return std::clamp<std::int64_t>(rank, 1, n) - 1;
}

std::string quarantineReasonKind(std::string_view reason) {
    auto starts = [&](std::string_view p) { return reason.substr(0, p.size()) == p; };
    if (starts("own mail came back")) return "mail_loop";
    if (starts("no sender address")) return "no_sender";
    if (starts("held for review by rule")) return "held_by_rule";
    if (starts("the mail names ticket") || starts("subject names ticket")) return "foreign_token";
    if (starts("held: ")) return "too_many_recipients";
    if (starts("could not be handled")) return "error";
    if (auto pos = reason.find(" that matches no ticket"); pos != std::string_view::npos)
        return "unmatched_" + std::string(reason.substr(0, pos));
    // Parse errors read "code: message"; the code is the kind.
    auto colon = reason.find(':');
    if (colon != std::string_view::npos && colon > 0) {
        auto code = reason.substr(0, colon);
        bool identifier = std::all_of(code.begin(), code.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        });
        if (identifier) return std::string(code);
    }
    return "other";
}

ReportData queryReport(SociDatabase& store, const ReportRequest& request, const ReportCalendars& calendars) {
    ReportData d;
    d.filter = request.filter;
    d.generated_at = request.now;
    Sql sql(store, request.filter);
    auto chooseScans = [&] {
        if (store.backend() != Backend::sqlite) return;
        // The report reads much of the file: map it instead of a pread per 4 KiB page (the
        // reads were 60% of the time over a million tickets), sort in memory.
        store.session() << "PRAGMA mmap_size = 4294967296";
        store.session() << "PRAGMA temp_store = MEMORY";
        // Both counts come from indexes alone (tickets_created covers the first).
        auto inPeriod = sql.one("SELECT COUNT(*) FROM tickets WHERE " + sql.period("created_at"));
        auto total = sql.one("SELECT COUNT(*) FROM tickets");
        sql.preferScans(inPeriod * 8 > total);
    };
    auto step = [&](std::string_view name) {
        if (request.progress) request.progress(name);
    };
    try {
        chooseScans();
        step("volumes");
        queryVolumes(sql, d.volumes);
        step("backlog");
        queryBacklog(sql, request.now, d.backlog);
        step("response times, business time, SLA");
        std::map<std::string, ReportBreach> byQueue, byTeam;
        AgentMedians medians;
        queryTimes(sql, request, calendars, d, byQueue, byTeam, medians);
        querySla(sql, request, d.sla, byQueue, byTeam);
        step("agents");
        queryAgents(sql, medians, d.agents);
        step("satisfaction");
        querySatisfaction(sql, d.satisfaction);
        step("mail traffic");
        queryTraffic(sql, calendars, d.traffic);
        step("mail hygiene");
        queryHygiene(sql, d.hygiene);
    } catch (const soci::soci_error& e) {
        throwStorageFailure("report query failed", e);
    }
    return d;
}

}  // namespace deskgate

namespace deskgate {

std::optional<std::int64_t> lastReportRun(SociDatabase& store, const std::string& name) {
    return guarded("reading report_runs", [&]() -> std::optional<std::int64_t> {
        long long last = 0;
        soci::indicator ind = soci::i_null;
        auto& sql = store.session();
        sql << "SELECT last_due FROM report_runs WHERE name = :n", soci::use(name), soci::into(last, ind);
        if (!sql.got_data() || ind == soci::i_null) return std::nullopt;
        return last;
    });
}

bool claimReportRun(SociDatabase& store, const std::string& name, std::int64_t due, std::int64_t now) {
    return guarded("recording a report run", [&] {
        auto& sql = store.session();
        long long d = due, n = now;
        // Several daemons may see a report for the first time at once: one row, the others
        // claim nothing. Afterwards the conditional UPDATE waits for the row and re-reads it
        // (PostgreSQL, READ COMMITTED), so each due time is claimed by one daemon.
        soci::statement st = lastReportRun(store, name)
                                 ? (sql.prepare << "UPDATE report_runs SET last_due = :d, queued_at = :t"
                                                   " WHERE name = :n AND last_due < :d2",
                                    soci::use(d), soci::use(n), soci::use(name), soci::use(d))
                                 : (sql.prepare << "INSERT INTO report_runs (name, last_due, queued_at)"
                                                   " VALUES (:n, :d, :t) ON CONFLICT (name) DO NOTHING",
                                    soci::use(name), soci::use(d), soci::use(n));
        st.execute(true);
        return st.get_affected_rows() == 1;
    });
}

}  // namespace deskgate
