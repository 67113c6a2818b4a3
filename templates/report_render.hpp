// Rendering of `deskgate report`: pure functions from ReportData to text (aligned tables for
// the terminal), JSON, CSV (RFC 4180, one file with a `section` column) and one
// self-contained HTML page with inline SVG charts (no scripts, fonts or outside URLs).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "storage/report_data.hpp"

namespace deskgate {

enum class ReportFormat { text, json, csv, html };
std::optional<ReportFormat> parseReportFormat(std::string_view name);

std::string renderReportText(const ReportData& report);
std::string renderReportJson(const ReportData& report);
std::string renderReportCsv(const ReportData& report);
std::string renderReportHtml(const ReportData& report);
std::string renderReport(const ReportData& report, ReportFormat format);

// Pieces, exported for tests and shared by the text and HTML renderers.
inline constexpr std::array<const char*, 7> kReportWeekdays = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
std::string oneDecimal(double value);                                   // "4.5"
std::string percent(std::int64_t part, std::int64_t whole, std::string_view none = "-");  // "66.7%"; `none` of 0
std::string csvField(std::string_view value);        // RFC 4180 §2: quoted when needed, quotes doubled
std::string htmlEscape(std::string_view text);        // & < > " '
std::string formatDuration(std::optional<std::int64_t> seconds);  // "2d 3h", "1h 05m", "4m 10s", "-"
std::string reportDate(std::int64_t unix_seconds, bool with_time);  // UTC "2026-11-27" / "2026-11-27 08:00"

}  // namespace deskgate
