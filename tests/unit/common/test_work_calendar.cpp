// common/work_calendar: parsing and validation, the working-time arithmetic as tables of cases
// whose expected values were worked out by hand (each row says how), and a randomized comparison
// with the minute-by-minute reference (work_calendar_reference.hpp).
#include "common/work_calendar.hpp"

#include "common/errors.hpp"
#include "common/time.hpp"
#include "work_calendar_reference.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <stdexcept>
#include <string>

using civic::ApiError;
using civic::WorkCalendar;
using civic::WorkPeriod;
using nlohmann::json;
namespace timefmt = civic::timefmt;

namespace {

constexpr std::int64_t H = 3600;

std::int64_t at(const char* rfc3339) {
    const auto t = timefmt::parse_rfc3339(rfc3339);
    if (!t) throw std::logic_error(std::string("bad time in test table: ") + rfc3339);
    return *t;
}

std::int64_t day_of(int y, int m, int d) { return timefmt::days_from_civil(y, m, d); }

// [["HH:MM","HH:MM"],…] spelt out: nlohmann turns a braced list of string pairs into an object.
json pairs(std::initializer_list<std::pair<const char*, const char*>> periods) {
    json a = json::array();
    for (const auto& [from, to] : periods) a.push_back(json::array({from, to}));
    return a;
}

// China's 2026 public holidays and 调休 days, as published by the State Council's General Office
// on 2025-11-04 ("国务院办公厅关于2026年部分节假日安排的通知"): 元旦 1-1..1-3 (work 1-4);
// 春节 2-15..2-23 (work 2-14, 2-28); 清明 4-4..4-6; 劳动节 5-1..5-5 (work 5-9); 端午 6-19..6-21;
// 中秋 9-25..9-27; 国庆 10-1..10-7 (work 9-20, 10-10).
json china_2026() {
    return json{
        {"timezone", "Asia/Shanghai"},
        {"work_periods", pairs({{"08:30", "12:00"}, {"14:30", "18:00"}})},
        {"weekend", {6, 7}},
        {"holidays", {"2026-01-01", "2026-01-02", "2026-01-03", "2026-02-15", "2026-02-16", "2026-02-17", "2026-02-18",
                      "2026-02-19", "2026-02-20", "2026-02-21", "2026-02-22", "2026-02-23", "2026-04-04", "2026-04-05",
                      "2026-04-06", "2026-05-01", "2026-05-02", "2026-05-03", "2026-05-04", "2026-05-05", "2026-06-19",
                      "2026-06-20", "2026-06-21", "2026-09-25", "2026-09-26", "2026-09-27", "2026-10-01", "2026-10-02",
                      "2026-10-03", "2026-10-04", "2026-10-05", "2026-10-06", "2026-10-07"}},
        {"extra_workdays", {"2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"}}};
}

const WorkCalendar& calendar(const std::string& name) {
    static const std::map<std::string, WorkCalendar> all = [] {
        std::map<std::string, WorkCalendar> m;
        m.emplace("default", WorkCalendar::default_calendar());
        m.emplace("cn2026", WorkCalendar::from_json(china_2026()));
        // 2027's arrangement is constructed: only New Year's Day itself (a Friday) as a holiday.
        json cn = china_2026();
        cn["holidays"].push_back("2027-01-01");
        m.emplace("cn2026_2027", WorkCalendar::from_json(cn));
        m.emplace("urumqi",
                  WorkCalendar::from_json(json{{"timezone", "Asia/Urumqi"},
                                               {"work_periods", pairs({{"08:30", "12:00"}, {"14:30", "18:00"}})},
                                               {"weekend", {6, 7}}}));
        // Night shifts on weekdays, in UTC: working time runs on across midnight into the next
        // working day, and a period may end at 24:00.
        m.emplace("night",
                  WorkCalendar::from_json(json{{"timezone", "UTC"},
                                               {"work_periods", pairs({{"00:00", "06:00"}, {"20:00", "24:00"}})},
                                               {"weekend", {6, 7}}}));
        return m;
    }();
    return all.at(name);
}

// ─── Parsing and validation ─────────────────────────────────────────────────────────────────

TEST(WorkCalendarParse, ApiExampleRoundTrips) {
    const json example =
        json::parse(R"({"timezone":"Asia/Shanghai","work_periods":[["08:30","12:00"],["14:30","18:00"]],
        "weekend":[6,7],"holidays":["2026-10-01","2026-10-02"],"extra_workdays":["2026-09-20"]})");
    const auto c = WorkCalendar::from_json(example);
    EXPECT_EQ(c.to_json(), example);
    EXPECT_EQ(WorkCalendar::from_json(c.to_json()), c);
    EXPECT_EQ(c.timezone(), "Asia/Shanghai");
    EXPECT_EQ(c.utc_offset_seconds(), 8 * H);
    EXPECT_EQ(c.work_periods(), (std::vector<WorkPeriod>{{510, 720}, {870, 1080}}));
    EXPECT_EQ(c.weekend(), (std::vector<int>{6, 7}));
    EXPECT_EQ(c.holidays(), (std::vector<std::int64_t>{day_of(2026, 10, 1), day_of(2026, 10, 2)}));
    EXPECT_EQ(c.extra_workdays(), (std::vector<std::int64_t>{day_of(2026, 9, 20)}));
    EXPECT_EQ(c.work_seconds_per_day(), 7 * H);
}

TEST(WorkCalendarParse, DefaultIsTheExampleWithoutHolidays) {
    const auto d = WorkCalendar::default_calendar();
    EXPECT_EQ(d.to_json(),
              json::parse(R"({"timezone":"Asia/Shanghai","work_periods":[["08:30","12:00"],["14:30","18:00"]],
        "weekend":[6,7],"holidays":[],"extra_workdays":[]})"));
    // holidays and extra_workdays may be left out.
    EXPECT_EQ(
        WorkCalendar::from_json(json::parse(
            R"({"timezone":"Asia/Shanghai","work_periods":[["08:30","12:00"],["14:30","18:00"]],"weekend":[7,6]})")),
        d);
}

