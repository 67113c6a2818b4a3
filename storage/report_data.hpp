// What `deskgate report` shows: plain figures, filled by storage/report_queries and rendered
// by templates/report_render. Header-only and free of any database or library type, so the
// pure rendering library can use it without linking storage.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace deskgate {

// One row of a "count by something" table (queue, priority, tag, reason, ...).
struct ReportCount {
    std::string key;
    std::int64_t count = 0;
    bool operator==(const ReportCount&) const = default;
};

// One day or week of the volume series; `start` is the UTC day / Monday-week start (YYYY-MM-DD).
struct ReportPeriodVolume {
    std::string start;
    std::int64_t created = 0;
    std::int64_t resolved = 0;
    std::int64_t closed = 0;
    std::int64_t reopened = 0;
    bool operator==(const ReportPeriodVolume&) const = default;
};

struct ReportVolumes {
    std::int64_t created = 0;   // tickets created in the period
    std::int64_t resolved = 0;  // tickets whose resolved_at falls in the period
    std::int64_t closed = 0;    // tickets whose closed_at falls in the period
    std::int64_t reopened = 0;  // status events resolved/closed -> open in the period
    std::vector<ReportPeriodVolume> per_day;   // only days with activity, oldest first
    std::vector<ReportPeriodVolume> per_week;  // ISO weeks (Monday start, UTC)
    // Of the tickets created in the period:
    std::vector<ReportCount> by_queue, by_priority, by_category, by_tag, by_mailbox;
};

struct ReportBacklog {
    std::int64_t total = 0;  // tickets not resolved/closed now (open + pending)
    std::vector<ReportCount> by_status, by_priority, by_queue, by_assignee;  // "" assignee = "(nobody)"
    std::optional<std::int64_t> oldest_number;
    std::optional<std::int64_t> oldest_age_seconds;  // now - created_at of the oldest
};

// Distribution of durations in seconds. Percentiles are nearest-rank on the sorted values
// (p = ceil(q * n)-th value), which both backends give identically.
struct DurationStats {
    std::int64_t count = 0;
    std::optional<std::int64_t> median, p90, mean;  // mean rounded down to whole seconds
    bool operator==(const DurationStats&) const = default;
};

// Histogram bucket for the response-time chart: tickets whose wall first response took
// [from, to) seconds (to empty = open-ended).
struct DurationBucket {
    std::string label;
    std::int64_t from = 0;
    std::optional<std::int64_t> to;
    std::int64_t first_response = 0;
    std::int64_t resolution = 0;
};

struct ReportTimes {
    DurationStats first_response_wall, first_response_business;
    DurationStats resolution_wall, resolution_business;
    std::vector<DurationBucket> histogram;
};

struct ReportBreach {
    std::string key;  // queue or team
    std::int64_t first_response = 0;
    std::int64_t resolution = 0;
    bool operator==(const ReportBreach&) const = default;
};

struct ReportAtRisk {
    std::int64_t number = 0;
    std::string subject, queue, assignee, target;  // target: first_response | resolution
    std::int64_t due = 0;                          // unix seconds
};

struct ReportSla {
    // Of the tickets created in the period with an SLA deadline that is decided (answered /
    // resolved, or the deadline has passed): how many met it.
    std::int64_t first_response_met = 0, first_response_total = 0;
    std::int64_t resolution_met = 0, resolution_total = 0;
    std::vector<ReportBreach> breaches_by_queue, breaches_by_team;
    std::int64_t at_risk_hours = 4;
    std::vector<ReportAtRisk> at_risk;  // open tickets due within at_risk_hours from now, soonest first
};

struct ReportAgent {
    std::string name;
    std::int64_t handled = 0;         // tickets created in the period and assigned to the agent
    std::int64_t replies = 0;         // mails to customers with the agent's words (relayed replies, notices) in the period
    std::optional<std::int64_t> median_first_response;  // wall seconds, of the handled tickets
    std::optional<double> average_rating;
    std::int64_t ratings = 0;
    bool operator==(const ReportAgent&) const = default;
};

struct ReportSatisfaction {
    std::array<std::int64_t, 5> distribution{};  // index 0 = rating 1
    std::int64_t rated = 0;
    std::int64_t requested = 0;                  // rating question asked (rating_requested_at set)
    std::optional<double> average;
};

struct ReportTraffic {
    std::string timezone;                     // IANA zone the hours are counted in
    std::array<std::int64_t, 24> by_hour{};   // incoming customer mail per local hour
    std::array<std::int64_t, 7> by_weekday{}; // index 0 = Monday
};

struct ReportHygiene {
    std::int64_t bounces = 0;              // incoming DSNs stored on tickets
    std::int64_t auto_replies = 0;         // incoming auto-replies stored on tickets (never answered)
    std::int64_t quarantined = 0;          // mails quarantined in the period
    std::vector<ReportCount> quarantined_by_reason;  // reason kind: parse error code, mail_loop, ...
};

struct ReportFilter {
    std::int64_t since = 0;    // inclusive, unix seconds
    std::int64_t until = 0;    // exclusive
    std::string queue;         // empty = every queue
};

struct ReportData {
    ReportFilter filter;
    std::int64_t generated_at = 0;  // "now": backlog and at-risk are as of this time
    ReportVolumes volumes;
    ReportBacklog backlog;
    ReportTimes times;
    ReportSla sla;
    std::vector<ReportAgent> agents;
    ReportSatisfaction satisfaction;
    ReportTraffic traffic;
    ReportHygiene hygiene;
};

}  // namespace deskgate
