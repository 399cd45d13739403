// API.md §4 "Working-time deadlines": the city's calendar over HTTP, categories with a limit in
// working hours or days, and the deadlines, extensions, lights and on-time figures computed
// from it — each edge (evening, lunch break, holiday, 调休 weekend, year end) through the real
// daemon on the test clock. Default calendar: Asia/Shanghai (UTC+8), 08:30–12:00 and
// 14:30–18:00, Monday to Friday; times in the comments are local.
#include "ticket_city.hpp"

using namespace civic::test;
using nlohmann::json;

namespace {

// nlohmann reads {{"a","b"},…} as an object: pairs of strings are built as arrays here.
json periods(std::initializer_list<std::pair<const char*, const char*>> list) {
    json out = json::array();
    for (const auto& [from, to] : list) out.push_back(json::array({from, to}));
    return out;
}

const json kDefaultCalendar = {{"timezone", "Asia/Shanghai"},
                               {"work_periods", periods({{"08:30", "12:00"}, {"14:30", "18:00"}})},
                               {"weekend", {6, 7}},
                               {"holidays", json::array()},
                               {"extra_workdays", json::array()}};

struct WorkTime : ::testing::Test {
    Daemon d;
    TicketCity c{d};

    HttpResponse put_calendar(const json& body, const std::string& token) {
        return d.request("PUT", "/api/v1/admin/work-calendar", body.dump(),
                         {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}});
    }
    HttpResponse add_category(const json& fields) {
        json body = {{"code", "wt-x"}, {"name", "wt"}, {"points_on_accept", 1}, {"points_on_close", 1}};
        body.update(fields);
        return d.post("/api/v1/admin/categories", body, c.admin);
    }
    void category(const std::string& code, const std::string& key, int amount) {
        auto r = add_category({{"code", code}, {key, amount}});
        ASSERT_EQ(r.status, 201) << r.body;
        EXPECT_EQ(r.json()[key], amount);
        EXPECT_FALSE(r.json().contains("sla_hours") && key != "sla_hours");
    }
    // Submitted and accepted at `at` (UTC); returns the accepted ticket.
    json accepted_at(const std::string& at, const std::string& category) {
        c.set_clock(at);
        const auto id = c.submit(c.r1, 103.375, 23.375, category)["id"].get<std::int64_t>();
        return c.ok(c.m1, id, {{"action", "accept"}});
    }
};

TEST_F(WorkTime, CalendarDefaultsToTheExampleAndOnlyStaffReadIt) {
    auto r = d.get("/api/v1/work-calendar", c.w1.token);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json(), kDefaultCalendar);
    EXPECT_EQ(d.get("/api/v1/work-calendar", c.r1.token).status, 403);
    EXPECT_EQ(d.get("/api/v1/work-calendar").status, 401);
}

TEST_F(WorkTime, AdminReplacesTheCalendarInCanonicalForm) {
    json cal = kDefaultCalendar;
    cal["holidays"] = json::array({"2026-10-02", "2026-10-01", "2026-10-01"});
    cal["extra_workdays"] = json::array({"2026-09-27"});
    auto r = put_calendar(cal, c.admin);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["holidays"], json::array({"2026-10-01", "2026-10-02"}));
    EXPECT_EQ(d.get("/api/v1/work-calendar", c.dispatcher.token).json(), r.json());
}

