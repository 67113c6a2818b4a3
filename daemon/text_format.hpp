// Small helpers shared by the daemon's commands and workers: time and text formatting.
#pragma once

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "rules/desk/desk_facts.hpp"

namespace deskgate {

// The wall clock in unix seconds: what the daemon and the commands pass in as `now`.
inline UnixTime wallNow() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// Unix seconds as a point in time for the rules' calendars and back.
inline std::chrono::sys_seconds toSysSeconds(UnixTime t) { return std::chrono::sys_seconds(std::chrono::seconds(t)); }
inline UnixTime toUnixTime(std::chrono::sys_seconds t) { return t.time_since_epoch().count(); }

// "2026-11-27T16:23:02Z"
inline std::string isoTime(UnixTime t) {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

// The items of a list separated by `sep` (tags and References by spaces, stored address lists
// by commas), empty ones dropped.
inline std::vector<std::string> splitList(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string item;
    for (char c : s) {
        if (c != sep) {
            item += c;
            continue;
        }
        if (!item.empty()) out.push_back(item);
        item.clear();
    }
    if (!item.empty()) out.push_back(item);
    return out;
}

// The words of a space-separated list (tags, References), empty ones dropped.
inline std::vector<std::string> splitWords(const std::string& s) { return splitList(s, ' '); }

// Words joined by single spaces (References lists, tags).
inline std::string joinWords(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
    return out;
}

// "512 bytes", "12 KB", "9.8 MB" (units of 1024), for people.
inline std::string humanSize(std::size_t bytes) {
    char buf[32];
    if (bytes < 1024) std::snprintf(buf, sizeof buf, "%zu bytes", bytes);
    else if (bytes < 1024 * 1024) std::snprintf(buf, sizeof buf, "%.0f KB", static_cast<double>(bytes) / 1024);
    else std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / (1024 * 1024));
    return buf;
}

// One word for a POSIX shell, quoted when it needs it: `report.pdf`, `'Rechnung März.pdf'`,
// `'it'\''s.txt'` (commands deskgate writes into mail for admins to paste).
inline std::string shellWord(std::string_view word) {
    const bool plain = !word.empty() && word.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                               "0123456789._-+@%,:=/") == std::string_view::npos;
    if (plain) return std::string(word);
    std::string out = "'";
    for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

}  // namespace deskgate
