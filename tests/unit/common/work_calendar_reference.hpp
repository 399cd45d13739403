#pragma once
// The slow reference for common/work_calendar: the definitions of work_calendar.hpp taken
// literally, walking local minute by minute (work periods and offsets are whole minutes, so a
// local minute is either all working time or none). Shares nothing with the fast code but the
// calendar's raw fields: its own weekday (Sakamoto's method on the civil date), linear searches
// through the date lists, no per-day totals, no skipping. Used by the property test
// (test_work_calendar.cpp) and the fuzz harness (tests/fuzz/fuzz_work_calendar.cpp).
#include "common/time.hpp"
#include "common/work_calendar.hpp"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

namespace civic::reference {

class SlowCalendar {
public:
    explicit SlowCalendar(const WorkCalendar& c)
        : offset_(c.utc_offset_seconds()),
          periods_(c.work_periods()),
          weekend_(c.weekend()),
          holidays_(c.holidays()),
          extra_(c.extra_workdays()) {}

    static std::int64_t floor_div(std::int64_t a, std::int64_t b) {
        std::int64_t q = a / b;
        if ((a % b) != 0 && ((a < 0) != (b < 0))) --q;
        return q;
    }

    // ISO weekday 1 (Monday) .. 7 (Sunday), by Sakamoto's day-of-week formula.
    static int iso_weekday(std::int64_t day) {
        const auto c = timefmt::civil_from_days(day);
        static constexpr int t[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
        std::int64_t y = c.year - (c.month < 3 ? 1 : 0);
        // Shift to a positive year (400-year cycles keep the weekday) so % stays non-negative.
        y += 400 * 100;
        const auto dow = static_cast<int>((y + y / 4 - y / 100 + y / 400 + t[c.month - 1] + c.day) % 7);  // 0 = Sunday
        return dow == 0 ? 7 : dow;
    }

    bool workday(std::int64_t day) const {
        if (day == cached_day_) return cached_workday_;
        bool work;
        if (std::find(extra_.begin(), extra_.end(), day) != extra_.end()) {
            work = true;
        } else if (std::find(holidays_.begin(), holidays_.end(), day) != holidays_.end()) {
            work = false;
        } else {
            work = std::find(weekend_.begin(), weekend_.end(), iso_weekday(day)) == weekend_.end();
        }
        cached_day_ = day;
        cached_workday_ = work;
        return work;
    }

    // Is local minute number m (minutes since 1970-01-01 00:00 local) working time?
    bool work_minute(std::int64_t m) const {
        const std::int64_t day = floor_div(m, 1440);
        if (!workday(day)) return false;
        const std::int64_t minute = m - day * 1440;
        for (const auto& p : periods_)
            if (minute >= p.start_minute && minute < p.end_minute) return true;
        return false;
    }

    std::int64_t local_minute(std::int64_t unix_seconds) const { return floor_div(unix_seconds + offset_, 60); }
    std::int64_t minute_start(std::int64_t local_minute) const { return local_minute * 60 - offset_; }

    std::int64_t work_seconds_between(std::int64_t a, std::int64_t b) const {
        std::int64_t total = 0;
        for (std::int64_t t = a; t < b;) {
            const std::int64_t m = local_minute(t);
            const std::int64_t end = std::min(b, minute_start(m + 1));
            if (work_minute(m)) total += end - t;
            t = end;
        }
        return total;
    }

    // nullopt when not reached within max_minutes minutes of walking.
    std::optional<std::int64_t> deadline_after_work_seconds(std::int64_t start, std::int64_t seconds,
                                                            std::int64_t max_minutes) const {
        if (seconds == 0) return start;
        std::int64_t left = seconds, t = start;
        for (std::int64_t walked = 0; walked <= max_minutes; ++walked) {
            const std::int64_t m = local_minute(t);
            const std::int64_t end = minute_start(m + 1);
            if (work_minute(m)) {
                if (left <= end - t) return t + left;
                left -= end - t;
            }
            t = end;
        }
        return std::nullopt;
    }

    // nullopt when not reached within max_days days after the day of start.
    std::optional<std::int64_t> deadline_after_work_days(std::int64_t start, std::int64_t n,
                                                         std::int64_t max_days) const {
        const std::int64_t first = floor_div(local_minute(start), 1440);
        std::int64_t seen = 0;
        for (std::int64_t day = first + 1; day <= first + max_days; ++day) {
            if (!workday(day) || ++seen < n) continue;
            for (std::int64_t minute = 1439; minute >= 0; --minute)
                if (work_minute(day * 1440 + minute)) return minute_start(day * 1440 + minute + 1);
            return std::nullopt;  // a working day without working time: the fast code would be wrong too
        }
        return std::nullopt;
    }

private:
    std::int64_t offset_;
    std::vector<WorkPeriod> periods_;
    std::vector<int> weekend_;
    std::vector<std::int64_t> holidays_;
    std::vector<std::int64_t> extra_;
    mutable std::int64_t cached_day_ = INT64_MIN;
    mutable bool cached_workday_ = false;
};

}  // namespace civic::reference