TEST(WorkCalendarParse, CanonicalForm) {
    const auto c = WorkCalendar::from_json(
        json::parse(R"({"timezone":"+05:45","work_periods":[["00:00","00:01"],["22:00","24:00"]],
        "weekend":[7,1,7],"holidays":["2026-12-25","2026-01-01","2026-12-25"],"extra_workdays":[]})"));
    EXPECT_EQ(c.to_json(), json::parse(R"({"timezone":"+05:45","work_periods":[["00:00","00:01"],["22:00","24:00"]],
        "weekend":[1,7],"holidays":["2026-01-01","2026-12-25"],"extra_workdays":[]})"));
    EXPECT_EQ(c.utc_offset_seconds(), 5 * H + 45 * 60);
    EXPECT_EQ(c.work_seconds_per_day(), 60 + 2 * H);
    EXPECT_EQ(WorkCalendar::from_json(c.to_json()), c);
}

TEST(WorkCalendarParse, TimeZones) {
    const std::pair<const char*, std::int64_t> zones[] = {
        {"Asia/Shanghai", 8 * H},
        {"Asia/Chongqing", 8 * H},
        {"Asia/Harbin", 8 * H},
        {"PRC", 8 * H},
        {"Asia/Hong_Kong", 8 * H},
        {"Asia/Macau", 8 * H},
        {"Asia/Taipei", 8 * H},
        {"Asia/Urumqi", 6 * H},
        {"Asia/Kashgar", 6 * H},
        {"UTC", 0},
        {"Etc/UTC", 0},
        {"+08:00", 8 * H},
        {"-03:30", -(3 * H + 1800)},
        {"+14:00", 14 * H},
        {"-14:00", -14 * H},
        {"-00:00", 0},
    };
    for (const auto& [name, offset] : zones) {
        const auto c = WorkCalendar::from_json(
            json{{"timezone", name}, {"work_periods", pairs({{"08:30", "12:00"}})}, {"weekend", {6, 7}}});
        EXPECT_EQ(c.utc_offset_seconds(), offset) << name;
        EXPECT_EQ(c.to_json()["timezone"], name);
    }
}

TEST(WorkCalendarParse, WorkdaysOfChina2026) {
    const auto& c = calendar("cn2026");
    EXPECT_FALSE(c.is_workday(day_of(2026, 10, 1)));   // holiday, Thursday
    EXPECT_FALSE(c.is_workday(day_of(2026, 10, 3)));   // holiday on a Saturday
    EXPECT_TRUE(c.is_workday(day_of(2026, 10, 8)));    // Thursday after the week off
    EXPECT_TRUE(c.is_workday(day_of(2026, 10, 10)));   // 调休 Saturday
    EXPECT_FALSE(c.is_workday(day_of(2026, 10, 11)));  // plain Sunday
    EXPECT_TRUE(c.is_workday(day_of(2026, 9, 20)));    // 调休 Sunday
    EXPECT_TRUE(c.is_workday(day_of(2026, 1, 4)));     // 调休 Sunday after New Year
    EXPECT_FALSE(c.is_workday(day_of(2026, 2, 23)));   // last day of Spring Festival, a Monday
    EXPECT_TRUE(c.is_workday(day_of(2026, 2, 24)));
    EXPECT_EQ(c.local_day(at("2026-10-09T16:00:00Z")), day_of(2026, 10, 10));  // 00:00 in Beijing
    EXPECT_EQ(c.local_day(at("2026-10-09T15:59:59Z")), day_of(2026, 10, 9));
}

struct BadCase {
    const char* name;
    const char* body;
    const char* code;
    const char* field;
};

class WorkCalendarRejects : public testing::TestWithParam<BadCase> {};

TEST_P(WorkCalendarRejects, NamingTheField) {
    const BadCase& c = GetParam();
    const json body = json::parse(c.body);
    try {
        (void)WorkCalendar::from_json(body);
        FAIL() << "accepted " << c.body;
    } catch (const ApiError& e) {
        EXPECT_EQ(e.status(), 400);
        EXPECT_EQ(e.code(), c.code) << e.what();
        EXPECT_EQ(e.field(), c.field) << e.what();
        EXPECT_FALSE(std::string(e.what()).empty());
    }
}

#define CAL_OK_TZ R"("timezone":"Asia/Shanghai")"
#define CAL_OK_WP R"("work_periods":[["08:30","12:00"],["14:30","18:00"]])"
#define CAL_OK_WE R"("weekend":[6,7])"
#define CAL(tz, wp, we, rest) "{" tz "," wp "," we rest "}"

