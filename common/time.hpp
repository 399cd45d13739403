#pragma once
// RFC 3339 timestamps, Asia/Shanghai calendar days and ISO 8601 weeks, all computed with plain
// integer calendar arithmetic: no timegm, no TZ database, no locale.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace civic::timefmt {

// Asia/Shanghai is UTC+8 all year (no DST since 1991), so a fixed offset is exact for our data.
inline constexpr std::int64_t kShanghaiOffsetSeconds = 8 * 3600;

// "2026-11-22T08:00:00Z": UTC, whole seconds.
std::string format_rfc3339(std::int64_t unix_seconds);
// "YYYY-MM-DDTHH:MM:SS" [".fraction", dropped] then "Z" or "+HH:MM"/"-HH:MM"; 't' and 'z' may be
// lowercase. Ranges are checked (including Feb 29 only in leap years; sec 60 is accepted as a
// leap second and lands on the next minute). nullopt on anything else.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

// Calendar day number (days since 1970-01-01) of the instant as seen in UTC+8.
std::int64_t shanghai_day(std::int64_t unix_seconds);
// Unix seconds at 00:00 UTC+8 of that day number.
std::int64_t shanghai_day_start(std::int64_t day);

// "2026-W47" -> [Monday 00:00, next Monday 00:00) in Asia/Shanghai, as unix seconds.
// Week 53 only exists in years that have it; years 0000..9999.
std::optional<std::pair<std::int64_t, std::int64_t>> parse_iso_week(std::string_view text);
// "YYYY-Www" of the ISO week (Asia/Shanghai) containing the instant. Note the ISO year can differ
// from the calendar year around New Year (2027-01-01 is in 2026-W53).
std::string iso_week_of(std::int64_t unix_seconds);

// Proleptic Gregorian calendar helpers (day 0 = 1970-01-01).
struct CivilDate {
    std::int64_t year;
    int month;  // 1..12
    int day;    // 1..31
};
std::int64_t days_from_civil(std::int64_t year, int month, int day);
CivilDate civil_from_days(std::int64_t day);
bool is_leap_year(std::int64_t year);
int days_in_month(std::int64_t year, int month);  // 0 for a month outside 1..12
// "YYYY-MM-DD" of a day number (e.g. a shanghai_day()).
std::string format_day(std::int64_t day);

}  // namespace civic::timefmt
