#include "rules/sla_calendar.hpp"

#include <algorithm>

#include <date/tz.h>

namespace deskgate {

namespace {

constexpr SysSeconds kForever = SysSeconds::max();
// A calendar with working hours has at least one working day per week, so any finite
// duration ends; this bound only stops a hand-built calendar without hours from spinning.
constexpr int kMaxDaysWalked = 366 * 200;

SysSeconds localToSys(const date::time_zone* zone, date::local_seconds local, date::choose choice) {
    if (zone == nullptr) return SysSeconds{local.time_since_epoch()};   // a hand-built calendar: UTC
    // Nonexistent local times (spring forward) map to the transition instant for either
    // choice; ambiguous ones (fall back) take the earlier or the later instant as asked.
    return date::floor<Seconds>(zone->to_sys(local, choice));
}

// Pauses sorted and merged; an open pause extends to kForever.
std::vector<std::pair<SysSeconds, SysSeconds>> mergePauses(std::span<const Pause> pauses) {
    std::vector<std::pair<SysSeconds, SysSeconds>> v;
    v.reserve(pauses.size());
    for (const auto& p : pauses) {
        SysSeconds end = p.end.value_or(kForever);
        if (end > p.begin) v.emplace_back(p.begin, end);
    }
    std::sort(v.begin(), v.end());
    std::vector<std::pair<SysSeconds, SysSeconds>> merged;
    for (const auto& iv : v) {
        if (!merged.empty() && iv.first <= merged.back().second)
            merged.back().second = std::max(merged.back().second, iv.second);
        else
            merged.push_back(iv);
    }
    return merged;
}

// Calls fn(begin, end) for each open interval (working hours minus pauses) at or after
// `from`, in order, until fn returns false. Intervals may be unbounded (end == kForever).
template <typename Fn>
void walkOpen(const Calendar& cal, SysSeconds from, std::span<const std::pair<SysSeconds, SysSeconds>> pauses,
              Fn&& fn) {
    std::size_t p = 0;
    // Emits [b, e) minus the pauses; returns false when fn asked to stop or time ran out.
    auto emit = [&](SysSeconds b, SysSeconds e) -> bool {
        while (b < e) {
            while (p < pauses.size() && pauses[p].second <= b) ++p;
            if (p < pauses.size() && pauses[p].first <= b) {
                b = pauses[p].second;  // inside a pause: skip to its end
                if (b == kForever) return false;
                continue;
            }
            SysSeconds pieceEnd = (p < pauses.size()) ? std::min(e, pauses[p].first) : e;
            if (!fn(b, pieceEnd)) return false;
            b = pieceEnd;
        }
        return true;
    };

    if (cal.always_open) {
        emit(from, kForever);
        return;
    }
    date::local_days day = date::floor<date::days>(cal.toLocal(from)) - date::days{1};
    for (int walked = 0; walked < kMaxDaysWalked; ++walked, day += date::days{1}) {
        if (cal.isHoliday(day)) continue;
        const auto& intervals = cal.week[date::weekday(day).c_encoding()];
        for (const auto& iv : intervals) {
            SysSeconds b = localToSys(cal.zone, day + std::chrono::minutes(iv.begin), date::choose::earliest);
            SysSeconds e = localToSys(cal.zone, day + std::chrono::minutes(iv.end), date::choose::latest);
            if (e <= from) continue;
            if (!emit(std::max(b, from), e)) return;
        }
    }
}

}  // namespace

bool Calendar::isHoliday(date::local_days day) const {
    return std::binary_search(holidays.begin(), holidays.end(), day);
}

date::local_seconds Calendar::toLocal(SysSeconds t) const {
    if (zone == nullptr) return date::local_seconds{t.time_since_epoch()};
    return date::floor<Seconds>(zone->to_local(t));
}

bool Calendar::isOpen(SysSeconds t) const {
    if (always_open) return true;
    const date::local_seconds local = toLocal(t);
    const date::local_days day = date::floor<date::days>(local);
    if (isHoliday(day)) return false;
    const auto minute = static_cast<int>(std::chrono::duration_cast<std::chrono::minutes>(local - day).count());
    for (const auto& iv : week[date::weekday(day).c_encoding()])
        if (minute >= iv.begin && minute < iv.end) return true;
    return false;
}

SysSeconds addBusinessTime(const Calendar& calendar, SysSeconds start, Seconds duration) {
    auto r = addBusinessTime(calendar, start, duration, std::span<const Pause>{});
    return r.value_or(kForever);
}

std::optional<SysSeconds> addBusinessTime(const Calendar& calendar, SysSeconds start, Seconds duration,
                                          std::span<const Pause> pauses) {
    if (duration <= Seconds::zero()) return start;
    const auto merged = mergePauses(pauses);
    Seconds remaining = duration;
    std::optional<SysSeconds> result;
    walkOpen(calendar, start, merged, [&](SysSeconds b, SysSeconds e) {
        if (e == kForever || remaining <= e - b) {
            result = b + remaining;
            return false;
        }
        remaining -= e - b;
        return true;
    });
    return result;
}

Seconds businessTimeBetween(const Calendar& calendar, SysSeconds a, SysSeconds b) {
    return businessTimeBetween(calendar, a, b, std::span<const Pause>{});
}

Seconds businessTimeBetween(const Calendar& calendar, SysSeconds a, SysSeconds b, std::span<const Pause> pauses) {
    if (b < a) return -businessTimeBetween(calendar, b, a, pauses);
    const auto merged = mergePauses(pauses);
    Seconds total{0};
    walkOpen(calendar, a, merged, [&](SysSeconds ib, SysSeconds ie) {
        if (ib >= b) return false;
        total += std::min(ie, b) - ib;
        return ie < b;
    });
    return total;
}

bool SlaPolicy::pausesIn(std::string_view status) const {
    return std::find(pause_when.begin(), pause_when.end(), status) != pause_when.end();
}

std::vector<Pause> pausesFrom(const SlaPolicy& policy, std::span<const StatusChange> history) {
    std::vector<Pause> out;
    bool paused = false;
    for (const auto& change : history) {
        const bool pauses = policy.pausesIn(change.status);
        if (pauses && !paused) out.push_back({change.at, std::nullopt});
        if (!pauses && paused) out.back().end = change.at;
        paused = pauses;
    }
    return out;
}

SlaDeadlines slaDeadlines(const SlaPolicy& policy, SysSeconds created, std::span<const Pause> pauses,
                          std::optional<Priority> priority) {
    SlaDeadlines d;
    if (policy.calendar == nullptr) return d;
    std::optional<Seconds> firstResponse = policy.first_response, resolution = policy.resolution;
    if (priority) {
        const auto& t = policy.by_priority[static_cast<std::size_t>(*priority)];
        if (t.first_response) firstResponse = t.first_response;
        if (t.resolution) resolution = t.resolution;
    }
    if (firstResponse) d.first_response = addBusinessTime(*policy.calendar, created, *firstResponse, pauses);
    if (resolution) d.resolution = addBusinessTime(*policy.calendar, created, *resolution, pauses);
    return d;
}

}  // namespace deskgate