const BadCase kBadCases[] = {
    {"NotAnObject", R"([1,2])", "bad_request", ""},
    {"UnknownKey", CAL(CAL_OK_TZ, CAL_OK_WP, CAL_OK_WE, R"(,"holiday":["2026-10-01"])"), "invalid_field", "holiday"},
    {"TimezoneMissing", "{" CAL_OK_WP "," CAL_OK_WE "}", "invalid_field", "timezone"},
    {"TimezoneNotString", CAL(R"("timezone":8)", CAL_OK_WP, CAL_OK_WE, ""), "invalid_field", "timezone"},
    {"TimezoneWithDst", CAL(R"("timezone":"America/New_York")", CAL_OK_WP, CAL_OK_WE, ""), "invalid_field", "timezone"},
    {"TimezoneMisspelt", CAL(R"("timezone":"Asia/Shanghia")", CAL_OK_WP, CAL_OK_WE, ""), "invalid_field", "timezone"},
    {"TimezoneLowercase", CAL(R"("timezone":"asia/shanghai")", CAL_OK_WP, CAL_OK_WE, ""), "invalid_field", "timezone"},
    {"OffsetTooLarge", CAL(R"("timezone":"+14:01")", CAL_OK_WP, CAL_OK_WE, ""), "invalid_field", "timezone"},
    {"OffsetBadMinutes", CAL(R"("timezone":"+08:60")", CAL_OK_WP, CAL_OK_WE, ""), "invalid_field", "timezone"},
    {"OffsetWithoutSign", CAL(R"("timezone":"08:00")", CAL_OK_WP, CAL_OK_WE, ""), "invalid_field", "timezone"},
    {"OffsetShort", CAL(R"("timezone":"+8:00")", CAL_OK_WP, CAL_OK_WE, ""), "invalid_field", "timezone"},
    {"PeriodsMissing", "{" CAL_OK_TZ "," CAL_OK_WE "}", "invalid_field", "work_periods"},
    {"PeriodsEmpty", CAL(CAL_OK_TZ, R"("work_periods":[])", CAL_OK_WE, ""), "invalid_field", "work_periods"},
    {"PeriodsNotArray", CAL(CAL_OK_TZ, R"("work_periods":"08:30-12:00")", CAL_OK_WE, ""), "invalid_field",
     "work_periods"},
    {"PeriodNotPair", CAL(CAL_OK_TZ, R"("work_periods":[["08:30"]])", CAL_OK_WE, ""), "invalid_field", "work_periods"},
    {"PeriodTriple", CAL(CAL_OK_TZ, R"("work_periods":[["08:30","12:00","13:00"]])", CAL_OK_WE, ""), "invalid_field",
     "work_periods"},
    {"PeriodNumbers", CAL(CAL_OK_TZ, R"("work_periods":[[830,1200]])", CAL_OK_WE, ""), "invalid_field", "work_periods"},
    {"TimeOneDigitHour", CAL(CAL_OK_TZ, R"("work_periods":[["8:30","12:00"]])", CAL_OK_WE, ""), "invalid_field",
     "work_periods"},
    {"TimeMinute60", CAL(CAL_OK_TZ, R"("work_periods":[["08:30","12:60"]])", CAL_OK_WE, ""), "invalid_field",
     "work_periods"},
    {"TimeHour25", CAL(CAL_OK_TZ, R"("work_periods":[["08:30","25:00"]])", CAL_OK_WE, ""), "invalid_field",
     "work_periods"},
    {"Time2401", CAL(CAL_OK_TZ, R"("work_periods":[["08:30","24:01"]])", CAL_OK_WE, ""), "invalid_field",
     "work_periods"},
    {"StartAt2400", CAL(CAL_OK_TZ, R"("work_periods":[["24:00","24:00"]])", CAL_OK_WE, ""), "invalid_field",
     "work_periods"},
    {"TimeWithSeconds", CAL(CAL_OK_TZ, R"("work_periods":[["08:30:00","12:00:00"]])", CAL_OK_WE, ""), "invalid_field",
     "work_periods"},
    {"EndBeforeStart", CAL(CAL_OK_TZ, R"("work_periods":[["12:00","08:30"]])", CAL_OK_WE, ""), "invalid_field",
     "work_periods"},
    {"EmptyPeriod", CAL(CAL_OK_TZ, R"("work_periods":[["08:30","08:30"]])", CAL_OK_WE, ""), "invalid_field",
     "work_periods"},
    {"Overlapping", CAL(CAL_OK_TZ, R"("work_periods":[["08:30","12:00"],["11:00","18:00"]])", CAL_OK_WE, ""),
     "invalid_field", "work_periods"},
    {"Unordered", CAL(CAL_OK_TZ, R"("work_periods":[["14:30","18:00"],["08:30","12:00"]])", CAL_OK_WE, ""),
     "invalid_field", "work_periods"},
    {"Touching", CAL(CAL_OK_TZ, R"("work_periods":[["08:30","12:00"],["12:00","18:00"]])", CAL_OK_WE, ""),
     "invalid_field", "work_periods"},
    {"Nested", CAL(CAL_OK_TZ, R"("work_periods":[["08:00","18:00"],["09:00","10:00"]])", CAL_OK_WE, ""),
     "invalid_field", "work_periods"},
    {"TooManyPeriods",
     CAL(CAL_OK_TZ, R"("work_periods":[["00:00","00:01"],["00:02","00:03"],["00:04","00:05"],["00:06","00:07"],
        ["00:08","00:09"],["00:10","00:11"],["00:12","00:13"],["00:14","00:15"],["00:16","00:17"],["00:18","00:19"],["00:20","00:21"],
        ["00:22","00:23"],["00:24","00:25"],["00:26","00:27"],["00:28","00:29"],["00:30","00:31"],["00:32","00:33"],["00:34","00:35"],
        ["00:36","00:37"],["00:38","00:39"],["00:40","00:41"],["00:42","00:43"],["00:44","00:45"],["00:46","00:47"],["00:48","00:49"]])",
         CAL_OK_WE, ""),
     "invalid_field", "work_periods"},
    {"WeekendMissing", "{" CAL_OK_TZ "," CAL_OK_WP "}", "invalid_field", "weekend"},
    {"WeekendNotArray", CAL(CAL_OK_TZ, CAL_OK_WP, R"("weekend":6)", ""), "invalid_field", "weekend"},
    {"WeekdayZero", CAL(CAL_OK_TZ, CAL_OK_WP, R"("weekend":[0,6])", ""), "invalid_field", "weekend"},
    {"WeekdayEight", CAL(CAL_OK_TZ, CAL_OK_WP, R"("weekend":[6,8])", ""), "invalid_field", "weekend"},
    {"WeekdayString", CAL(CAL_OK_TZ, CAL_OK_WP, R"("weekend":["6"])", ""), "invalid_field", "weekend"},
    {"WeekdayFraction", CAL(CAL_OK_TZ, CAL_OK_WP, R"("weekend":[6.5])", ""), "invalid_field", "weekend"},
    {"AllWeekend", CAL(CAL_OK_TZ, CAL_OK_WP, R"("weekend":[1,2,3,4,5,6,7])", ""), "invalid_field", "weekend"},
    {"AllWeekendWithDuplicates", CAL(CAL_OK_TZ, CAL_OK_WP, R"("weekend":[1,2,3,4,5,6,7,7])", ""), "invalid_field",
     "weekend"},
    {"HolidaysNotArray", CAL(CAL_OK_TZ, CAL_OK_WP, CAL_OK_WE, R"(,"holidays":"2026-10-01")"), "invalid_field",
     "holidays"},
    {"HolidayFeb30", CAL(CAL_OK_TZ, CAL_OK_WP, CAL_OK_WE, R"(,"holidays":["2026-02-30"])"), "invalid_field",
     "holidays"},
    {"HolidayFeb29NotLeap", CAL(CAL_OK_TZ, CAL_OK_WP, CAL_OK_WE, R"(,"holidays":["2026-02-29"])"), "invalid_field",
     "holidays"},
    {"HolidayShortForm", CAL(CAL_OK_TZ, CAL_OK_WP, CAL_OK_WE, R"(,"holidays":["2026-1-1"])"), "invalid_field",
     "holidays"},
    {"HolidaySlashes", CAL(CAL_OK_TZ, CAL_OK_WP, CAL_OK_WE, R"(,"holidays":["2026/01/01"])"), "invalid_field",
     "holidays"},
    {"HolidayWithTime", CAL(CAL_OK_TZ, CAL_OK_WP, CAL_OK_WE, R"(,"holidays":["2026-01-01T00:00:00Z"])"),
     "invalid_field", "holidays"},
    {"HolidayNumber", CAL(CAL_OK_TZ, CAL_OK_WP, CAL_OK_WE, R"(,"holidays":[20260101])"), "invalid_field", "holidays"},
    {"HolidayMonth13", CAL(CAL_OK_TZ, CAL_OK_WP, CAL_OK_WE, R"(,"holidays":["2026-13-01"])"), "invalid_field",
     "holidays"},
    {"ExtraMalformed", CAL(CAL_OK_TZ, CAL_OK_WP, CAL_OK_WE, R"(,"extra_workdays":["2026-09-31"])"), "invalid_field",
     "extra_workdays"},
    {"ExtraOnAWeekday", CAL(CAL_OK_TZ, CAL_OK_WP, CAL_OK_WE, R"(,"extra_workdays":["2026-09-21"])"), "invalid_field",
     "extra_workdays"},
    {"ExtraAlsoHoliday",
     CAL(CAL_OK_TZ, CAL_OK_WP, CAL_OK_WE, R"(,"holidays":["2026-10-03"],"extra_workdays":["2026-10-03"])"),
     "invalid_field", "extra_workdays"},
};

