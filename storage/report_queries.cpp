#include "storage/report_queries.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include <soci/soci.h>

#include "storage/ticket_store.hpp"

namespace deskgate {

namespace {

// --- reading rows -------------------------------------------------------------------------
// SQLite reports the types of expressions loosely, PostgreSQL exactly (bigint, numeric,
// text): read integers and strings whatever the driver calls them.
long long intAt(const soci::row& r, std::size_t i) {
    if (r.get_indicator(i) == soci::i_null) return 0;
    switch (r.get_properties(i).get_data_type()) {
        case soci::dt_integer: return r.get<int>(i);
        case soci::dt_long_long: return r.get<long long>(i);
        case soci::dt_unsigned_long_long: return static_cast<long long>(r.get<unsigned long long>(i));
        case soci::dt_double: return std::llround(r.get<double>(i));
        case soci::dt_string: return std::stoll(r.get<std::string>(i));
        default: throw StorageError("report: unexpected column type for an integer");
    }
}

std::optional<long long> optIntAt(const soci::row& r, std::size_t i) {
    if (r.get_indicator(i) == soci::i_null) return std::nullopt;
    return intAt(r, i);
}

std::string strAt(const soci::row& r, std::size_t i) {
    if (r.get_indicator(i) == soci::i_null) return {};
    if (r.get_properties(i).get_data_type() == soci::dt_string) return r.get<std::string>(i);
    return std::to_string(intAt(r, i));
}

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

class Sql {
public:
    Sql(SociTicketStore& store, const ReportFilter& filter) : sql_(store.session()), filter_(filter) {}

