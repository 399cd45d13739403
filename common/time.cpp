#include "common/time.hpp"

#include <cstdio>

namespace civic::timefmt {
namespace {

constexpr std::int64_t kSecondsPerDay = 86400;

// Floor division for b > 0, done without multiplying back so INT64_MIN cannot overflow.
struct DivMod {
    std::int64_t quot;
    std::int64_t rem;  // [0, b)
};
DivMod floor_divmod(std::int64_t a, std::int64_t b) {
    std::int64_t q = a / b, r = a % b;
    if (r < 0) {
        --q;
        r += b;
    }
    return {q, r};
}
std::int64_t floor_div(std::int64_t a, std::int64_t b) { return floor_divmod(a, b).quot; }
std::int64_t floor_mod(std::int64_t a, std::int64_t b) { return floor_divmod(a, b).rem; }

// Monday = 0 ... Sunday = 6; 1970-01-01 was a Thursday.
int weekday(std::int64_t day) { return static_cast<int>(floor_mod(day + 3, 7)); }

// ISO week 1 is the week holding January 4th.
std::int64_t week1_monday(std::int64_t iso_year) {
    std::int64_t jan4 = days_from_civil(iso_year, 1, 4);
    return jan4 - weekday(jan4);
}

// Reads exactly n ASCII digits at text[pos]; -1 if any is not a digit or the text is too short.
int digits(std::string_view text, std::size_t pos, std::size_t n) {
    if (pos + n > text.size()) return -1;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        char c = text[i];
        if (c < '0' || c > '9') return -1;
        v = v * 10 + (c - '0');
    }
    return v;
}

}  // namespace

bool is_leap_year(std::int64_t year) {
    return floor_mod(year, 4) == 0 && (floor_mod(year, 100) != 0 || floor_mod(year, 400) == 0);
}

int days_in_month(std::int64_t year, int month) {
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12) return 0;
    return (month == 2 && is_leap_year(year)) ? 29 : kDays[month - 1];
}

// Counts from 0000-03-01 in 400-year eras (146097 days each) so that the leap day falls at the
// end of each counted year and month lengths follow a fixed 153-days-per-5-months pattern.
std::int64_t days_from_civil(std::int64_t year, int month, int day) {
    std::int64_t y = year - (month <= 2 ? 1 : 0);
    std::int64_t era = floor_div(y, 400);
    std::int64_t yoe = y - era * 400;                          // [0, 399]
    std::int64_t mp = (month + 9) % 12;                        // March = 0
    std::int64_t doy = (153 * mp + 2) / 5 + day - 1;           // [0, 365]
    std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;  // [0, 146096]
    return era * 146097 + doe - 719468;                        // 719468 = 0000-03-01 .. 1970-01-01
}

CivilDate civil_from_days(std::int64_t day) {
    std::int64_t z = day + 719468;
    std::int64_t era = floor_div(z, 146097);
    std::int64_t doe = z - era * 146097;
    std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    std::int64_t mp = (5 * doy + 2) / 153;
    int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    std::int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
    return CivilDate{y, m, d};
}

std::string format_day(std::int64_t day) {
    CivilDate c = civil_from_days(day);
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04lld-%02d-%02d", static_cast<long long>(c.year), c.month, c.day);
    return buf;
}

std::string format_rfc3339(std::int64_t unix_seconds) {
    auto [day, rem] = floor_divmod(unix_seconds, kSecondsPerDay);
    auto sec = static_cast<int>(rem);
    CivilDate c = civil_from_days(day);
    if (c.year >= 0 && c.year <= 9999) {
        // Digits by hand: snprintf was a tenth of a ticket read's CPU (a view holds up to a dozen
        // times). Same text as the general form below for every four-digit year.
        std::string out = "0000-00-00T00:00:00Z";
        const auto put = [&out](std::size_t at, int value, int width) {
            for (int i = width - 1; i >= 0; --i, value /= 10)
                out[at + static_cast<std::size_t>(i)] = char('0' + value % 10);
        };
        put(0, static_cast<int>(c.year), 4);
        put(5, c.month, 2);
        put(8, c.day, 2);
        put(11, sec / 3600, 2);
        put(14, sec / 60 % 60, 2);
        put(17, sec % 60, 2);
        return out;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d:%02d:%02dZ", static_cast<long long>(c.year), c.month, c.day,
                  sec / 3600, sec / 60 % 60, sec % 60);
    return buf;
}