INSTANTIATE_TEST_SUITE_P(WorkCalendar, WorkCalendarRejects, testing::ValuesIn(kBadCases),
                         [](const testing::TestParamInfo<BadCase>& i) { return std::string(i.param.name); });

TEST(WorkCalendarParse, ListLimits) {
    json c = WorkCalendar::default_calendar().to_json();
    // kMaxHolidays distinct dates are fine; one more is refused before any is parsed.
    json days = json::array();
    for (std::int64_t d = 0; d < static_cast<std::int64_t>(WorkCalendar::kMaxHolidays); ++d)
        days.push_back(timefmt::format_day(day_of(2027, 1, 1) + d));
    c["holidays"] = days;
    EXPECT_EQ(WorkCalendar::from_json(c).holidays().size(), WorkCalendar::kMaxHolidays);
    days.push_back("2000-01-01");
    c["holidays"] = days;
    try {
        (void)WorkCalendar::from_json(c);
        FAIL();
    } catch (const ApiError& e) {
        EXPECT_EQ(e.field(), "holidays");
    }
    c["holidays"] = json::array();
    json saturdays = json::array();
    for (std::size_t i = 0; i <= WorkCalendar::kMaxExtraWorkdays; ++i)
        saturdays.push_back(timefmt::format_day(day_of(2026, 11, 28) + 7 * static_cast<std::int64_t>(i)));
    c["extra_workdays"] = saturdays;
    try {
        (void)WorkCalendar::from_json(c);
        FAIL();
    } catch (const ApiError& e) {
        EXPECT_EQ(e.field(), "extra_workdays");
    }
    saturdays.erase(saturdays.size() - 1);
    c["extra_workdays"] = saturdays;
    EXPECT_EQ(WorkCalendar::from_json(c).extra_workdays().size(), WorkCalendar::kMaxExtraWorkdays);
    // 24 periods are fine.
    json periods = json::array();
    for (int i = 0; i < 24; ++i) {
        char a[6], b[6];
        std::snprintf(a, sizeof a, "%02d:00", i);
        std::snprintf(b, sizeof b, "%02d:30", i);
        periods.push_back(json::array({a, b}));
    }
    c["work_periods"] = periods;
    EXPECT_EQ(WorkCalendar::from_json(c).work_seconds_per_day(), 12 * H);
}

// ─── The arithmetic, case by case ───────────────────────────────────────────────────────────
// Default calendar: Asia/Shanghai, 08:30–12:00 and 14:30–18:00 (7 h a day), Saturday and Sunday
// off. 2026-11-23 is a Monday. Times in the tables are Beijing time unless they end in Z.

struct SecondsCase {
    const char* name;
    const char* cal;
    const char* start;
    std::int64_t seconds;
    const char* expected;
};

