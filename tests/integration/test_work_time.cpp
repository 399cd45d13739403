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

}  // namespace