TEST_F(WorkTime, BadCalendarsAre400NamingTheFieldAndChangeNothing) {
    const std::vector<std::pair<json, std::string>> cases = {
        {{{"work_periods", periods({{"08:30", "12:00"}, {"11:00", "18:00"}})}}, "work_periods"},  // overlapping
        {{{"work_periods", periods({{"14:30", "18:00"}, {"08:30", "12:00"}})}}, "work_periods"},  // unordered
        {{{"work_periods", periods({{"08:30", "12:60"}})}}, "work_periods"},
        {{{"weekend", json::array({6, 8})}}, "weekend"},
        {{{"holidays", json::array({"2026-02-30"})}}, "holidays"},
        {{{"extra_workdays", json::array({"2026/09/27"})}}, "extra_workdays"},
        {{{"timezone", "Mars/Olympus"}}, "timezone"},
        {{{"colour", "red"}}, "colour"},
    };
    for (const auto& [change, field] : cases) {
        json cal = kDefaultCalendar;
        cal.update(change);
        auto r = put_calendar(cal, c.admin);
        EXPECT_EQ(r.status, 400) << change.dump();
        EXPECT_EQ(r.json()["error"]["code"], "invalid_field") << r.body;
        EXPECT_EQ(r.json()["error"]["field"], field) << r.body;
    }
    EXPECT_EQ(put_calendar(kDefaultCalendar, c.m1.token).status, 403);
    EXPECT_EQ(put_calendar(kDefaultCalendar, c.dispatcher.token).status, 403);
    EXPECT_EQ(d.get("/api/v1/work-calendar", c.admin).json(), kDefaultCalendar);
}

TEST_F(WorkTime, CategoryTakesExactlyOneTimeLimit) {
    auto both = add_category({{"sla_hours", 24}, {"sla_work_days", 2}});
    EXPECT_EQ(both.status, 400);
    EXPECT_EQ(both.json()["error"]["code"], "invalid_field");
    EXPECT_EQ(both.json()["error"]["field"], "sla_work_days") << both.body;
    auto none = add_category(json::object());
    EXPECT_EQ(none.status, 400);
    EXPECT_EQ(none.json()["error"]["field"], "sla_hours") << none.body;
    auto zero = add_category({{"sla_work_days", 0}});
    EXPECT_EQ(zero.status, 400);
    EXPECT_EQ(zero.json()["error"]["field"], "sla_work_days") << zero.body;
    auto huge = add_category({{"sla_work_hours", 8761}});
    EXPECT_EQ(huge.json()["error"]["field"], "sla_work_hours") << huge.body;
    category("wt-days", "sla_work_days", 2);
    bool listed = false;
    const auto categories = d.get("/api/v1/categories").json();
    for (const auto& item : categories["items"])
        if (item["code"] == "wt-days") {
            listed = true;
            EXPECT_EQ(item["sla_work_days"], 2);
            EXPECT_FALSE(item.contains("sla_hours"));
        }
    EXPECT_TRUE(listed) << categories.dump();
}

TEST_F(WorkTime, AcceptedOutsideWorkingTimeCountsFromTheNextPeriod) {
    category("wt-4h", "sla_work_hours", 4);
    // Friday 20:00: Monday 08:30–12:00 (3.5 h) and 14:30–15:00.
    EXPECT_EQ(accepted_at("2026-11-20T12:00:00Z", "wt-4h")["deadline_at"], "2026-11-23T07:00:00Z");
}

TEST_F(WorkTime, AcceptedInTheLunchBreakStartsAt1430AndTheLightComparesWorkingTime) {
    category("wt-2h", "sla_work_hours", 2);
    // Monday 13:00 → 16:30.
    const auto t = accepted_at("2026-11-23T05:00:00Z", "wt-2h");
    EXPECT_EQ(t["deadline_at"], "2026-11-23T08:30:00Z");
    const auto id = t["id"].get<std::int64_t>();
    // 16:00: 1.5 of 2 working hours (75 %) — green; in calendar time 3 of 3.5 h would be yellow.
    c.set_clock("2026-11-23T08:00:00Z");
    EXPECT_EQ(c.get(c.m1, id)["deadline_light"], "green");
    // 16:10: 1 h 40 of 2 h (83 %).
    c.set_clock("2026-11-23T08:10:00Z");
    EXPECT_EQ(c.get(c.m1, id)["deadline_light"], "yellow");
    c.set_clock("2026-11-23T08:30:01Z");
    EXPECT_EQ(c.get(c.m1, id)["deadline_light"], "red");
    EXPECT_TRUE(c.get(c.m1, id)["overdue"].get<bool>());
}