const SecondsCase kSecondsCases[] = {
    {"InsidePeriod", "default", "2026-11-23T09:00:00+08:00", H, "2026-11-23T10:00:00+08:00"},
    {"BeforeWork", "default", "2026-11-23T07:00:00+08:00", H, "2026-11-23T09:30:00+08:00"},  // 08:30 + 1 h
    {"Midnight", "default", "2026-11-23T00:00:00+08:00", H, "2026-11-23T09:30:00+08:00"},
    {"InLunchBreak", "default", "2026-11-23T12:30:00+08:00", H, "2026-11-23T15:30:00+08:00"},        // 14:30 + 1 h
    {"RunsOutAtPeriodEnd", "default", "2026-11-23T11:00:00+08:00", H, "2026-11-23T12:00:00+08:00"},  // not 14:30
    {"OneSecondPastPeriodEnd", "default", "2026-11-23T11:00:00+08:00", H + 1, "2026-11-23T14:30:01+08:00"},
    {"StartAtPeriodEnd", "default", "2026-11-23T12:00:00+08:00", H, "2026-11-23T15:30:00+08:00"},
    {"StartAtPeriodStart", "default", "2026-11-23T08:30:00+08:00", 3 * H + 1800, "2026-11-23T12:00:00+08:00"},
    {"WholeDayEndsAtDayEnd", "default", "2026-11-23T08:30:00+08:00", 7 * H, "2026-11-23T18:00:00+08:00"},
    {"WholeDayPlusOneSecond", "default", "2026-11-23T08:30:00+08:00", 7 * H + 1, "2026-11-24T08:30:01+08:00"},
    {"AfterWork", "default", "2026-11-23T19:00:00+08:00", H, "2026-11-24T09:30:00+08:00"},
    {"AtDayEnd", "default", "2026-11-23T18:00:00+08:00", H, "2026-11-24T09:30:00+08:00"},
    {"FridayToMonday", "default", "2026-11-27T17:00:00+08:00", 2 * H, "2026-11-30T09:30:00+08:00"},  // 1 h + 1 h
    {"Saturday", "default", "2026-11-28T10:00:00+08:00", H, "2026-11-30T09:30:00+08:00"},
    {"ZeroInside", "default", "2026-11-23T09:00:00+08:00", 0, "2026-11-23T09:00:00+08:00"},
    {"ZeroInLunch", "default", "2026-11-23T12:30:00+08:00", 0, "2026-11-23T12:30:00+08:00"},
    {"ZeroOnWeekend", "default", "2026-11-28T10:00:00+08:00", 0, "2026-11-28T10:00:00+08:00"},
    // 40 working hours from Monday 10:00: Monday 5.5 h, Tue–Fri 28 h, next Monday 3.5 h + 3 h.
    {"FortyHours", "default", "2026-11-23T10:00:00+08:00", 40 * H, "2026-11-30T17:30:00+08:00"},
    {"SecondsAcrossLunch", "default", "2026-11-23T11:59:30+08:00", 45, "2026-11-23T14:30:15+08:00"},
    // 16:30Z on Monday is 00:30 on Tuesday in Beijing.
    {"UtcDayIsNotLocalDay", "default", "2026-11-23T16:30:00Z", H, "2026-11-24T09:30:00+08:00"},
    // China 2026: 10-01..10-07 off, 10-08 (Thu) back at work.
    {"AcceptedOnHoliday", "cn2026", "2026-10-01T10:00:00+08:00", H, "2026-10-08T09:30:00+08:00"},
    {"NationalDayEve", "cn2026", "2026-09-30T16:00:00+08:00", 4 * H, "2026-10-08T10:30:00+08:00"},  // 2 h + 2 h
    // 5 working days from Monday 09-28: 28, 29, 30, then 10-08 and 10-09.
    {"WeekAroundNationalDay", "cn2026", "2026-09-28T08:30:00+08:00", 35 * H, "2026-10-09T18:00:00+08:00"},
    // Friday 09-18 17:00 + 2 h: 1 h on Friday, Saturday off, Sunday 09-20 is a 调休 workday.
    {"TiaoxiuSunday", "cn2026", "2026-09-18T17:00:00+08:00", 2 * H, "2026-09-20T09:30:00+08:00"},
    {"TiaoxiuSaturday", "cn2026", "2026-10-09T17:00:00+08:00", 2 * H, "2026-10-10T09:30:00+08:00"},
    {"WholeTiaoxiuDay", "cn2026", "2026-10-10T07:00:00+08:00", 7 * H, "2026-10-10T18:00:00+08:00"},
    // Wednesday 2025-12-31 17:00 + 2 h: 1 h, 01-01..01-03 off, Sunday 01-04 worked.
    {"YearEnd2025", "cn2026", "2025-12-31T17:00:00+08:00", 2 * H, "2026-01-04T09:30:00+08:00"},
    // Thursday 2026-12-31 16:00 + 3 h: 2 h, 2027-01-01 (Fri) off, weekend, Monday 01-04.
    {"YearEnd2026", "cn2026_2027", "2026-12-31T16:00:00+08:00", 3 * H, "2027-01-04T09:30:00+08:00"},
    // Friday 02-13 17:00: 1 h, Saturday 02-14 worked (7 h) = 8 h exactly at 02-14 18:00 ...
    {"SpringFestivalExact", "cn2026", "2026-02-13T17:00:00+08:00", 8 * H, "2026-02-14T18:00:00+08:00"},
    // ... and half an hour more waits out 02-15..02-23 until Tuesday 02-24.
    {"SpringFestivalOver", "cn2026", "2026-02-13T17:00:00+08:00", 8 * H + 1800, "2026-02-24T09:00:00+08:00"},
    // Asia/Urumqi is UTC+6: 02:00Z is 08:00 there.
    {"UrumqiBeforeWork", "urumqi", "2026-11-23T02:00:00Z", H, "2026-11-23T03:30:00Z"},
    {"UrumqiToPeriodEnd", "urumqi", "2026-11-23T04:00:00Z", 2 * H, "2026-11-23T06:00:00Z"},
    // Night shifts (UTC, 00:00–06:00 and 20:00–24:00 on weekdays).
    {"NightEndsAtMidnight", "night", "2026-11-23T23:00:00Z", H, "2026-11-24T00:00:00Z"},
    {"NightAcrossMidnight", "night", "2026-11-23T23:00:00Z", 2 * H, "2026-11-24T01:00:00Z"},
    {"NightFridayToMonday", "night", "2026-11-27T23:00:00Z", 2 * H, "2026-11-30T01:00:00Z"},
    // Monday 05:00 + 10 h: 1 h + 4 h on Monday, then 5 h of Tuesday's 00:00–06:00.
    {"NightLongDay", "night", "2026-11-23T05:00:00Z", 10 * H, "2026-11-24T05:00:00Z"},
};

class WorkCalendarSeconds : public testing::TestWithParam<SecondsCase> {};

TEST_P(WorkCalendarSeconds, Deadline) {
    const SecondsCase& c = GetParam();
    const auto& cal = calendar(c.cal);
    const auto got = cal.deadline_after_work_seconds(at(c.start), c.seconds);
    ASSERT_TRUE(got);
    EXPECT_EQ(timefmt::format_rfc3339(*got), timefmt::format_rfc3339(at(c.expected)));
    EXPECT_EQ(cal.work_seconds_between(at(c.start), *got), c.seconds);
    // The hand-derived value agrees with the minute-by-minute reference, too.
    EXPECT_EQ(civic::reference::SlowCalendar(cal).deadline_after_work_seconds(at(c.start), c.seconds, 60 * 24 * 60),
              at(c.expected));
}

INSTANTIATE_TEST_SUITE_P(WorkCalendar, WorkCalendarSeconds, testing::ValuesIn(kSecondsCases),
                         [](const testing::TestParamInfo<SecondsCase>& i) { return std::string(i.param.name); });

struct DaysCase {
    const char* name;
    const char* cal;
    const char* start;
    std::int64_t days;
    const char* expected;
};

