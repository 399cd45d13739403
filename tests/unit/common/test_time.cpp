#include "common/time.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>

using namespace civic::timefmt;

TEST(Time, FormatKnownInstants) {
    EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00Z");
    EXPECT_EQ(format_rfc3339(1'795'334'400), "2026-11-22T08:00:00Z");
    EXPECT_EQ(format_rfc3339(-1), "1969-12-31T23:59:59Z");
    EXPECT_EQ(format_rfc3339(951'868'800), "2000-03-01T00:00:00Z");
    EXPECT_EQ(format_rfc3339(1'709'164'800), "2024-02-29T00:00:00Z");
    EXPECT_EQ(format_rfc3339(-2'208'988'800), "1900-01-01T00:00:00Z");
    EXPECT_EQ(format_rfc3339(253'402'300'799), "9999-12-31T23:59:59Z");
    // Nonsense instants must still be computed without overflow (UBSan watches).
    EXPECT_FALSE(format_rfc3339(INT64_MIN).empty());
    EXPECT_FALSE(format_rfc3339(INT64_MAX).empty());
    EXPECT_FALSE(iso_week_of(INT64_MIN).empty());
    EXPECT_FALSE(iso_week_of(INT64_MAX).empty());
}

TEST(Time, ParseBasicForms) {
    EXPECT_EQ(parse_rfc3339("2026-11-22T08:00:00Z"), 1'795'334'400);
    EXPECT_EQ(parse_rfc3339("2026-11-22t08:00:00z"), 1'795'334'400);
    EXPECT_EQ(parse_rfc3339("2026-11-22T08:00:00.999Z"), 1'795'334'400);  // fraction dropped
    EXPECT_EQ(parse_rfc3339("2026-11-22T08:00:00.1+00:00"), 1'795'334'400);
    EXPECT_EQ(parse_rfc3339("2026-11-22T16:00:00+08:00"), 1'795'334'400);
    EXPECT_EQ(parse_rfc3339("2026-11-22T02:30:00-05:30"), 1'795'334'400);
    EXPECT_EQ(parse_rfc3339("2026-11-22T08:00:00-00:00"), 1'795'334'400);
    EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), 0);
    EXPECT_EQ(parse_rfc3339("1969-12-31T23:59:59Z"), -1);
    // Offset crossing a date boundary.
    EXPECT_EQ(parse_rfc3339("2026-11-23T00:00:00+08:00"), parse_rfc3339("2026-11-22T16:00:00Z"));
    // Leap second rolls into the next minute.
    EXPECT_EQ(parse_rfc3339("2016-12-31T23:59:60Z"), parse_rfc3339("2017-01-01T00:00:00Z"));
}

TEST(Time, ParseLeapDays) {
    EXPECT_EQ(parse_rfc3339("2024-02-29T00:00:00Z"), 1'709'164'800);
    EXPECT_FALSE(parse_rfc3339("2023-02-29T00:00:00Z"));
    EXPECT_TRUE(parse_rfc3339("2000-02-29T00:00:00Z"));   // divisible by 400
    EXPECT_FALSE(parse_rfc3339("1900-02-29T00:00:00Z"));  // divisible by 100 only
    EXPECT_TRUE(parse_rfc3339("2023-02-28T23:59:59Z"));
}

TEST(Time, ParseRejects) {
    const char* bad[] = {
        "",
        "2026-11-22",
        "2026-11-22T08:00:00",   // no zone
        "2026-11-22 08:00:00Z",  // space separator
        "2026-11-22T08:00Z",     // no seconds
        "2026-13-01T00:00:00Z",
        "2026-00-01T00:00:00Z",
        "2026-04-31T00:00:00Z",
        "2026-01-00T00:00:00Z",
        "2026-01-32T00:00:00Z",
        "2026-01-01T24:00:00Z",
        "2026-01-01T00:60:00Z",
        "2026-01-01T00:00:61Z",
        "2026-01-01T00:00:00.Z",  // empty fraction
        "2026-01-01T00:00:00ZZ",
        "2026-01-01T00:00:00Z ",
        " 2026-01-01T00:00:00Z",
        "2026-01-01T00:00:00+0800",
        "2026-01-01T00:00:00+08",
        "2026-01-01T00:00:00+24:00",
        "2026-01-01T00:00:00+08:60",
        "2026-01-01T00:00:00+08:00x",
        "2026/01/01T00:00:00Z",
        "+026-01-01T00:00:00Z",
        "2026-1-01T00:00:00Z",
        "2026-01-01T0a:00:00Z",
        "2026-01-01T00:00:00UTC",
    };
    for (const char* s : bad) EXPECT_FALSE(parse_rfc3339(s)) << s;
}

TEST(Time, RoundTripsOverRange) {
    // Every ~1.0001 days from 1900 to 2100 hits every time of day drift and month end.
    for (std::int64_t t = -2'208'988'800; t < 4'102'444'800; t += 86'413) {
        auto s = format_rfc3339(t);
        ASSERT_EQ(parse_rfc3339(s), t) << s;
    }
    for (std::int64_t t = -100'000; t < 100'000; t += 37) ASSERT_EQ(parse_rfc3339(format_rfc3339(t)), t);
}

TEST(Time, AgreesWithGmtimeForPositiveTimes) {
    for (std::int64_t t = 0; t < 4'102'444'800; t += 999'983) {
        std::time_t tt = static_cast<std::time_t>(t);
        std::tm tm{};
        gmtime_r(&tt, &tm);
        char buf[32];
        std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
        ASSERT_EQ(format_rfc3339(t), buf);
    }
}

TEST(Time, CivilHelpers) {
    EXPECT_EQ(days_from_civil(1970, 1, 1), 0);
    EXPECT_EQ(days_from_civil(2000, 3, 1), 11'017);
    EXPECT_EQ(days_from_civil(1969, 12, 31), -1);
    for (std::int64_t d = -800'000; d < 800'000; d += 7) {
        CivilDate c = civil_from_days(d);
        ASSERT_EQ(days_from_civil(c.year, c.month, c.day), d);
    }
    EXPECT_EQ(days_in_month(2024, 2), 29);
    EXPECT_EQ(days_in_month(2023, 2), 28);
    EXPECT_EQ(days_in_month(2023, 13), 0);
    EXPECT_EQ(format_day(0), "1970-01-01");
    EXPECT_EQ(format_day(days_from_civil(2026, 11, 16)), "2026-11-16");
}

TEST(Time, ShanghaiDay) {
    const std::int64_t nov16 = days_from_civil(2026, 11, 16);
    // 2026-11-15T16:00:00Z is midnight in Shanghai.
    EXPECT_EQ(shanghai_day(1'794'758'400), nov16);
    EXPECT_EQ(shanghai_day(1'794'758'400 - 1), nov16 - 1);
    EXPECT_EQ(shanghai_day_start(nov16), 1'794'758'400);
    EXPECT_EQ(shanghai_day(0), 0);          // 08:00 local
    EXPECT_EQ(shanghai_day(-8 * 3600), 0);  // local midnight of 1970-01-01
    EXPECT_EQ(shanghai_day(-8 * 3600 - 1), -1);
    for (std::int64_t d = -1000; d < 30000; d += 13) {
        std::int64_t start = shanghai_day_start(d);
        ASSERT_EQ(shanghai_day(start), d);
        ASSERT_EQ(shanghai_day(start + 86'399), d);
        ASSERT_EQ(shanghai_day(start - 1), d - 1);
    }
    // Huge values must not overflow.
    EXPECT_GT(shanghai_day(INT64_MAX), 0);
    EXPECT_LT(shanghai_day(INT64_MIN), 0);
}

TEST(Time, ParseIsoWeek) {
    auto w47 = parse_iso_week("2026-W47");
    ASSERT_TRUE(w47);
    EXPECT_EQ(w47->first, 1'794'758'400);   // Mon 2026-11-16 00:00 +08:00
    EXPECT_EQ(w47->second, 1'795'363'200);  // Mon 2026-11-23 00:00 +08:00
    EXPECT_EQ(format_rfc3339(w47->first), "2026-11-15T16:00:00Z");

    auto w53 = parse_iso_week("2020-W53");
    ASSERT_TRUE(w53);
    EXPECT_EQ(w53->first, 1'609'084'800);  // Mon 2020-12-28
    EXPECT_EQ(w53->second, 1'609'689'600);
    EXPECT_EQ(parse_iso_week("2021-W01")->first, w53->second);

    EXPECT_TRUE(parse_iso_week("2026-W53"));  // 2026 starts on a Thursday
    EXPECT_FALSE(parse_iso_week("2021-W53"));
    EXPECT_FALSE(parse_iso_week("2025-W53"));
    EXPECT_TRUE(parse_iso_week("2025-W52"));
    // 2020-W01 starts Mon 2019-12-30.
    EXPECT_EQ(parse_iso_week("2020-W01")->first, shanghai_day_start(days_from_civil(2019, 12, 30)));

    const char* bad[] = {"",         "2026-W00", "2026-W54", "2026-W7",  "2026-W047", "2026W47",
                         "2026-w47", "2026-47",  "26-W47",   "2026-W4a", "2026-W47 ", "2026-W47-1"};
    for (const char* s : bad) EXPECT_FALSE(parse_iso_week(s)) << s;
}

TEST(Time, IsoWeekOf) {
    EXPECT_EQ(iso_week_of(1'794'758'400), "2026-W47");      // first second of the week
    EXPECT_EQ(iso_week_of(1'794'758'400 - 1), "2026-W46");  // Sunday 23:59:59 Shanghai
    EXPECT_EQ(iso_week_of(1'795'363'200 - 1), "2026-W47");
    EXPECT_EQ(iso_week_of(*parse_rfc3339("2027-01-01T12:00:00+08:00")), "2026-W53");
    EXPECT_EQ(iso_week_of(*parse_rfc3339("2021-01-03T12:00:00+08:00")), "2020-W53");
    EXPECT_EQ(iso_week_of(*parse_rfc3339("2019-12-30T00:00:00+08:00")), "2020-W01");
    // Weeks follow Shanghai, not UTC: 2019-12-29T16:00Z is still Sunday in UTC but Monday here.
    EXPECT_EQ(iso_week_of(*parse_rfc3339("2019-12-29T16:00:00Z")), "2020-W01");
    EXPECT_EQ(iso_week_of(*parse_rfc3339("2019-12-29T15:59:59Z")), "2019-W52");

    // Round trip: every week between 1990 and 2060 maps back onto itself.
    for (std::int64_t t = 631'152'000; t < 2'840'140'800; t += 7 * 86'400 + 3'601) {
        std::string w = iso_week_of(t);
        auto range = parse_iso_week(w);
        ASSERT_TRUE(range) << w;
        ASSERT_LE(range->first, t) << w;
        ASSERT_LT(t, range->second) << w;
        ASSERT_EQ(range->second - range->first, 7 * 86'400);
    }
}

// The hand-written digits of format_rfc3339 give printf's text for every instant from year 0 to 9999.
TEST(Time, FormatRfc3339MatchesPrintfAcrossTheYears) {
    const auto by_printf = [](std::int64_t t) {
        const auto [y, mo, d, h, mi, s] = [&] {
            std::time_t tt = static_cast<std::time_t>(t);
            std::tm tm{};
            gmtime_r(&tt, &tm);
            return std::array<long long, 6>{tm.tm_year + 1900LL, tm.tm_mon + 1, tm.tm_mday,
                                            tm.tm_hour,          tm.tm_min,     tm.tm_sec};
        }();
        char buf[80];  // room for any six long longs, so that the compiler sees no truncation
        std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", y, mo, d, h, mi, s);
        return std::string(buf);
    };
    std::mt19937_64 rng(3339);
    // 0000-01-01 .. 9999-12-31T23:59:59
    std::uniform_int_distribution<std::int64_t> instant(-62'167'219'200, 253'402'300'799);
    for (int i = 0; i < 20000; ++i) {
        const auto t = instant(rng);
        ASSERT_EQ(format_rfc3339(t), by_printf(t)) << t;
    }
    EXPECT_EQ(format_rfc3339(253'402'300'799), "9999-12-31T23:59:59Z");
    EXPECT_EQ(format_rfc3339(-62'167'219'200), "0000-01-01T00:00:00Z");
    EXPECT_EQ(format_rfc3339(253'402'300'800), "10000-01-01T00:00:00Z");  // past four digits: the general form
}
