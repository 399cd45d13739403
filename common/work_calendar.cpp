#include "common/work_calendar.hpp"

#include "common/errors.hpp"
#include "common/time.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <stdexcept>
#include <string_view>

// Invariants that must hold whatever the input: checked in every build type, since a wrong
// deadline is worse than a crashed request.
#define CIVIC_CALENDAR_ASSERT(cond)                                                                            \
    do {                                                                                                       \
        if (!(cond)) {                                                                                         \
            std::fprintf(stderr, "work_calendar: assertion failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                                                      \
        }                                                                                                      \
    } while (0)

namespace civic {
namespace {

using nlohmann::json;

constexpr std::int64_t kSecondsPerDay = 86400;
constexpr int kMinutesPerDay = 1440;
constexpr std::int64_t kMaxOffsetSeconds = 14 * 3600;

// IANA names accepted as "timezone", with the one offset each has kept for decades (China: no
// DST since 1991; Hong Kong, Macau, Taiwan: since 1979). Anything else must be an explicit
// "+HH:MM" offset. Xinjiang's Asia/Urumqi is UTC+6 (local "Xinjiang time"); offices that keep
// Beijing time use Asia/Shanghai.
struct FixedZone {
    std::string_view name;
    std::int64_t offset;
};
constexpr FixedZone kFixedOffsetZones[] = {
    {"Asia/Shanghai", 8 * 3600},
    {"Asia/Chongqing", 8 * 3600},
    {"Asia/Chungking", 8 * 3600},
    {"Asia/Harbin", 8 * 3600},
    {"PRC", 8 * 3600},
    {"Asia/Hong_Kong", 8 * 3600},
    {"Asia/Macau", 8 * 3600},
    {"Asia/Taipei", 8 * 3600},
    {"Asia/Urumqi", 6 * 3600},
    {"Asia/Kashgar", 6 * 3600},
    {"UTC", 0},
    {"Etc/UTC", 0},
};

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    std::int64_t q = a / b;
    return (a % b != 0 && (a % b < 0) != (b < 0)) ? q - 1 : q;
}

// ISO weekday index, Monday = 0 … Sunday = 6 (1970-01-01, day 0, was a Thursday).
int weekday_index(std::int64_t day) {
    const std::int64_t m = (day + 3) % 7;
    return static_cast<int>(m < 0 ? m + 7 : m);
}

int two_digits(std::string_view s, std::size_t pos) {
    const char a = s[pos], b = s[pos + 1];
    if (a < '0' || a > '9' || b < '0' || b > '9') return -1;
    return (a - '0') * 10 + (b - '0');
}

std::optional<std::int64_t> parse_offset(std::string_view s) {
    for (const auto& z : kFixedOffsetZones)
        if (z.name == s) return z.offset;
    if (s.size() != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':') return std::nullopt;
    const int h = two_digits(s, 1), m = two_digits(s, 4);
    if (h < 0 || m < 0 || m > 59) return std::nullopt;
    const std::int64_t off = h * 3600 + m * 60;
    if (off > kMaxOffsetSeconds) return std::nullopt;
    return s[0] == '-' ? -off : off;
}

// "HH:MM" -> minutes; "24:00" only when allowed (a period's end).
std::optional<int> parse_hhmm(const json& v, bool allow_24) {
    if (!v.is_string()) return std::nullopt;
    const auto& s = v.get_ref<const std::string&>();
    if (s.size() != 5 || s[2] != ':') return std::nullopt;
    const int h = two_digits(s, 0), m = two_digits(s, 3);
    if (h < 0 || m < 0 || m > 59) return std::nullopt;
    if (h == 24 && m == 0 && allow_24) return kMinutesPerDay;
    if (h > 23) return std::nullopt;
    return h * 60 + m;
}

std::string format_hhmm(int minutes) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02d:%02d", minutes / 60, minutes % 60);
    return buf;
}

// "YYYY-MM-DD" -> day number, by the same strict parser as every other time in the API.
std::optional<std::int64_t> parse_date(const json& v) {
    if (!v.is_string()) return std::nullopt;
    const auto& s = v.get_ref<const std::string&>();
    if (s.size() != 10) return std::nullopt;
    const auto t = timefmt::parse_rfc3339(s + "T00:00:00Z");
    if (!t) return std::nullopt;
    CIVIC_CALENDAR_ASSERT(*t % kSecondsPerDay == 0);
    return floor_div(*t, kSecondsPerDay);
}

std::string element(const char* field, std::size_t i) { return std::string(field) + "[" + std::to_string(i) + "]"; }

std::vector<std::int64_t> parse_dates(const json& obj, const char* field, std::size_t max) {
    std::vector<std::int64_t> days;
    const auto it = obj.find(field);
    if (it == obj.end()) return days;
    if (!it->is_array())
        throw ApiError::invalid_field(field, std::string(field) + " must be an array of \"YYYY-MM-DD\" dates");
    if (it->size() > max)
        throw ApiError::invalid_field(field,
                                      std::string(field) + " may hold at most " + std::to_string(max) + " dates");
    for (std::size_t i = 0; i < it->size(); ++i) {
        const auto day = parse_date((*it)[i]);
        if (!day) throw ApiError::invalid_field(field, element(field, i) + " must be a date \"YYYY-MM-DD\"");
        days.push_back(*day);
    }
    std::sort(days.begin(), days.end());
    days.erase(std::unique(days.begin(), days.end()), days.end());
    return days;
}

}  // namespace

WorkCalendar WorkCalendar::default_calendar() {
    // json::array spelt out: a braced list of string pairs would become an object.
    return from_json(
        json{{"timezone", "Asia/Shanghai"},
             {"work_periods", json::array({json::array({"08:30", "12:00"}), json::array({"14:30", "18:00"})})},
             {"weekend", json::array({6, 7})},
             {"holidays", json::array()},
             {"extra_workdays", json::array()}});
}

WorkCalendar WorkCalendar::from_json(const json& value) {
    if (!value.is_object()) throw ApiError::bad_request("the work calendar must be a JSON object");
    for (auto it = value.begin(); it != value.end(); ++it) {
        const std::string& key = it.key();
        if (key != "timezone" && key != "work_periods" && key != "weekend" && key != "holidays" &&
            key != "extra_workdays") {
            throw ApiError::invalid_field(
                key, "unknown field " + key + " (timezone, work_periods, weekend, holidays, extra_workdays)");
        }
    }
    WorkCalendar c;

    // timezone
    const auto tz = value.find("timezone");
    if (tz == value.end()) throw ApiError::invalid_field("timezone", "timezone is required");
    if (!tz->is_string()) throw ApiError::invalid_field("timezone", "timezone must be a string");
    const auto offset = parse_offset(tz->get_ref<const std::string&>());
    if (!offset) {
        throw ApiError::invalid_field("timezone",
                                      "timezone must be Asia/Shanghai, Asia/Chongqing, Asia/Harbin, PRC, "
                                      "Asia/Hong_Kong, Asia/Macau, Asia/Taipei, Asia/Urumqi, Asia/Kashgar, UTC "
                                      "or a fixed offset \"+HH:MM\" of at most 14:00");
    }
    c.timezone_ = tz->get<std::string>();
    c.offset_ = *offset;

    // work_periods
    const auto wp = value.find("work_periods");
    if (wp == value.end()) throw ApiError::invalid_field("work_periods", "work_periods is required");
    if (!wp->is_array() || wp->empty() || wp->size() > kMaxWorkPeriods) {
        throw ApiError::invalid_field("work_periods", "work_periods must be an array of 1 to " +
                                                          std::to_string(kMaxWorkPeriods) +
                                                          " [\"HH:MM\",\"HH:MM\"] pairs");
    }
    for (std::size_t i = 0; i < wp->size(); ++i) {
        const auto& p = (*wp)[i];
        const std::string name = element("work_periods", i);
        if (!p.is_array() || p.size() != 2)
            throw ApiError::invalid_field("work_periods", name + " must be a pair [\"HH:MM\",\"HH:MM\"]");
        const auto start = parse_hhmm(p[0], false);
        const auto end = parse_hhmm(p[1], true);
        if (!start) throw ApiError::invalid_field("work_periods", name + " must start at a time 00:00..23:59");
        if (!end) throw ApiError::invalid_field("work_periods", name + " must end at a time 00:01..24:00");
        if (*start >= *end) throw ApiError::invalid_field("work_periods", name + " must end after it starts");
        if (!c.periods_.empty() && *start <= c.periods_.back().end_minute) {
            throw ApiError::invalid_field("work_periods",
                                          name + " must start after " + element("work_periods", i - 1) +
                                              " ends (periods in order of time, not overlapping; touching periods "
                                              "are written as one)");
        }
        c.periods_.push_back({*start, *end});
    }

    // weekend
    const auto we = value.find("weekend");
    if (we == value.end()) throw ApiError::invalid_field("weekend", "weekend is required");
    if (!we->is_array() || we->size() > 7) {
        throw ApiError::invalid_field("weekend", "weekend must be an array of ISO weekdays (1 = Monday .. 7 = Sunday)");
    }
    for (std::size_t i = 0; i < we->size(); ++i) {
        const auto& d = (*we)[i];
        if (!d.is_number_integer() || d.get<std::int64_t>() < 1 || d.get<std::int64_t>() > 7) {
            throw ApiError::invalid_field("weekend",
                                          element("weekend", i) + " is not an ISO weekday (1 = Monday .. 7 = Sunday)");
        }
        c.weekend_.push_back(d.get<int>());
    }
    std::sort(c.weekend_.begin(), c.weekend_.end());
    c.weekend_.erase(std::unique(c.weekend_.begin(), c.weekend_.end()), c.weekend_.end());
    if (c.weekend_.size() == 7) {
        // Without one working weekday the calendar has only its finitely many extra workdays, and
        // deadlines past the last of them would not exist.
        throw ApiError::invalid_field("weekend", "weekend must leave at least one working weekday");
    }

    // holidays, extra_workdays
    c.holidays_ = parse_dates(value, "holidays", kMaxHolidays);
    c.extra_ = parse_dates(value, "extra_workdays", kMaxExtraWorkdays);

    // Derived tables, then the cross-field rules that need them.
    for (int d : c.weekend_) c.is_weekend_[d - 1] = true;
    for (const auto& p : c.periods_) c.day_seconds_ += (p.end_minute - p.start_minute) * std::int64_t{60};
    for (std::int64_t h : c.holidays_)
        if (!c.is_weekend_[weekday_index(h)]) c.weekday_holidays_.push_back(h);
    for (std::int64_t e : c.extra_) {
        if (!c.is_weekend_[weekday_index(e)]) {
            throw ApiError::invalid_field("extra_workdays", "extra_workdays: " + timefmt::format_day(e) +
                                                                " is not a weekend day, so it is a working day anyway");
        }
        if (std::binary_search(c.holidays_.begin(), c.holidays_.end(), e)) {
            throw ApiError::invalid_field("extra_workdays",
                                          "extra_workdays: " + timefmt::format_day(e) + " is also in holidays");
        }
    }
    c.check_invariants();
    return c;
}

json WorkCalendar::to_json() const {
    json periods = json::array();
    for (const auto& p : periods_)
        periods.push_back(json::array({format_hhmm(p.start_minute), format_hhmm(p.end_minute)}));
    json holidays = json::array(), extra = json::array();
    for (std::int64_t d : holidays_) holidays.push_back(timefmt::format_day(d));
    for (std::int64_t d : extra_) extra.push_back(timefmt::format_day(d));
    return json{{"timezone", timezone_},
                {"work_periods", std::move(periods)},
                {"weekend", weekend_},
                {"holidays", std::move(holidays)},
                {"extra_workdays", std::move(extra)}};
}

void WorkCalendar::check_invariants() const {
    CIVIC_CALENDAR_ASSERT(offset_ >= -kMaxOffsetSeconds && offset_ <= kMaxOffsetSeconds);
    CIVIC_CALENDAR_ASSERT(!periods_.empty() && periods_.size() <= kMaxWorkPeriods);
    std::int64_t sum = 0;
    for (std::size_t i = 0; i < periods_.size(); ++i) {
        const auto& p = periods_[i];
        CIVIC_CALENDAR_ASSERT(0 <= p.start_minute && p.start_minute < p.end_minute && p.end_minute <= kMinutesPerDay);
        CIVIC_CALENDAR_ASSERT(i == 0 || periods_[i - 1].end_minute < p.start_minute);
        sum += (p.end_minute - p.start_minute) * std::int64_t{60};
    }
    CIVIC_CALENDAR_ASSERT(sum == day_seconds_ && day_seconds_ >= 60 && day_seconds_ <= kSecondsPerDay);
    CIVIC_CALENDAR_ASSERT(weekend_.size() < 7 && std::is_sorted(weekend_.begin(), weekend_.end()));
    CIVIC_CALENDAR_ASSERT(holidays_.size() <= kMaxHolidays && extra_.size() <= kMaxExtraWorkdays);
    CIVIC_CALENDAR_ASSERT(std::adjacent_find(holidays_.begin(), holidays_.end(), std::greater_equal<>()) ==
                          holidays_.end());
    CIVIC_CALENDAR_ASSERT(std::adjacent_find(extra_.begin(), extra_.end(), std::greater_equal<>()) == extra_.end());
    for (std::int64_t e : extra_) {
        CIVIC_CALENDAR_ASSERT(is_weekend_[weekday_index(e)]);
        CIVIC_CALENDAR_ASSERT(!std::binary_search(holidays_.begin(), holidays_.end(), e));
    }
}

std::int64_t WorkCalendar::local_day(std::int64_t unix_seconds) const {
    return floor_div(unix_seconds + offset_, kSecondsPerDay);
}

bool WorkCalendar::is_workday(std::int64_t day) const {
    if (is_weekend_[weekday_index(day)]) return std::binary_search(extra_.begin(), extra_.end(), day);
    return !std::binary_search(weekday_holidays_.begin(), weekday_holidays_.end(), day);
}

std::int64_t WorkCalendar::count_workdays(std::int64_t first, std::int64_t last) const {
    if (last <= first) return 0;
    const std::int64_t n = last - first;
    std::int64_t count = 0;
    for (int d = 0; d < 7; ++d) count += is_weekend_[d] ? 0 : 1;
    count *= n / 7;
    for (std::int64_t i = 0; i < n % 7; ++i) count += is_weekend_[weekday_index(first + i)] ? 0 : 1;
    const auto in_range = [&](const std::vector<std::int64_t>& days) {
        return std::lower_bound(days.begin(), days.end(), last) - std::lower_bound(days.begin(), days.end(), first);
    };
    count += in_range(extra_) - in_range(weekday_holidays_);
    CIVIC_CALENDAR_ASSERT(count >= 0 && count <= n);
    return count;
}

std::optional<std::int64_t> WorkCalendar::nth_workday_after(std::int64_t day, std::int64_t k) const {
    CIVIC_CALENDAR_ASSERT(k >= 1);
    // Smallest d in (day, day + kHorizonDays] with count_workdays(day + 1, d + 1) >= k: the count
    // grows with d, so bisect (about 12 steps for the 10-year horizon).
    std::int64_t lo = day + 1, hi = day + kHorizonDays;
    if (count_workdays(lo, hi + 1) < k) return std::nullopt;
    int steps = 0;
    while (lo < hi) {
        CIVIC_CALENDAR_ASSERT(++steps <= 64);
        const std::int64_t mid = lo + (hi - lo) / 2;
        if (count_workdays(day + 1, mid + 1) >= k)
            hi = mid;
        else
            lo = mid + 1;
    }
    CIVIC_CALENDAR_ASSERT(is_workday(lo) && count_workdays(day + 1, lo + 1) == k);
    return lo;
}

std::int64_t WorkCalendar::worked_before(std::int64_t second_of_day) const {
    CIVIC_CALENDAR_ASSERT(second_of_day >= 0 && second_of_day <= kSecondsPerDay);
    std::int64_t worked = 0;
    for (const auto& p : periods_) {
        const std::int64_t s = p.start_minute * std::int64_t{60}, e = p.end_minute * std::int64_t{60};
        if (second_of_day <= s) break;
        worked += std::min(second_of_day, e) - s;
    }
    return worked;
}

std::int64_t WorkCalendar::second_when_worked(std::int64_t worked) const {
    CIVIC_CALENDAR_ASSERT(worked >= 1 && worked <= day_seconds_);
    std::int64_t before = 0;
    for (const auto& p : periods_) {
        const std::int64_t s = p.start_minute * std::int64_t{60},
                           len = (p.end_minute - p.start_minute) * std::int64_t{60};
        if (worked <= before + len) return s + (worked - before);
        before += len;
    }
    CIVIC_CALENDAR_ASSERT(false && "worked <= day_seconds_ always ends inside a period");
    return 0;
}

namespace {
void require_instant(std::int64_t t, const char* what) {
    if (t < WorkCalendar::kEarliest || t > WorkCalendar::kLatest)
        throw std::invalid_argument(std::string("work calendar: ") + what + " outside 0000-01-01..9999-12-31");
}
}  // namespace

std::optional<std::int64_t> WorkCalendar::deadline_after_work_seconds(std::int64_t start, std::int64_t seconds) const {
    require_instant(start, "start");
    if (seconds < 0) throw std::invalid_argument("work calendar: negative working time");
    if (seconds == 0) return start;

    const std::int64_t local = start + offset_;
    const std::int64_t day = floor_div(local, kSecondsPerDay);
    const std::int64_t second = local - day * kSecondsPerDay;
    std::int64_t left = seconds;
    if (is_workday(day)) {
        const std::int64_t done = worked_before(second);
        if (left <= day_seconds_ - done) {
            const std::int64_t t = day * kSecondsPerDay + second_when_worked(done + left) - offset_;
            CIVIC_CALENDAR_ASSERT(t > start);
            return t <= kLatest ? std::optional(t) : std::nullopt;
        }
        left -= day_seconds_ - done;
    }
    // `left` > 0 seconds remain: whole working days, then part (or all) of one more.
    const std::int64_t k = left / day_seconds_ + (left % day_seconds_ != 0 ? 1 : 0);
    const std::int64_t rest = left - (k - 1) * day_seconds_;
    CIVIC_CALENDAR_ASSERT(k >= 1 && rest >= 1 && rest <= day_seconds_);
    const auto last_day = nth_workday_after(day, k);
    if (!last_day) return std::nullopt;
    const std::int64_t t = *last_day * kSecondsPerDay + second_when_worked(rest) - offset_;
    CIVIC_CALENDAR_ASSERT(t > start);
    return t <= kLatest ? std::optional(t) : std::nullopt;
}

std::optional<std::int64_t> WorkCalendar::deadline_after_work_days(std::int64_t start, std::int64_t days) const {
    require_instant(start, "start");
    if (days < 1) throw std::invalid_argument("work calendar: working days must be at least 1");
    const auto last_day = nth_workday_after(local_day(start), days);
    if (!last_day) return std::nullopt;
    const std::int64_t t = *last_day * kSecondsPerDay + periods_.back().end_minute * std::int64_t{60} - offset_;
    CIVIC_CALENDAR_ASSERT(t > start);
    return t <= kLatest ? std::optional(t) : std::nullopt;
}

std::int64_t WorkCalendar::work_seconds_between(std::int64_t a, std::int64_t b) const {
    require_instant(a, "a");
    require_instant(b, "b");
    if (b <= a) return 0;
    const std::int64_t la = a + offset_, lb = b + offset_;
    const std::int64_t da = floor_div(la, kSecondsPerDay), db = floor_div(lb, kSecondsPerDay);
    const std::int64_t sa = la - da * kSecondsPerDay, sb = lb - db * kSecondsPerDay;
    std::int64_t total;
    if (da == db) {
        total = is_workday(da) ? worked_before(sb) - worked_before(sa) : 0;
    } else {
        total = (is_workday(da) ? day_seconds_ - worked_before(sa) : 0) + day_seconds_ * count_workdays(da + 1, db) +
                (is_workday(db) ? worked_before(sb) : 0);
    }
    CIVIC_CALENDAR_ASSERT(total >= 0 && total <= b - a);
    return total;
}

}  // namespace civic