const DaysCase kDaysCases[] = {
    {"MondayMorning", "default", "2026-11-23T09:00:00+08:00", 1, "2026-11-24T18:00:00+08:00"},
    {"MondayBeforeWork", "default", "2026-11-23T07:00:00+08:00", 1, "2026-11-24T18:00:00+08:00"},
    {"MondayAfterWork", "default", "2026-11-23T23:00:00+08:00", 1, "2026-11-24T18:00:00+08:00"},
    {"Friday", "default", "2026-11-27T10:00:00+08:00", 1, "2026-11-30T18:00:00+08:00"},
    {"Saturday", "default", "2026-11-28T10:00:00+08:00", 1, "2026-11-30T18:00:00+08:00"},
    {"Sunday", "default", "2026-11-29T10:00:00+08:00", 1, "2026-11-30T18:00:00+08:00"},
    {"FiveDays", "default", "2026-11-23T10:00:00+08:00", 5, "2026-11-30T18:00:00+08:00"},
    {"TenDays", "default", "2026-11-23T10:00:00+08:00", 10, "2026-12-07T18:00:00+08:00"},
    // 16:30Z Monday is Tuesday 00:30 in Beijing: Tuesday is the day of acceptance.
    {"UtcDayIsNotLocalDay", "default", "2026-11-23T16:30:00Z", 1, "2026-11-25T18:00:00+08:00"},
    {"LateMondayInUtc", "default", "2026-11-23T15:30:00Z", 1, "2026-11-24T18:00:00+08:00"},
    {"NationalDayEve", "cn2026", "2026-09-30T10:00:00+08:00", 1, "2026-10-08T18:00:00+08:00"},
    {"AcceptedOnHoliday", "cn2026", "2026-10-01T09:00:00+08:00", 1, "2026-10-08T18:00:00+08:00"},
    {"TiaoxiuSunday", "cn2026", "2026-09-18T10:00:00+08:00", 1, "2026-09-20T18:00:00+08:00"},
    {"TiaoxiuThenWeek", "cn2026", "2026-09-18T10:00:00+08:00", 3, "2026-09-22T18:00:00+08:00"},    // 20, 21, 22
    {"AcrossNationalDay", "cn2026", "2026-09-29T10:00:00+08:00", 3, "2026-10-09T18:00:00+08:00"},  // 30, 8, 9
    {"OntoTiaoxiuSaturday", "cn2026", "2026-09-29T10:00:00+08:00", 4, "2026-10-10T18:00:00+08:00"},
    {"AcceptedOnTiaoxiuDay", "cn2026", "2026-10-10T09:00:00+08:00", 1, "2026-10-12T18:00:00+08:00"},
    {"YearEnd2025", "cn2026", "2025-12-31T15:00:00+08:00", 1, "2026-01-04T18:00:00+08:00"},
    {"YearEnd2026", "cn2026_2027", "2026-12-31T10:00:00+08:00", 1, "2027-01-04T18:00:00+08:00"},
    // 5 working days from Friday 02-13: 14 (Sat, worked), 24, 25, 26, 27.
    {"SpringFestival", "cn2026", "2026-02-13T10:00:00+08:00", 5, "2026-02-27T18:00:00+08:00"},
    {"NightLastPeriodEndsAtMidnight", "night", "2026-11-23T12:00:00Z", 1, "2026-11-25T00:00:00Z"},
    {"UrumqiEvening", "urumqi", "2026-11-23T12:00:00Z", 1, "2026-11-24T12:00:00Z"},  // 18:00 at UTC+6
};

class WorkCalendarDays : public testing::TestWithParam<DaysCase> {};

TEST_P(WorkCalendarDays, Deadline) {
    const DaysCase& c = GetParam();
    const auto& cal = calendar(c.cal);
    const auto got = cal.deadline_after_work_days(at(c.start), c.days);
    ASSERT_TRUE(got);
    EXPECT_EQ(timefmt::format_rfc3339(*got), timefmt::format_rfc3339(at(c.expected)));
    EXPECT_EQ(civic::reference::SlowCalendar(cal).deadline_after_work_days(at(c.start), c.days, 60), at(c.expected));
}

INSTANTIATE_TEST_SUITE_P(WorkCalendar, WorkCalendarDays, testing::ValuesIn(kDaysCases),
                         [](const testing::TestParamInfo<DaysCase>& i) { return std::string(i.param.name); });

struct BetweenCase {
    const char* name;
    const char* cal;
    const char* a;
    const char* b;
    std::int64_t expected;
};

const BetweenCase kBetweenCases[] = {
    {"SamePeriod", "default", "2026-11-23T09:00:00+08:00", "2026-11-23T10:00:00+08:00", H},
    {"AcrossLunch", "default", "2026-11-23T11:00:00+08:00", "2026-11-23T15:00:00+08:00", H + 1800},
    {"LunchOnly", "default", "2026-11-23T12:00:00+08:00", "2026-11-23T14:30:00+08:00", 0},
    {"WorkingDay", "default", "2026-11-23T08:30:00+08:00", "2026-11-23T18:00:00+08:00", 7 * H},
    {"CalendarDay", "default", "2026-11-23T00:00:00+08:00", "2026-11-24T00:00:00+08:00", 7 * H},
    {"FridayToMonday", "default", "2026-11-27T17:00:00+08:00", "2026-11-30T09:30:00+08:00", 2 * H},
    {"WeekendOnly", "default", "2026-11-28T10:00:00+08:00", "2026-11-29T16:00:00+08:00", 0},
    {"Reversed", "default", "2026-11-23T10:00:00+08:00", "2026-11-23T09:00:00+08:00", 0},
    {"Empty", "default", "2026-11-23T10:00:00+08:00", "2026-11-23T10:00:00+08:00", 0},
    {"OneWeek", "default", "2026-11-23T00:00:00+08:00", "2026-11-30T00:00:00+08:00", 5 * 7 * H},
    {"Seconds", "default", "2026-11-23T11:59:30+08:00", "2026-11-23T14:30:15+08:00", 45},
    // 2026 has 261 weekdays (52 weeks and a Thursday).
    {"Year2026NoHolidays", "default", "2026-01-01T00:00:00+08:00", "2027-01-01T00:00:00+08:00", 261 * 7 * H},
    // China 2026: 261 weekdays − 19 holidays on weekdays (2 + 6 + 1 + 3 + 1 + 1 + 5) + 6 调休 days.
    {"Year2026China", "cn2026", "2026-01-01T00:00:00+08:00", "2027-01-01T00:00:00+08:00", 248 * 7 * H},
    {"NationalDay", "cn2026", "2026-09-30T00:00:00+08:00", "2026-10-09T00:00:00+08:00", 2 * 7 * H},  // 30, 8
    // 12-31 14:30–18:00, 01-04 (Sunday, worked) all day, 01-05 08:30–09:00.
    {"YearEnd2025", "cn2026", "2025-12-31T12:00:00+08:00", "2026-01-05T09:00:00+08:00", 11 * H},
    {"SpringFestival", "cn2026", "2026-02-14T00:00:00+08:00", "2026-02-25T00:00:00+08:00", 2 * 7 * H},  // 14, 24
    {"NightWeekend", "night", "2026-11-27T00:00:00Z", "2026-11-30T00:00:00Z", 10 * H},
};

class WorkCalendarBetween : public testing::TestWithParam<BetweenCase> {};