TEST_F(WorkTime, ExtendAddsWorkingHours) {
    category("wt-2h", "sla_work_hours", 2);
    const auto id = accepted_at("2026-11-23T05:00:00Z", "wt-2h")["id"].get<std::int64_t>();  // → Mon 16:30
    // +3 h: 16:30–18:00 (1.5 h), then Tuesday 08:30–10:00.
    auto t = c.ok(c.m1, id, {{"action", "extend"}, {"hours", 3}, {"reason", "材料未到"}});
    EXPECT_EQ(t["deadline_at"], "2026-11-24T02:00:00Z");
    // Re-classified to a working-days category: the new limit, then the 3 working hours after it.
    category("wt-1d", "sla_work_days", 1);
    t = c.ok(c.m1, id, {{"action", "set_category"}, {"category", "wt-1d"}});
    // 1 working day after Monday: Tuesday 18:00; + 3 h: Wednesday 08:30–11:30.
    EXPECT_EQ(t["deadline_at"], "2026-11-25T03:30:00Z");
}

TEST_F(WorkTime, HolidaysAreSkipped) {
    json cal = kDefaultCalendar;
    cal["holidays"] = json::array({"2026-11-24"});
    ASSERT_EQ(put_calendar(cal, c.admin).status, 200);
    category("wt-2h", "sla_work_hours", 2);
    // Monday 17:00: 1 h on Monday, Tuesday is a holiday, Wednesday 08:30–09:30.
    EXPECT_EQ(accepted_at("2026-11-23T09:00:00Z", "wt-2h")["deadline_at"], "2026-11-25T01:30:00Z");
    // Accepted on the holiday itself (Tuesday 10:00) with 1 working day: Wednesday 18:00.
    category("wt-1d", "sla_work_days", 1);
    EXPECT_EQ(accepted_at("2026-11-24T02:00:00Z", "wt-1d")["deadline_at"], "2026-11-25T10:00:00Z");
}

TEST_F(WorkTime, AcrossATiaoxiuWeekendAndTheNationalDayHolidays) {
    json cal = kDefaultCalendar;
    cal["holidays"] = json::array({"2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"});
    cal["extra_workdays"] = json::array({"2026-09-27", "2026-10-10"});  // a Sunday and a Saturday worked (调休)
    ASSERT_EQ(put_calendar(cal, c.admin).status, 200);
    category("wt-1d", "sla_work_days", 1);
    category("wt-2d", "sla_work_days", 2);
    category("wt-8h", "sla_work_hours", 8);
    // Friday 25 Sep 17:00, 1 working day: Saturday is weekend, Sunday 27 is worked → Sunday 18:00.
    EXPECT_EQ(accepted_at("2026-09-25T09:00:00Z", "wt-1d")["deadline_at"], "2026-09-27T10:00:00Z");
    // Wednesday 30 Sep, 2 working days: 1–7 Oct off (holidays and weekend), Thursday 8 and Friday 9.
    EXPECT_EQ(accepted_at("2026-09-30T02:00:00Z", "wt-2d")["deadline_at"], "2026-10-09T10:00:00Z");
    // Friday 9 Oct 17:00, 8 working hours: 1 h Friday, Saturday 10 (调休) 7 h → 18:00.
    EXPECT_EQ(accepted_at("2026-10-09T09:00:00Z", "wt-8h")["deadline_at"], "2026-10-10T10:00:00Z");
}

TEST_F(WorkTime, AcrossAYearEnd) {
    // A month on, the tokens of the city's people have expired: log in afresh.
    c.set_clock("2026-12-31T00:00:00Z");
    c.admin = d.admin_token();
    c.m1.token = d.login("13700000001", "staff-pass-1");
    c.r1 = c.resident("13700000099");
    json cal = kDefaultCalendar;
    cal["holidays"] = json::array({"2027-01-01"});
    ASSERT_EQ(put_calendar(cal, c.admin).status, 200);
    category("wt-7h", "sla_work_hours", 7);
    // Thursday 31 Dec 16:00: 2 h, New Year's Day and the weekend off, Monday 4 Jan 08:30–12:00
    // and 14:30–16:00.
    EXPECT_EQ(accepted_at("2026-12-31T08:00:00Z", "wt-7h")["deadline_at"], "2027-01-04T08:00:00Z");
    category("wt-1d", "sla_work_days", 1);
    // Thursday 31 Dec 23:00, 1 working day: Monday 4 Jan 18:00.
    EXPECT_EQ(accepted_at("2026-12-31T15:00:00Z", "wt-1d")["deadline_at"], "2027-01-04T10:00:00Z");
}

