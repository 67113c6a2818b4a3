// Business calendars and SLA deadlines: business-time arithmetic over date/tz zones.
//
// A calendar is a time zone, weekly working hours and holidays (or 24x7). Business time
// counts only the working hours; local wall-clock hours are converted through the zone, so
// a working day that contains a daylight-saving change is one hour shorter or longer in
// real time (that is what the clock on the wall says people worked).
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <date/date.h>

#include "rules/priority.hpp"

namespace date {
class time_zone;
}

namespace deskgate {

using Seconds = std::chrono::seconds;
using SysSeconds = std::chrono::sys_seconds;

// A working interval of one local day in minutes since local midnight: [begin, end),
// 0 <= begin < end <= 1440.
struct DayInterval {
    int begin = 0;
    int end = 0;
    bool operator==(const DayInterval&) const = default;
};

struct Calendar {
    std::string name;
    std::string timezone;                           // IANA name, e.g. "Europe/Berlin"
    const date::time_zone* zone = nullptr;          // resolved at load; never null in a loaded set
    bool always_open = false;                       // "24x7"
    std::array<std::vector<DayInterval>, 7> week;   // index = weekday (0 = Sunday, as date::weekday)
    std::vector<date::local_days> holidays;         // sorted; local dates without working hours

    bool isHoliday(date::local_days day) const;
    // True when `t` falls inside working hours.
    bool isOpen(SysSeconds t) const;
    // Local wall-clock time of `t` in the calendar's zone.
    date::local_seconds toLocal(SysSeconds t) const;
};

// A time the SLA clock stood still (ticket waiting for the customer). `end` empty = still paused.
struct Pause {
    SysSeconds begin;
    std::optional<SysSeconds> end;
};

// The instant at which `duration` of business time has passed since `start`.
// 24x7 calendars add plain time. Duration 0 yields `start` itself.
SysSeconds addBusinessTime(const Calendar& calendar, SysSeconds start, Seconds duration);

// Business time in [a, b); negative when b < a.
Seconds businessTimeBetween(const Calendar& calendar, SysSeconds a, SysSeconds b);

// As above, with the clock stopped during `pauses` (any order, may overlap). Returns nullopt
// when an open pause (no end) begins before the deadline is reached: the clock is stopped and
// there is no deadline until the ticket resumes.
std::optional<SysSeconds> addBusinessTime(const Calendar& calendar, SysSeconds start, Seconds duration,
                                          std::span<const Pause> pauses);
Seconds businessTimeBetween(const Calendar& calendar, SysSeconds a, SysSeconds b, std::span<const Pause> pauses);

struct SlaPolicy {
    std::string name;
    const Calendar* calendar = nullptr;          // points into the owning RuleSet
    std::optional<Seconds> first_response;       // business time after creation
    std::optional<Seconds> resolution;           // business time after creation
    struct Targets {
        std::optional<Seconds> first_response;
        std::optional<Seconds> resolution;
    };
    // `priorities: { urgent: { first_response: 1h } }`: per-priority targets; what a priority
    // leaves out comes from the policy's own targets. Index = Priority.
    std::array<Targets, 4> by_priority{};
    std::vector<std::string> pause_when;         // ticket statuses that stop the clock
    std::string file;                            // where it was defined (for explain)
    int line = 0;

    bool pausesIn(std::string_view status) const;
};

struct SlaDeadlines {
    std::optional<SysSeconds> first_response;   // nullopt: no target, or clock paused
    std::optional<SysSeconds> resolution;
};

// A ticket's status history entry (from its events), oldest first.
struct StatusChange {
    SysSeconds at;
    std::string status;   // new, open, pending, resolved, closed
};

// The intervals in which `history` had one of policy.pause_when's statuses; the last one is
// open (no end) when the ticket is still in such a status.
std::vector<Pause> pausesFrom(const SlaPolicy& policy, std::span<const StatusChange> history);

// Deadlines of a ticket created at `created` under `policy`, with the clock stopped during
// `pauses` (the intervals the ticket spent in one of policy.pause_when's statuses).
// Recompute after every pause, resume or policy change; the daemon stores the result.
// With `priority`, the policy's targets for that priority apply (re-prioritising a ticket
// moves its deadlines: recompute with the new priority).
SlaDeadlines slaDeadlines(const SlaPolicy& policy, SysSeconds created, std::span<const Pause> pauses = {},
                          std::optional<Priority> priority = std::nullopt);

}  // namespace deskgate