TEST_P(WorkCalendarBetween, Elapsed) {
    const BetweenCase& c = GetParam();
    const auto& cal = calendar(c.cal);
    EXPECT_EQ(cal.work_seconds_between(at(c.a), at(c.b)), c.expected);
    EXPECT_EQ(civic::reference::SlowCalendar(cal).work_seconds_between(at(c.a), at(c.b)), c.expected);
}

INSTANTIATE_TEST_SUITE_P(WorkCalendar, WorkCalendarBetween, testing::ValuesIn(kBetweenCases),
                         [](const testing::TestParamInfo<BetweenCase>& i) { return std::string(i.param.name); });

// ─── Limits, horizon, preconditions ─────────────────────────────────────────────────────────

TEST(WorkCalendarLimits, LongDeadlinesAreExactOrNone) {
    const auto& d = calendar("default");
    const std::int64_t monday = at("2026-11-23T10:00:00+08:00");
    // 2000 working days = 400 weeks of five: the Monday 2800 days later, 18:00 Beijing.
    EXPECT_EQ(d.deadline_after_work_days(monday, 2000), (day_of(2026, 11, 23) + 2800) * 86400 + 10 * H);
    // The same span in hours: Monday's remaining 5.5 h, 1999 whole working days, then 08:30–10:30
    // of that Monday (10:30 Beijing = 02:30Z).
    EXPECT_EQ(d.deadline_after_work_seconds(monday, 5 * H + 1800 + 1999 * 7 * H + 2 * H),
              (day_of(2026, 11, 23) + 2800) * 86400 + 2 * H + 1800);
    // 3000 working days need about 11.5 years: past the 10-year horizon.
    EXPECT_EQ(d.deadline_after_work_days(monday, 3000), std::nullopt);
    EXPECT_EQ(d.deadline_after_work_seconds(monday, 1'000'000'000'000'000), std::nullopt);
    EXPECT_EQ(d.deadline_after_work_seconds(monday, INT64_MAX), std::nullopt);
    EXPECT_EQ(d.deadline_after_work_days(monday, INT64_MAX), std::nullopt);
    // A deadline after 9999-12-31T23:59:59Z does not exist.
    EXPECT_EQ(d.deadline_after_work_days(at("9999-12-30T00:00:00Z"), 2), std::nullopt);
    EXPECT_EQ(d.deadline_after_work_seconds(WorkCalendar::kLatest, 1), std::nullopt);
    EXPECT_GT(d.work_seconds_between(WorkCalendar::kEarliest, WorkCalendar::kLatest), 0);
}

TEST(WorkCalendarLimits, NoWorkingTimeWithinTheHorizon) {
    // Mondays only, and the next 2000 Mondays (38 years) are holidays: no deadline, found at once.
    json c = json{
        {"timezone", "Asia/Shanghai"}, {"work_periods", pairs({{"08:30", "12:00"}})}, {"weekend", {2, 3, 4, 5, 6, 7}}};
    json holidays = json::array();
    for (int i = 0; i < 2000; ++i) holidays.push_back(timefmt::format_day(day_of(2026, 12, 7) + 7 * i));
    c["holidays"] = holidays;
    const auto cal = WorkCalendar::from_json(c);
    const std::int64_t tuesday = at("2026-12-01T10:00:00+08:00");
    EXPECT_EQ(cal.deadline_after_work_seconds(tuesday, 1), std::nullopt);
    EXPECT_EQ(cal.deadline_after_work_days(tuesday, 1), std::nullopt);
    EXPECT_EQ(cal.work_seconds_between(tuesday, tuesday + 10 * 366 * 86400), 0);
    // The Monday before the first holiday still works.
    EXPECT_EQ(cal.deadline_after_work_days(at("2026-11-24T10:00:00+08:00"), 1), at("2026-11-30T12:00:00+08:00"));
}

TEST(WorkCalendarLimits, Preconditions) {
    const auto& d = calendar("default");
    const std::int64_t t = at("2026-11-23T10:00:00+08:00");
    EXPECT_THROW((void)d.deadline_after_work_seconds(t, -1), std::invalid_argument);
    EXPECT_THROW((void)d.deadline_after_work_days(t, 0), std::invalid_argument);
    EXPECT_THROW((void)d.deadline_after_work_days(t, -5), std::invalid_argument);
    EXPECT_THROW((void)d.deadline_after_work_seconds(WorkCalendar::kLatest + 1, 1), std::invalid_argument);
    EXPECT_THROW((void)d.deadline_after_work_days(WorkCalendar::kEarliest - 1, 1), std::invalid_argument);
    EXPECT_THROW((void)d.work_seconds_between(INT64_MIN, t), std::invalid_argument);
    EXPECT_THROW((void)d.work_seconds_between(t, INT64_MAX), std::invalid_argument);
    EXPECT_EQ(timefmt::format_rfc3339(WorkCalendar::kEarliest), "0000-01-01T00:00:00Z");
    EXPECT_EQ(timefmt::format_rfc3339(WorkCalendar::kLatest), "9999-12-31T23:59:59Z");
}

// ─── Randomized comparison with the reference ───────────────────────────────────────────────

struct Random {
    std::mt19937_64 gen;
    std::int64_t in(std::int64_t lo, std::int64_t hi) {
        return std::uniform_int_distribution<std::int64_t>(lo, hi)(gen);
    }
    bool chance(int percent) { return in(0, 99) < percent; }
};

std::string hhmm(int minutes) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02d:%02d", minutes / 60, minutes % 60);
    return buf;
}

// A random valid calendar around `base` (a day number): random zone, 1–6 periods on a coarse or
// a fine grid (sometimes from 00:00 or to 24:00), 0–6 weekend days, up to 15 holidays and up to
// 6 调休 days near base.
json random_calendar(Random& r, std::int64_t base) {
    static const char* zones[] = {"Asia/Shanghai", "Asia/Urumqi", "UTC",    "+05:45",
                                  "-03:30",        "+14:00",      "-12:00", "+00:01"};
    json c;
    if (r.chance(80)) {
        c["timezone"] = zones[r.in(0, 7)];
    } else {
        const std::int64_t off = r.in(-14 * 60, 14 * 60);
        char buf[8];
        std::snprintf(buf, sizeof buf, "%c%02d:%02d", off < 0 ? '-' : '+', static_cast<int>(std::abs(off) / 60),
                      static_cast<int>(std::abs(off) % 60));
        c["timezone"] = buf;
    }
    const int n = static_cast<int>(r.in(1, 6));
    const int grid = r.chance(50) ? 30 : 1;
    std::set<int> points;
    if (r.chance(20)) points.insert(0);
    if (r.chance(20)) points.insert(1440);
    while (points.size() < static_cast<std::size_t>(2 * n))
        points.insert(static_cast<int>(r.in(0, 1440 / grid)) * grid);
    while (points.size() > static_cast<std::size_t>(2 * n)) points.erase(std::prev(points.end()));
    json periods = json::array();
    for (auto it = points.begin(); it != points.end(); std::advance(it, 2))
        periods.push_back(json::array({hhmm(*it), hhmm(*std::next(it))}));
    c["work_periods"] = periods;
    json weekend = json::array();
    const int weekend_days = static_cast<int>(r.in(0, 6));
    std::set<int> we;
    while (we.size() < static_cast<std::size_t>(weekend_days)) we.insert(static_cast<int>(r.in(1, 7)));
    for (int d : we) weekend.push_back(d);
    c["weekend"] = weekend;
    std::set<std::int64_t> holidays;
    const int h = static_cast<int>(r.in(0, 15));
    for (int i = 0; i < h; ++i) holidays.insert(base + r.in(-5, 60));
    json hj = json::array(), ej = json::array();
    for (auto d : holidays) hj.push_back(timefmt::format_day(d));
    const int e = static_cast<int>(r.in(0, 6));
    for (int i = 0; i < e && !we.empty(); ++i) {
        const std::int64_t d = base + r.in(-5, 60);
        const int iso = civic::reference::SlowCalendar::iso_weekday(d);
        if (we.count(iso) && !holidays.count(d)) ej.push_back(timefmt::format_day(d));
    }
    c["holidays"] = hj;
    c["extra_workdays"] = ej;
    return c;
}

TEST(WorkCalendarProperty, MatchesMinuteByMinuteReference) {
    Random r{std::mt19937_64{20261203}};
    const std::int64_t bases[] = {day_of(2026, 12, 20), day_of(2026, 9, 25), day_of(2024, 2, 20), day_of(1999, 12, 25)};
    constexpr std::int64_t kRefMinutes = 200 * 1440;
    int calendars = 0, compared = 0, exact_ends = 0, zero = 0, skipped = 0;
    for (int round = 0; round < 3000; ++round) {
        const std::int64_t base = bases[round % 4];
        const json spec = random_calendar(r, base);
        const auto cal = WorkCalendar::from_json(spec);
        ++calendars;
        ASSERT_EQ(WorkCalendar::from_json(cal.to_json()), cal) << spec.dump();
        const civic::reference::SlowCalendar ref(cal);
        const std::int64_t per_day = cal.work_seconds_per_day();
        for (int k = 0; k < 3; ++k) {
            // Start: anywhere in a month, sometimes on a minute, sometimes exactly on a period edge.
            std::int64_t start = timefmt::shanghai_day_start(base) + r.in(0, 30 * 86400);
            if (r.chance(30)) start -= ((start + cal.utc_offset_seconds()) % 60 + 60) % 60;
            if (r.chance(30)) {
                const auto& p = cal.work_periods()[static_cast<std::size_t>(
                    r.in(0, static_cast<std::int64_t>(cal.work_periods().size()) - 1))];
                const std::int64_t day = cal.local_day(start);
                start = day * 86400 + (r.chance(50) ? p.start_minute : p.end_minute) * 60 - cal.utc_offset_seconds();
            }
            std::int64_t seconds;
            switch (r.in(0, 4)) {
                case 0:
                    seconds = 0;
                    ++zero;
                    break;
                case 1:
                    seconds = per_day * r.in(1, 3);
                    break;  // whole days: ends on a period end
                case 2:
                    seconds = 60 * r.in(1, 600);
                    break;
                default:
                    seconds = r.in(1, 3 * per_day);
                    break;
            }
            const std::string where =
                spec.dump() + " start " + timefmt::format_rfc3339(start) + " seconds " + std::to_string(seconds);
            const auto fast = cal.deadline_after_work_seconds(start, seconds);
            const auto slow = ref.deadline_after_work_seconds(start, seconds, kRefMinutes);
            if (!slow) {
                ++skipped;  // the reference gave up: then the answer lies beyond its walk
                ASSERT_TRUE(!fast || *fast > start + kRefMinutes * 60 - 60) << where;
            } else {
                ASSERT_EQ(fast, slow) << where;
                ++compared;
                if (seconds > 0) {
                    // Minimal: one second earlier, not all the working time has passed.
                    ASSERT_EQ(cal.work_seconds_between(start, *fast - 1), seconds - 1) << where;
                    const auto local = *fast + cal.utc_offset_seconds();
                    const auto sec = ((local % 86400) + 86400) % 86400;
                    for (const auto& p : cal.work_periods()) exact_ends += sec == p.end_minute * 60 % 86400;
                }
                ASSERT_EQ(cal.work_seconds_between(start, *fast), seconds) << where;
            }

            const std::int64_t days = r.in(1, 5);
            const auto fast_days = cal.deadline_after_work_days(start, days);
            const auto slow_days = ref.deadline_after_work_days(start, days, 200);
            if (slow_days) {
                ASSERT_EQ(fast_days, slow_days) << where << " days " << days;
            } else {
                ASSERT_TRUE(!fast_days || *fast_days > start + 199 * 86400) << where << " days " << days;
            }

            const std::int64_t b = start + (r.chance(10) ? -r.in(0, 86400) : r.in(0, 20 * 86400));
            const auto between = cal.work_seconds_between(start, b);
            ASSERT_EQ(between, ref.work_seconds_between(start, b)) << where << " b " << b;
            // Additive over a split point.
            const std::int64_t mid = start + r.in(0, std::max<std::int64_t>(0, b - start));
            if (b >= start) {
                ASSERT_EQ(cal.work_seconds_between(start, mid) + cal.work_seconds_between(mid, b), between);
            }
        }
    }
    // The generator really reached the edges it is meant to reach.
    EXPECT_EQ(calendars, 3000);
    EXPECT_GT(compared, 8000);
    EXPECT_GT(exact_ends, 1000);
    EXPECT_GT(zero, 500);
    EXPECT_LT(skipped, 100);
    std::printf(
        "[ property ] %d calendars, %d deadlines compared (%d at a period end, %d zero), %d beyond the reference's "
        "walk\n",
        calendars, compared, exact_ends, zero, skipped);
}

}  // namespace