std::optional<std::int64_t> parse_rfc3339(std::string_view text) {
    // Fixed layout: YYYY-MM-DDTHH:MM:SS
    if (text.size() < 20) return std::nullopt;
    int year = digits(text, 0, 4), month = digits(text, 5, 2), day = digits(text, 8, 2);
    int hour = digits(text, 11, 2), minute = digits(text, 14, 2), second = digits(text, 17, 2);
    if (text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't') || text[13] != ':' ||
        text[16] != ':') {
        return std::nullopt;
    }
    if (year < 0 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour < 0 || hour > 23 ||
        minute < 0 || minute > 59 || second < 0 || second > 60) {
        return std::nullopt;
    }

    std::size_t pos = 19;
    if (text[pos] == '.') {
        std::size_t first = ++pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
        if (pos == first) return std::nullopt;
    }
    if (pos >= text.size()) return std::nullopt;

    std::int64_t offset = 0;
    char zone = text[pos];
    if (zone == 'Z' || zone == 'z') {
        if (pos + 1 != text.size()) return std::nullopt;
    } else if (zone == '+' || zone == '-') {
        if (pos + 6 != text.size() || text[pos + 3] != ':') return std::nullopt;
        int oh = digits(text, pos + 1, 2), om = digits(text, pos + 4, 2);
        if (oh < 0 || oh > 23 || om < 0 || om > 59) return std::nullopt;
        offset = (oh * 3600 + om * 60) * (zone == '-' ? -1 : 1);
    } else {
        return std::nullopt;
    }

    std::int64_t local = days_from_civil(year, month, day) * kSecondsPerDay + hour * 3600 + minute * 60 + second;
    return local - offset;
}

std::int64_t shanghai_day(std::int64_t unix_seconds) {
    // Split first so adding the offset cannot overflow near INT64_MAX.
    auto [day, rem] = floor_divmod(unix_seconds, kSecondsPerDay);
    return rem + kShanghaiOffsetSeconds >= kSecondsPerDay ? day + 1 : day;
}

std::int64_t shanghai_day_start(std::int64_t day) { return day * kSecondsPerDay - kShanghaiOffsetSeconds; }

std::optional<std::pair<std::int64_t, std::int64_t>> parse_iso_week(std::string_view text) {
    if (text.size() != 8 || text[4] != '-' || text[5] != 'W') return std::nullopt;
    int year = digits(text, 0, 4), week = digits(text, 6, 2);
    if (year < 0 || week < 1) return std::nullopt;
    std::int64_t monday1 = week1_monday(year);
    std::int64_t weeks_in_year = (week1_monday(year + 1) - monday1) / 7;  // 52 or 53
    if (week > weeks_in_year) return std::nullopt;
    std::int64_t monday = monday1 + (week - 1) * 7;
    return std::pair{shanghai_day_start(monday), shanghai_day_start(monday + 7)};
}

std::string iso_week_of(std::int64_t unix_seconds) {
    std::int64_t day = shanghai_day(unix_seconds);
    // The ISO year is the calendar year of the week's Thursday.
    std::int64_t thursday = day - weekday(day) + 3;
    std::int64_t iso_year = civil_from_days(thursday).year;
    std::int64_t week = (thursday - days_from_civil(iso_year, 1, 1)) / 7 + 1;
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04lld-W%02lld", static_cast<long long>(iso_year), static_cast<long long>(week));
    return buf;
}

}  // namespace civic::timefmt