TEST_F(WorkTime, OnTimeFiguresUseTheWorkingTimeDeadline) {
    category("wt-4h", "sla_work_hours", 4);
    // Friday 20:00, deadline Monday 15:00; closed on Sunday — 4 calendar hours would have been
    // Saturday 00:00, so only the working-time deadline makes it on time.
    const auto t = accepted_at("2026-11-20T12:00:00Z", "wt-4h");
    const auto id = t["id"].get<std::int64_t>();
    ASSERT_EQ(t["status"], "assigned");
    c.set_clock("2026-11-22T02:00:00Z");
    c.ok(c.w1, id, {{"action", "start"}});
    ASSERT_EQ(c.resolve(c.w1, id).status, 200);
    EXPECT_EQ(c.ok(c.m1, id, {{"action", "verify"}})["status"], "closed");
    auto r = d.get("/api/v1/stats/closure?from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z", c.admin);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["total"]["closed"], 1);
    EXPECT_EQ(r.json()["total"]["closed_on_time"], 1);
    EXPECT_EQ(r.json()["total"]["on_time_rate"], 1.0);
}

// 挂账 on a working-time ticket stops its working-time clock: `unpark` moves the deadline by the
// working time that passed while it was parked (docs/workflow.md), so time parked over a
// weekend, a holiday or a lunch break costs nothing and a 调休 Saturday counts. One ticket per
// row, on a calendar with Wednesday 25 Nov a holiday and Saturday 5 Dec worked (调休).
TEST_F(WorkTime, UnparkMovesTheDeadlineByTheWorkingTimeParked) {
    json cal = kDefaultCalendar;
    cal["holidays"] = json::array({"2026-11-25"});
    cal["extra_workdays"] = json::array({"2026-12-05"});
    ASSERT_EQ(put_calendar(cal, c.admin).status, 200);
    category("wt-8h", "sla_work_hours", 8);
    category("wt-2d", "sla_work_days", 2);
    struct Case {
        const char* what;
        const char* category;
        const char* accept;
        const char* deadline;
        const char* park;
        const char* unpark;
        const char* moved;
    };
    const Case cases[] = {
        // Fri 15:00 + 8 h: Fri 3 h, Mon 3.5 h + 1.5 h → Mon 16:00. Parked Fri 17:00 → Mon 09:00:
        // 1 h + 0.5 h of working time → Mon 17:30 (the 6 h left at parking, counted from Mon 09:00).
        {"across a weekend", "wt-8h", "2026-11-20T07:00:00Z", "2026-11-23T08:00:00Z", "2026-11-20T09:00:00Z",
         "2026-11-23T01:00:00Z", "2026-11-23T09:30:00Z"},
        // The same in calendar hours: moved by the 64 hours parked.
        {"calendar hours across a weekend", "t-garbage", "2026-11-20T07:00:00Z", "2026-11-21T07:00:00Z",
         "2026-11-20T09:00:00Z", "2026-11-23T01:00:00Z", "2026-11-23T23:00:00Z"},
        // Mon 09:00 + 8 h → Tue 10:00. Parked over lunch (12:00 → 14:30): no working time lost.
        {"over a lunch break", "wt-8h", "2026-11-23T01:00:00Z", "2026-11-24T02:00:00Z", "2026-11-23T04:00:00Z",
         "2026-11-23T06:30:00Z", "2026-11-24T02:00:00Z"},
        // Tue 10:00 + 8 h: Tue 5.5 h, Wed a holiday, Thu 2.5 h → Thu 11:00. Parked Tue 18:00 → Thu
        // 08:30: only the holiday passed, the deadline stays.
        {"across a holiday", "wt-8h", "2026-11-24T02:00:00Z", "2026-11-26T03:00:00Z", "2026-11-24T10:00:00Z",
         "2026-11-26T00:30:00Z", "2026-11-26T03:00:00Z"},
        // Mon 23 09:00 → Tue 10:00; parked when already an hour late (Tue 11:00) until Thu 09:30:
        // Tue 1 h + 3.5 h, Thu 1 h = 5.5 h → Tue 18:00, still an hour late in working time.
        {"parked after its deadline", "wt-8h", "2026-11-23T01:00:00Z", "2026-11-24T02:00:00Z", "2026-11-24T03:00:00Z",
         "2026-11-26T01:30:00Z", "2026-11-24T10:00:00Z"},
        // Thu 3 Dec + 2 working days: Fri 4, Sat 5 (调休) → Sat 18:00. Parked Fri 18:00 → Mon 7
        // 08:30: the whole 调休 Saturday (7 h) passed → Mon 18:00.
        {"across a 调休 weekend", "wt-2d", "2026-12-03T02:00:00Z", "2026-12-05T10:00:00Z", "2026-12-04T10:00:00Z",
         "2026-12-07T00:30:00Z", "2026-12-07T10:00:00Z"},
    };
    for (const auto& k : cases) {
        SCOPED_TRACE(k.what);
        const auto t = accepted_at(k.accept, k.category);
        const auto id = t["id"].get<std::int64_t>();
        EXPECT_EQ(t["deadline_at"], k.deadline);
        c.set_clock(k.park);
        const auto parked =
            c.ok(c.m1, id, {{"action", "park"}, {"reason", "待拨款"}, {"until", "2027-01-31T00:00:00Z"}});
        EXPECT_EQ(parked["status"], "parked");
        EXPECT_EQ(parked["deadline_light"], nullptr);
        c.set_clock(k.unpark);
        const auto back = c.ok(c.m1, id, {{"action", "unpark"}});
        EXPECT_EQ(back["status"], t["status"]);
        EXPECT_EQ(back["deadline_at"], k.moved);
    }
}

