#pragma once
// The city's working calendar (API.md §4, "Working-time deadlines") and the working-time
// arithmetic on it: deadlines in working hours or working days, and working time elapsed.
// Pure: no HTTP, no database; instants are UTC unix seconds as everywhere in the server.
//
// Definitions (docs/workflow.md, "Working calendar"):
//  - Local time is UTC plus the calendar's fixed offset (see "Time zones" below). A local day is
//    a calendar date, numbered as days since 1970-01-01 (timefmt::days_from_civil).
//  - A working day is a date in extra_workdays (调休), or a date that is neither a weekend
//    weekday nor in holidays. Every working day has the same work periods.
//  - Working time is the union of [day + start, day + end) over the work periods of the working
//    days: half-open, so 12:00 in ["08:30","12:00"] is already outside working time.
//  - work_seconds_between(a, b) is the measure of working time inside [a, b).
//  - deadline_after_work_seconds(start, s) is the earliest t >= start with
//    work_seconds_between(start, t) == s. Counting starts at the next work period when start is
//    outside working time; time that runs out exactly at a period's end gives that end (12:00),
//    never the next period's start (14:30); s == 0 gives start itself.
//  - deadline_after_work_days(start, n), n >= 1: the end of the last work period of the n-th
//    working day after the local day of start. The day of start never counts, whether or not it
//    is a working day and whatever the hour: accepted Monday 09:00 or Monday 23:00 with n == 1,
//    the deadline is Tuesday 18:00 (for the default calendar).
//
// Time zones: GCC 12's libstdc++ has no <chrono> time-zone database, and the server reads none.
// China has had no daylight saving time since 1991, so a calendar's zone is one of a fixed table
// of IANA names with the offset they have had for decades (see kFixedOffsetZones in the .cpp:
// Asia/Shanghai and its aliases, Asia/Hong_Kong, Asia/Macau, Asia/Taipei +08:00; Asia/Urumqi and
// Asia/Kashgar +06:00; UTC), or an explicit offset "+HH:MM"/"-HH:MM" up to 14:00. A name outside
// the table is refused (400 invalid_field "timezone") rather than guessed. The offset is applied
// to every instant, so instants from before a zone's last offset change (Shanghai's DST ended in
// 1991) are off by that change; no ticket is that old.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace civic {

// One work period of a working day, in minutes since local midnight: [start, end), 0 <= start <
// end <= 1440 ("24:00" is allowed as an end, never as a start).
struct WorkPeriod {
    int start_minute = 0;
    int end_minute = 0;
    bool operator==(const WorkPeriod&) const = default;
};

class WorkCalendar {
public:
    // Explicit limits. A request over them is 400 invalid_field naming the list.
    static constexpr std::size_t kMaxWorkPeriods = 24;
    static constexpr std::size_t kMaxHolidays = 2000;
    static constexpr std::size_t kMaxExtraWorkdays = 2000;
    // Deadlines are searched at most this many days after the day of start (10 years and a few
    // leap days); a deadline further away is "none" (std::nullopt). Validation guarantees at
    // least one working weekday and at least one minute of work per working day, so only a
    // duration that really needs more than 10 years of the calendar's working time, or a long
    // run of holidays, can hit it; the search never loops without bound.
    static constexpr std::int64_t kHorizonDays = 3653;
    // Instants the arithmetic accepts (the range of RFC 3339 times the server parses):
    // 0000-01-01T00:00:00Z .. 9999-12-31T23:59:59Z. Deadlines past kLatest are std::nullopt.
    static constexpr std::int64_t kEarliest = -62'167'219'200;
    static constexpr std::int64_t kLatest = 253'402'300'799;

    // Asia/Shanghai, 08:30–12:00 and 14:30–18:00, weekend Saturday and Sunday, no holidays.
    static WorkCalendar default_calendar();