    // "<column> >= since AND <column> < until"
    std::string period(std::string_view column) const {
        return std::string(column) + " >= " + std::to_string(filter_.since) + " AND " + std::string(column) + " < " +
               std::to_string(filter_.until);
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

// Nearest-rank statistics of an SQL duration expression over a population, computed in the
// database: COUNT and SUM, then the k-th value by ORDER BY ... LIMIT 1 OFFSET k.
DurationStats durationStats(Sql& sql, const std::string& expr, const std::string& from_where) {
    DurationStats s;
    sql.each("SELECT COUNT(*), CAST(COALESCE(SUM(" + expr + "), 0) AS BIGINT)" + from_where, [&](const soci::row& r) {
        s.count = intAt(r, 0);
        if (s.count > 0) s.mean = intAt(r, 1) / s.count;
    });
    if (s.count == 0) return s;
    auto kth = [&](double q) {
        return sql.optOne("SELECT " + expr + from_where + " ORDER BY 1 LIMIT 1 OFFSET " +
                          std::to_string(nearestRankIndex(s.count, q)));
    };
    s.median = kth(0.5);
    s.p90 = kth(0.9);
    return s;
}

// The same statistics over values already in memory (business times).
DurationStats statsOf(std::vector<std::int64_t> values) {
    DurationStats s;
    s.count = static_cast<std::int64_t>(values.size());
    if (values.empty()) return s;
    std::sort(values.begin(), values.end());
    std::int64_t sum = 0;
    for (auto v : values) sum += v;
    s.mean = sum / s.count;
    s.median = values[static_cast<std::size_t>(nearestRankIndex(s.count, 0.5))];
    s.p90 = values[static_cast<std::size_t>(nearestRankIndex(s.count, 0.9))];
    return s;
}

// --- sections -----------------------------------------------------------------------------

constexpr std::int64_t kDay = 86400;

std::string dayString(std::int64_t day) {
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    std::int64_t z = day + 719468;
    std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    std::int64_t doe = z - era * 146097;
    std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    std::int64_t y = yoe + era * 400;
    std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    std::int64_t mp = (5 * doy + 2) / 153;
    std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
    std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2) ++y;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lld", static_cast<long long>(y), static_cast<long long>(m),
                  static_cast<long long>(d));
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
                 " GROUP BY queue, priority, category, mailbox",
             [&](const soci::row& r) {
                 auto n = intAt(r, 4);
                 queues[strAt(r, 0)] += n;
                 priorities[strAt(r, 1)] += n;
                 categories[orNone(strAt(r, 2))] += n;
                 mailboxes[orNone(strAt(r, 3))] += n;
             });
    // Tags are a space-separated column: grouped by the whole list in SQL, split here.
    sql.each("SELECT tags, COUNT(*) FROM tickets WHERE " + sql.created() + " AND tags <> '' GROUP BY tags",
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

std::string bucketCase(const std::string& expr) {
    std::string out = "CASE";
    int i = 0;
    for (const auto& b : kBuckets) {
        if (b.to) out += " WHEN " + expr + " < " + std::to_string(*b.to) + " THEN " + std::to_string(i);
        ++i;
    }
    return out + " ELSE " + std::to_string(i - 1) + " END";
}

void queryWallTimes(Sql& sql, ReportTimes& t) {
    const std::string firstFrom = " FROM tickets WHERE " + sql.created() + " AND first_response_at IS NOT NULL";
    const std::string resolvedFrom =
        " FROM tickets WHERE " + sql.created() + " AND " + kResolutionEnd + " IS NOT NULL";
    const std::string firstExpr = "first_response_at - created_at";
    const std::string resolvedExpr = std::string(kResolutionEnd) + " - created_at";
    t.first_response_wall = durationStats(sql, firstExpr, firstFrom);
    t.resolution_wall = durationStats(sql, resolvedExpr, resolvedFrom);
    for (const auto& b : kBuckets) t.histogram.push_back({b.label, b.from, b.to, 0, 0});
    auto fill = [&](const std::string& expr, const std::string& from, std::int64_t DurationBucket::*field) {
        sql.each("SELECT " + bucketCase(expr) + ", COUNT(*)" + from + " GROUP BY 1", [&](const soci::row& r) {
            auto i = static_cast<std::size_t>(intAt(r, 0));
            if (i < t.histogram.size()) t.histogram[i].*field += intAt(r, 1);
        });
    };
    fill(firstExpr, firstFrom, &DurationBucket::first_response);
    fill(resolvedExpr, resolvedFrom, &DurationBucket::resolution);
}

// Business times and the first-response SLA need each ticket's calendar: one pass over the
// SLA tickets of the period (only the columns needed), computed here.
void queryBusinessTimes(Sql& sql, const ReportRequest& request, const ReportCalendars& calendars, ReportTimes& t,
                        ReportSla& s, std::map<std::string, ReportBreach>& byQueue,
                        std::map<std::string, ReportBreach>& byTeam) {
    std::vector<std::int64_t> firstBusiness, resolvedBusiness;
    sql.each("SELECT sla, priority, queue, team, created_at, first_response_at, " + std::string(kResolutionEnd) +
                 ", first_response_due FROM tickets WHERE " + sql.created() + " AND sla <> ''",
             [&](const soci::row& r) {
                 const std::string sla = strAt(r, 0);
                 const auto created = intAt(r, 4);
                 const auto first = optIntAt(r, 5);
                 const auto end = optIntAt(r, 6);
                 const auto due = optIntAt(r, 7);
                 std::optional<std::int64_t> firstB;
                 if (first && calendars.business_seconds) firstB = calendars.business_seconds(sla, created, *first);
                 if (firstB) firstBusiness.push_back(*firstB);
                 if (end && calendars.business_seconds)
                     if (auto b = calendars.business_seconds(sla, created, *end)) resolvedBusiness.push_back(*b);
                 // First response: met when answered within the policy's target in business
                 // time; breached when answered later, or unanswered past its deadline.
                 std::optional<bool> met;
                 if (first) {
                     auto target = calendars.first_response_target
                                       ? calendars.first_response_target(sla, strAt(r, 1))
                                       : std::nullopt;
                     if (target && firstB) met = *firstB <= *target;
                 } else if (due && *due < request.now) {
                     met = false;
                 }
                 if (!met) return;
                 ++s.first_response_total;
                 if (*met) {
                     ++s.first_response_met;
                 } else {
                     byQueue[strAt(r, 2)].first_response++;
                     byTeam[orNone(strAt(r, 3))].first_response++;
                 }
             });
    t.first_response_business = statsOf(std::move(firstBusiness));
    t.resolution_business = statsOf(std::move(resolvedBusiness));
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
                 " FROM tickets WHERE " + sql.created() + " AND resolution_due IS NOT NULL GROUP BY queue, team",
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

void queryAgents(Sql& sql, std::vector<ReportAgent>& agents) {
    std::map<std::string, ReportAgent> byName;
    sql.each("SELECT assignee, COUNT(*), COUNT(first_response_at) FROM tickets WHERE " + sql.created() +
                 " AND assignee <> '' GROUP BY assignee",
             [&](const soci::row& r) {
                 auto& a = byName[strAt(r, 0)];
                 a.handled = intAt(r, 1);
                 // Median first response of the agent's tickets, by rank like everywhere else.
                 if (auto answered = intAt(r, 2); answered > 0) a.median_first_response = answered;
             });
    for (auto& [name, a] : byName) {
        if (!a.median_first_response) continue;
        auto n = *a.median_first_response;
        a.median_first_response = sql.optOne("SELECT first_response_at - created_at FROM tickets WHERE " +
                                             sql.created() + " AND assignee = " + quoted(name) +
                                             " AND first_response_at IS NOT NULL ORDER BY 1 LIMIT 1 OFFSET " +
                                             std::to_string(nearestRankIndex(n, 0.5)));
    }
    sql.each("SELECT m.author, COUNT(*)" + sql.fromWithTicket("messages", "m") +
                 " WHERE m.direction = 'out' AND m.kind = 'agent_reply' AND " + sql.period("m.created_at") +
                 sql.queue("t.") + " GROUP BY m.author",
             [&](const soci::row& r) {
                 std::string author = strAt(r, 0);
                 if (author.rfind("agent:", 0) == 0) author = author.substr(6);
                 byName[author].replies += intAt(r, 1);
             });
    sql.each("SELECT assignee, COUNT(*), CAST(SUM(rating) AS BIGINT) FROM tickets WHERE " +
                 sql.period("rating_requested_at") + sql.queue() +
                 " AND rating IS NOT NULL AND assignee <> '' GROUP BY assignee",
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
    if (starts("subject names ticket")) return "foreign_token";
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

ReportData queryReport(SociTicketStore& store, const ReportRequest& request, const ReportCalendars& calendars) {
    ReportData d;
    d.filter = request.filter;
    d.generated_at = request.now;
    Sql sql(store, request.filter);
    auto step = [&](std::string_view name) {
        if (request.progress) request.progress(name);
    };
    try {
        step("volumes");
        queryVolumes(sql, d.volumes);
        step("backlog");
        queryBacklog(sql, request.now, d.backlog);
        step("response times");
        queryWallTimes(sql, d.times);
        step("business times and SLA");
        std::map<std::string, ReportBreach> byQueue, byTeam;
        queryBusinessTimes(sql, request, calendars, d.times, d.sla, byQueue, byTeam);
        querySla(sql, request, d.sla, byQueue, byTeam);
        step("agents");
        queryAgents(sql, d.agents);
        step("satisfaction");
        querySatisfaction(sql, d.satisfaction);
        step("mail traffic");
        queryTraffic(sql, calendars, d.traffic);
        step("mail hygiene");
        queryHygiene(sql, d.hygiene);
    } catch (const soci::soci_error& e) {
        std::string message = std::string("report query failed: ") + e.what();
        if (e.get_error_category() == soci::soci_error::connection_error) throw StorageUnavailable(message);
        throw StorageError(message);
    }
    return d;
}

}  // namespace deskgate

namespace deskgate {

std::optional<std::int64_t> lastReportRun(SociTicketStore& store, const std::string& name) {
    long long last = 0;
    soci::indicator ind = soci::i_null;
    try {
        store.session() << "SELECT last_due FROM report_runs WHERE name = :n", soci::use(name), soci::into(last, ind);
    } catch (const soci::soci_error& e) {
        throw StorageError(std::string("reading report_runs: ") + e.what());
    }
    if (!store.session().got_data() || ind == soci::i_null) return std::nullopt;
    return last;
}

bool claimReportRun(SociTicketStore& store, const std::string& name, std::int64_t due, std::int64_t now) {
    try {
        auto& sql = store.session();
        long long d = due, n = now;
        if (!lastReportRun(store, name)) {
            sql << "INSERT INTO report_runs (name, last_due, queued_at) VALUES (:n, :d, :t)", soci::use(name),
                soci::use(d), soci::use(n);
            return true;
        }
        soci::statement st = (sql.prepare << "UPDATE report_runs SET last_due = :d, queued_at = :t"
                                             " WHERE name = :n AND last_due < :d2",
                              soci::use(d), soci::use(n), soci::use(name), soci::use(d));
        st.execute(true);
        return st.get_affected_rows() == 1;
    } catch (const soci::soci_error& e) {
        throw StorageError(std::string("recording a report run: ") + e.what());
    }
}

}  // namespace deskgate