// The working time parked is kept, so a deadline recomputed by set_category keeps it — in working
// time for a working-time category, in calendar time for a calendar-hour one.
TEST_F(WorkTime, SetCategoryAfterUnparkKeepsTheTimeParkedInTheNewCategorysMeasure) {
    category("wt-8h", "sla_work_hours", 8);
    category("wt-9h", "sla_work_hours", 9);
    const auto id = accepted_at("2026-11-20T07:00:00Z", "wt-8h")["id"].get<std::int64_t>();  // Fri 15:00
    c.set_clock("2026-11-20T09:00:00Z");                                                     // Fri 17:00
    c.ok(c.m1, id, {{"action", "park"}, {"reason", "待拨款"}, {"until", "2026-12-31T00:00:00Z"}});
    c.set_clock("2026-11-23T01:00:00Z");  // Mon 09:00: 1.5 working hours, 64 calendar hours parked
    EXPECT_EQ(c.ok(c.m1, id, {{"action", "unpark"}})["deadline_at"], "2026-11-23T09:30:00Z");
    // 9 working hours from Fri 15:00 → Mon 17:00, + 1.5 h parked → Tue 09:00.
    auto t = c.ok(c.m1, id, {{"action", "set_category"}, {"category", "wt-9h"}});
    EXPECT_EQ(t["deadline_at"], "2026-11-24T01:00:00Z");
    // 24 calendar hours from Fri 07:00Z → Sat 07:00Z, + the 64 h parked → Mon 23:00Z.
    t = c.ok(c.m1, id, {{"action", "set_category"}, {"category", "t-garbage"}});
    EXPECT_EQ(t["deadline_at"], "2026-11-23T23:00:00Z");
}

}  // namespace