    // Parses and validates the API's JSON object
    //   {"timezone", "work_periods": [["HH:MM","HH:MM"],…], "weekend": [ISO weekdays],
    //    "holidays"?: ["YYYY-MM-DD",…], "extra_workdays"?: ["YYYY-MM-DD",…]}.
    // timezone, work_periods and weekend are required; holidays and extra_workdays default to
    // empty. Throws ApiError 400 bad_request if the value is not an object, else 400
    // invalid_field whose field() is the offending top-level key (the message says which
    // element and why): unknown key; timezone not in the table nor an offset; 0 or more than
    // kMaxWorkPeriods periods, a period that is not a pair of "HH:MM" strings, start >= end,
    // periods unordered, overlapping or touching (touching periods must be written as one);
    // weekday outside 1..7, all seven days weekend; a date that is not a real "YYYY-MM-DD";
    // more than kMaxHolidays / kMaxExtraWorkdays entries; an extra workday that is not a
    // weekend day (it would change nothing, so it is a mistake) or that is also a holiday.
    // Duplicates in weekend, holidays and extra_workdays are merged; order does not matter.
    static WorkCalendar from_json(const nlohmann::json& value);

    // The canonical form of the same object: every key present, weekend and dates sorted and
    // without duplicates, times as "HH:MM". from_json(c.to_json()) == c.
    nlohmann::json to_json() const;

    const std::string& timezone() const { return timezone_; }
    std::int64_t utc_offset_seconds() const { return offset_; }
    const std::vector<WorkPeriod>& work_periods() const { return periods_; }
    const std::vector<int>& weekend() const { return weekend_; }                // ISO 1..7, sorted
    const std::vector<std::int64_t>& holidays() const { return holidays_; }     // day numbers, sorted
    const std::vector<std::int64_t>& extra_workdays() const { return extra_; }  // day numbers, sorted

    // Working seconds in one working day (sum of the periods' lengths, >= 60).
    std::int64_t work_seconds_per_day() const { return day_seconds_; }
    // Local day number (days since 1970-01-01) of an instant.
    std::int64_t local_day(std::int64_t unix_seconds) const;
    bool is_workday(std::int64_t local_day) const;

    // The arithmetic (definitions at the top of this file). Instants must lie in
    // [kEarliest, kLatest], seconds >= 0 and days >= 1, else std::invalid_argument (callers
    // validate their inputs first; these are programming errors). std::nullopt: the deadline lies
    // more than kHorizonDays days after the day of start, or after kLatest.
    // Cost: O(periods + log(holidays + extra_workdays) · log(kHorizonDays)) whatever the span.
    std::optional<std::int64_t> deadline_after_work_seconds(std::int64_t start, std::int64_t seconds) const;
    std::optional<std::int64_t> deadline_after_work_days(std::int64_t start, std::int64_t days) const;
    // 0 when b <= a.
    std::int64_t work_seconds_between(std::int64_t a, std::int64_t b) const;

    bool operator==(const WorkCalendar&) const = default;

private:
    WorkCalendar() = default;
    void check_invariants() const;
    // Working days in the local days [first, last).
    std::int64_t count_workdays(std::int64_t first, std::int64_t last) const;
    // The k-th working day after `day` (k >= 1), within kHorizonDays of it.
    std::optional<std::int64_t> nth_workday_after(std::int64_t day, std::int64_t k) const;
    // Working seconds of a working day in [0, second_of_day), second_of_day in [0, 86400].
    std::int64_t worked_before(std::int64_t second_of_day) const;
    // The earliest second of day at which `worked` (1..day_seconds_) working seconds are done.
    std::int64_t second_when_worked(std::int64_t worked) const;

    std::string timezone_;
    std::int64_t offset_ = 0;
    std::vector<WorkPeriod> periods_;
    std::vector<int> weekend_;
    std::vector<std::int64_t> holidays_;
    std::vector<std::int64_t> extra_;
    // Derived from the above (so the defaulted == still compares only equal inputs' results).
    std::int64_t day_seconds_ = 0;
    bool is_weekend_[7] = {};                     // [0] = Monday
    std::vector<std::int64_t> weekday_holidays_;  // holidays that fall on a non-weekend weekday
};

}  // namespace civic
