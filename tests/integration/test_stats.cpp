// API.md §8 over real HTTP: every closure figure against hand-computed expectations on a
// crafted dataset built through the API (rejections, duplicates, rework by a manager and by a
// low rating, an extension, overdue tickets via the test clock, ratings), each grouping, the
// manager's scope, the error paths, the supervision list, the weekly bulletin (JSON and CSV),
// the points figures, and `civicsnapd check` over the running sums.
#include "kiosk_support.hpp"
#include "ledger_support.hpp"
#include "ticket_city.hpp"

#include <optional>

using namespace civic::test;
using nlohmann::json;

namespace {

// Times of the scenario. T0 = kStart = 2026-11-20T00:00:00Z, a Friday of ISO week 2026-W47
// (Monday 2026-11-16 00:00 in Shanghai = 2026-11-15T16:00:00Z).
constexpr const char* kMinus2h = "2026-11-19T22:00:00Z";
constexpr const char* kMinus20m = "2026-11-19T23:40:00Z";
constexpr const char* kPlus1h = "2026-11-20T01:00:00Z";
constexpr const char* kPlus1h10m = "2026-11-20T01:10:00Z";
constexpr const char* kPlus1h30m = "2026-11-20T01:30:00Z";
constexpr const char* kPlus2h = "2026-11-20T02:00:00Z";
constexpr const char* kPlus3h = "2026-11-20T03:00:00Z";
constexpr const char* kPlus4h = "2026-11-20T04:00:00Z";
constexpr const char* kPlus30h = "2026-11-21T06:00:00Z";
constexpr const char* kNow = "2026-11-22T00:00:00Z";  // T0 + 48 h: when the figures are read

// A window whose edges are not whole hours: [T0 - 30 min, T0 + 90 min).
const std::string kWindow = "from=2026-11-19T23:30:00Z&to=2026-11-20T01:30:00Z";

struct Expect {
    std::int64_t received = 0, accepted = 0, rejected = 0, duplicate = 0, closed = 0, closed_on_time = 0,
                 overdue_open = 0, due = 0, resolved_ever = 0, reworked = 0, extended = 0;
    std::optional<double> closure_rate, on_time_rate, rework_rate, handled_rate, avg_hours_to_close, satisfaction;
};

void expect_ratio(const json& v, const std::optional<double>& want, const char* name, const std::string& where) {
    if (!want) {
        EXPECT_TRUE(v.is_null()) << where << " " << name << " = " << v;
        return;
    }
    ASSERT_TRUE(v.is_number()) << where << " " << name << " = " << v;
    EXPECT_NEAR(v.get<double>(), *want, 1e-9) << where << " " << name;
}

void expect_figures(const json& f, const Expect& e, const std::string& where) {
    EXPECT_EQ(f["received"], e.received) << where;
    EXPECT_EQ(f["accepted"], e.accepted) << where;
    EXPECT_EQ(f["rejected"], e.rejected) << where;
    EXPECT_EQ(f["duplicate"], e.duplicate) << where;
    EXPECT_EQ(f["closed"], e.closed) << where;
    EXPECT_EQ(f["closed_on_time"], e.closed_on_time) << where;
    EXPECT_EQ(f["overdue_open"], e.overdue_open) << where;
    EXPECT_EQ(f["due"], e.due) << where;
    EXPECT_EQ(f["resolved_ever"], e.resolved_ever) << where;
    EXPECT_EQ(f["reworked"], e.reworked) << where;
    EXPECT_EQ(f["extended"], e.extended) << where;
    expect_ratio(f["closure_rate"], e.closure_rate, "closure_rate", where);
    expect_ratio(f["on_time_rate"], e.on_time_rate, "on_time_rate", where);
    expect_ratio(f["rework_rate"], e.rework_rate, "rework_rate", where);
    expect_ratio(f["handled_rate"], e.handled_rate, "handled_rate", where);
    expect_ratio(f["avg_hours_to_close"], e.avg_hours_to_close, "avg_hours_to_close", where);
    expect_ratio(f["satisfaction"], e.satisfaction, "satisfaction", where);
}

// The expected figures, worked out by hand from the scenario below (see the table there).
const Expect kTotal{12, 7, 1, 1, 3, 2, 4, 7, 4, 2, 1, 3.0 / 7, 2.0 / 7, 0.5, 5.0 / 12, 12.0, 3.5};
const Expect kG1{7, 3, 1, 1, 2, 1, 1, 3, 2, 1, 1, 2.0 / 3, 1.0 / 3, 0.5, 4.0 / 7, 16.5, 5.0};
const Expect kG2{4, 4, 0, 0, 1, 1, 3, 4, 2, 1, 0, 0.25, 0.25, 0.5, 0.25, 3.0, 2.0};
const Expect kOutside{
    1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, std::nullopt, std::nullopt, std::nullopt, 0.0, std::nullopt, std::nullopt};
const Expect kEmpty{
    0,           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, std::nullopt, std::nullopt, std::nullopt, std::nullopt, std::nullopt,
    std::nullopt};

struct StatsCity : ::testing::Test {
    Daemon d;
    TicketCity c{d};
    std::int64_t g3 = 0;
    std::int64_t k = 0, p = 0, a = 0, b = 0, cc = 0, dd = 0, e = 0, f = 0, g = 0, h = 0, i = 0, j = 0, q = 0, l = 0;

    std::int64_t submit(const Person& who, std::int64_t grid, const std::string& category = "t-garbage") {
        if (grid == 0) return c.submit(who, 103.0, 23.0, category)["id"].get<std::int64_t>();  // outside every grid
        if (grid == c.g1) return c.submit(who, 103.375, 23.375, category)["id"].get<std::int64_t>();
        return c.submit(who, 103.405, 23.405, category)["id"].get<std::int64_t>();
    }
    void assign(const Person& manager, std::int64_t id, const Person& worker) {
        c.ok(manager, id, {{"action", "assign"}, {"worker_id", worker.id}});
    }
    void rate(const Person& reporter, std::int64_t id, int stars) {
        auto r = d.post("/api/v1/reports/" + std::to_string(id) + "/rating", {{"rating", stars}}, reporter.token);
        ASSERT_EQ(r.status, 200) << r.body;
    }
    void resolve(const Person& worker, std::int64_t id) { ASSERT_EQ(c.resolve(worker, id).status, 200); }

    // The scenario. Reports (g1 = grid 1, g2 = grid 2; garbage SLA 24 h, manhole 4 h):
    //   K  T0-2h   g1 garbage r1  accepted, assigned, never done        overdue (outside the window)
    //   P  T0-20m  g1 garbage r2  submitted only                         (in the window's first partial hour)
    //   A  T0      g1 garbage r1  w1, resolved +2h, verified +3h         closed on time, 3 h, rated 5
    //   B  T0      g1 garbage r1  w1, resolved +1h, rework +2h, resolved +4h, verified +30h: closed late, 30 h
    //   C  T0      g1 manhole r2  w2, extended +2h (deadline T0+6h), in progress   overdue, extended
    //   D  T0      g1 garbage r2  rejected
    //   E  T0      g1 garbage r2  duplicate of A
    //   F  T0      g1 garbage r1  submitted only
    //   G  T0      g2 manhole r1  w3, resolved +1h, rated 2 (rework) +1h30, resolved and verified +3h: on time
    //   H  T0      g2 garbage r2  accepted, unassigned                   overdue
    //   I  T0      g2 garbage r2  w3, resolved +1h, never verified       overdue (resolved, not closed)
    //   J  T0      outside        submitted only
    //   Q  T0+1h10 g2 garbage r1  accepted +1h10, unassigned             overdue (in the last partial hour)
    //   L  T0+2h   g2 manhole r2  submitted only                         (outside the window)
    void SetUp() override {
        const json ring = json::array({{103.5, 23.5}, {103.51, 23.5}, {103.51, 23.51}, {103.5, 23.51}, {103.5, 23.5}});
        auto r = d.post("/api/v1/admin/grids",
                        {{"code", "T-G3"},
                         {"name", "南区, \"新城\""},
                         {"auto_assign", false},
                         {"boundary", {{"type", "Polygon"}, {"coordinates", json::array({ring})}}}},
                        c.admin);
        ASSERT_EQ(r.status, 201) << r.body;
        g3 = r.json()["id"].get<std::int64_t>();

        c.set_clock(kMinus2h);
        k = submit(c.r1, c.g1);
        c.ok(c.m1, k, {{"action", "accept"}});
        c.set_clock(kMinus20m);
        p = submit(c.r2, c.g1);

        c.set_clock(kStart);
        a = submit(c.r1, c.g1);
        b = submit(c.r1, c.g1);
        cc = submit(c.r2, c.g1, "t-manhole");
        dd = submit(c.r2, c.g1);
        e = submit(c.r2, c.g1);
        f = submit(c.r1, c.g1);
        g = submit(c.r1, c.g2, "t-manhole");
        h = submit(c.r2, c.g2);
        i = submit(c.r2, c.g2);
        j = submit(c.r1, 0);
        for (auto id : {a, b, cc}) c.ok(c.m1, id, {{"action", "accept"}});
        assign(c.m1, a, c.w1);
        assign(c.m1, b, c.w1);
        assign(c.m1, cc, c.w2);
        for (auto id : {a, b}) c.ok(c.w1, id, {{"action", "start"}});
        c.ok(c.w2, cc, {{"action", "start"}});
        c.ok(c.m1, cc, {{"action", "extend"}, {"hours", 2}, {"reason", "等待配件"}});
        c.ok(c.m1, dd, {{"action", "reject"}, {"reason", "不属于城市管理范围"}});
        c.ok(c.m1, e, {{"action", "mark_duplicate"}, {"of", a}});
        for (auto id : {g, h, i}) c.ok(c.m2, id, {{"action", "accept"}});
        assign(c.m2, g, c.w3);
        assign(c.m2, i, c.w3);
        for (auto id : {g, i}) c.ok(c.w3, id, {{"action", "start"}});

        c.set_clock(kPlus1h);
        resolve(c.w1, b);
        resolve(c.w3, g);
        resolve(c.w3, i);
        c.set_clock(kPlus1h10m);
        q = submit(c.r1, c.g2);
        c.ok(c.m2, q, {{"action", "accept"}});
        c.set_clock(kPlus1h30m);
        rate(c.r1, g, 2);  // back to in_progress as rework
        c.set_clock(kPlus2h);
        resolve(c.w1, a);
        c.ok(c.m1, b, {{"action", "rework"}, {"reason", "未清理干净"}});
        l = submit(c.r2, c.g2, "t-manhole");
        c.set_clock(kPlus3h);
        c.ok(c.m1, a, {{"action", "verify"}});
        resolve(c.w3, g);
        c.ok(c.m2, g, {{"action", "verify"}});
        rate(c.r1, a, 5);
        c.set_clock(kPlus4h);
        resolve(c.w1, b);
        c.set_clock(kPlus30h);
        c.ok(c.m1, b, {{"action", "verify"}});
        c.set_clock(kNow);
    }

    json closure(const Person& who, const std::string& query) {
        auto r = d.get("/api/v1/stats/closure?" + query, who.token);
        EXPECT_EQ(r.status, 200) << query << " → " << r.body;
        return r.json();
    }

    // key → group
    static std::map<std::string, json> by_key(const json& body) {
        std::map<std::string, json> out;
        const json& groups = body["groups"];
        for (const auto& gr : groups) out[gr["key"].is_null() ? "null" : gr["key"].dump()] = gr;
        return out;
    }
    static std::string key(std::int64_t id) { return std::to_string(id); }
};

TEST_F(StatsCity, TotalsOverAWindowWithPartialHoursMatchTheHandCount) {
    const auto body = closure(c.dispatcher, kWindow);
    EXPECT_EQ(body["from"], "2026-11-19T23:30:00Z");
    EXPECT_EQ(body["to"], "2026-11-20T01:30:00Z");
    EXPECT_EQ(body["as_of"], kNow);
    EXPECT_TRUE(body["groups"].empty());  // group_by defaults to none
    expect_figures(body["total"], kTotal, "total");
    // The same window asked as group_by=none explicitly; an admin sees what a dispatcher sees.
    expect_figures(closure(c.dispatcher, kWindow + "&group_by=none")["total"], kTotal, "none");
    auto admin = d.get("/api/v1/stats/closure?" + kWindow, c.admin);
    ASSERT_EQ(admin.status, 200) << admin.body;
    expect_figures(admin.json()["total"], kTotal, "admin");
}

TEST_F(StatsCity, WholeHourWindowsAndTheWeekAddUp) {
    // [T0, T0+1h): the ten reports created at T0 only (A–J), all from the running sums.
    const auto hour = closure(c.dispatcher, "from=2026-11-20T00:00:00Z&to=2026-11-20T01:00:00Z")["total"];
    EXPECT_EQ(hour["received"], 10);
    EXPECT_EQ(hour["overdue_open"], 3);  // C, H, I
    // The whole ISO week also counts K and L.
    const auto week = closure(c.dispatcher, "from=2026-11-15T16:00:00Z&to=2026-11-22T16:00:00Z")["total"];
    EXPECT_EQ(week["received"], 14);
    EXPECT_EQ(week["accepted"], 8);
    EXPECT_EQ(week["overdue_open"], 5);
    // A window of one second around a report's creation, and an empty one.
    EXPECT_EQ(closure(c.dispatcher, "from=2026-11-20T01:10:00Z&to=2026-11-20T01:10:01Z")["total"]["received"], 1);
    expect_figures(closure(c.dispatcher, "from=2026-10-01T00:00:00Z&to=2026-10-02T00:00:00Z")["total"], kEmpty,
                   "empty window");
}

TEST_F(StatsCity, OverdueIsJudgedAtTheServersClock) {
    // Before any deadline has passed nothing is overdue and only closed tickets are due.
    c.set_clock("2026-11-20T05:00:00Z");
    const auto early = closure(c.dispatcher, kWindow)["total"];
    EXPECT_EQ(early["overdue_open"], 0);
    EXPECT_EQ(early["due"], 3);
    EXPECT_NEAR(early["closure_rate"].get<double>(), 1.0, 1e-9);
    // C's extended deadline (T0+6h) passes first.
    c.set_clock("2026-11-20T06:00:01Z");
    EXPECT_EQ(closure(c.dispatcher, kWindow)["total"]["overdue_open"], 1);
}

TEST_F(StatsCity, GroupByGridListsEveryGridAndTheReportsOutsideThemLast) {
    const auto body = closure(c.dispatcher, kWindow + "&group_by=grid");
    const auto& groups = body["groups"];
    ASSERT_EQ(groups.size(), 4u) << body.dump();
    EXPECT_EQ(groups[0]["key"], c.g1);
    EXPECT_EQ(groups[0]["name"], "T-G1");
    EXPECT_EQ(groups[1]["key"], c.g2);
    EXPECT_EQ(groups[2]["key"], g3);
    EXPECT_EQ(groups[2]["name"], "南区, \"新城\"");
    EXPECT_TRUE(groups[3]["key"].is_null());
    expect_figures(groups[0], kG1, "g1");
    expect_figures(groups[1], kG2, "g2");
    expect_figures(groups[2], kEmpty, "g3");
    expect_figures(groups[3], kOutside, "outside");
    expect_figures(body["total"], kTotal, "total");
}

TEST_F(StatsCity, GroupByCategory) {
    const auto body = closure(c.dispatcher, kWindow + "&group_by=category");
    auto groups = by_key(body);
    ASSERT_EQ(groups.size(), 2u) << body.dump();
    EXPECT_EQ(body["groups"][0]["key"], "t-garbage");
    EXPECT_EQ(body["groups"][1]["key"], "t-manhole");
    expect_figures(groups["\"t-garbage\""], {10, 5, 1, 1, 2, 1, 3, 5, 3, 1, 0, 0.4, 0.2, 1.0 / 3, 0.4, 16.5, 5.0},
                   "garbage");
    expect_figures(groups["\"t-manhole\""], {2, 2, 0, 0, 1, 1, 1, 2, 1, 1, 1, 0.5, 0.5, 1.0, 0.5, 3.0, 2.0}, "manhole");
}

TEST_F(StatsCity, GroupByWorkerUsesTheCurrentAssignee) {
    const auto body = closure(c.dispatcher, kWindow + "&group_by=worker");
    auto groups = by_key(body);
    ASSERT_EQ(groups.size(), 4u) << body.dump();
    EXPECT_EQ(body["groups"][0]["key"], c.w1.id);
    EXPECT_TRUE(body["groups"][3]["key"].is_null());
    EXPECT_EQ(body["groups"][3]["name"], "unassigned");
    expect_figures(groups[key(c.w1.id)], {2, 2, 0, 0, 2, 1, 0, 2, 2, 1, 0, 1.0, 0.5, 0.5, 1.0, 16.5, 5.0}, "w1");
    expect_figures(groups[key(c.w2.id)],
                   {1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0.0, 0.0, std::nullopt, 0.0, std::nullopt, std::nullopt}, "w2");
    expect_figures(groups[key(c.w3.id)], {2, 2, 0, 0, 1, 1, 1, 2, 2, 1, 0, 0.5, 0.5, 0.5, 0.5, 3.0, 2.0}, "w3");
    expect_figures(groups["null"],
                   {7, 2, 1, 1, 0, 0, 2, 2, 0, 0, 0, 0.0, 0.0, std::nullopt, 2.0 / 7, std::nullopt, std::nullopt},
                   "unassigned");
}

TEST_F(StatsCity, ManagersSeeOnlyTheirGrids) {
    const auto body = closure(c.m1, kWindow + "&group_by=grid");
    ASSERT_EQ(body["groups"].size(), 1u) << body.dump();
    EXPECT_EQ(body["groups"][0]["key"], c.g1);
    expect_figures(body["groups"][0], kG1, "m1 g1");
    expect_figures(body["total"], kG1, "m1 total");
    expect_figures(closure(c.m2, kWindow)["total"], kG2, "m2 total");
    expect_figures(closure(c.m1, kWindow + "&grid_id=" + key(c.g1))["total"], kG1, "m1 own grid");

    // Workers: only the work inside the manager's grids; w3 (grid 2) is not listed.
    const auto workers = closure(c.m1, kWindow + "&group_by=worker");
    auto groups = by_key(workers);
    ASSERT_EQ(groups.size(), 3u) << workers.dump();
    EXPECT_TRUE(groups.contains(key(c.w1.id)));
    EXPECT_TRUE(groups.contains(key(c.w2.id)));
    EXPECT_FALSE(groups.contains(key(c.w3.id)));
    EXPECT_EQ(groups["null"]["received"], 4);  // P, D, E, F

    // Another grid's figures: 403, for a manager only.
    auto other = d.get("/api/v1/stats/closure?" + kWindow + "&grid_id=" + key(c.g2), c.m1.token);
    EXPECT_EQ(other.status, 403);
    EXPECT_EQ(other.error_code(), "forbidden");
    expect_figures(closure(c.dispatcher, kWindow + "&grid_id=" + key(c.g2))["total"], kG2, "dispatcher g2");
}

TEST_F(StatsCity, ClosureRefusesStrangersAndBadQueries) {
    const std::string path = "/api/v1/stats/closure?";
    EXPECT_EQ(d.get(path + kWindow).status, 401);
    EXPECT_EQ(d.get(path + kWindow).error_code(), "unauthorized");
    EXPECT_EQ(d.get(path + kWindow, "not-a-token").status, 401);
    EXPECT_EQ(d.get(path + kWindow, c.r1.token).error_code(), "forbidden");
    EXPECT_EQ(d.get(path + kWindow, c.w1.token).status, 403);

    auto field_of = [&](const std::string& query) {
        auto r = d.get(path + query, c.dispatcher.token);
        EXPECT_EQ(r.status, 400) << query << " → " << r.body;
        EXPECT_EQ(r.error_code(), "invalid_field") << query;
        return r.json()["error"].value("field", "");
    };
    EXPECT_EQ(field_of("to=2026-11-20T01:30:00Z"), "from");
    EXPECT_EQ(field_of("from=2026-11-20T00:00:00Z"), "to");
    EXPECT_EQ(field_of("from=2026-11-20&to=2026-11-21T00:00:00Z"), "from");
    EXPECT_EQ(field_of("from=yesterday&to=2026-11-21T00:00:00Z"), "from");
    EXPECT_EQ(field_of("from=2026-11-20T00:00:00Z&to=2026-13-01T00:00:00Z"), "to");
    EXPECT_EQ(field_of("from=2026-11-21T00:00:00Z&to=2026-11-20T00:00:00Z"), "to");
    EXPECT_EQ(field_of("from=2026-11-20T00:00:00Z&to=2026-11-20T00:00:00Z"), "to");
    EXPECT_EQ(field_of("from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z"), "to");  // over 400 days
    EXPECT_EQ(field_of("from=1969-12-31T00:00:00Z&to=1970-01-02T00:00:00Z"), "from");
    EXPECT_EQ(field_of(kWindow + "&group_by=street"), "group_by");
    EXPECT_EQ(field_of(kWindow + "&grid_id=abc"), "grid_id");
    EXPECT_EQ(field_of(kWindow + "&grid_id=99999"), "grid_id");
    // A malformed escape in the query string is a bad request.
    auto bad = d.get(path + "from=%zz&to=2026-11-21T00:00:00Z", c.dispatcher.token);
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(d.request("POST", path + kWindow, "", {{"Authorization", "Bearer " + c.dispatcher.token}}).status, 405);
}

TEST_F(StatsCity, SupervisionListsOverdueOpenTicketsMostOverdueFirst) {
    auto r = d.get("/api/v1/supervision", c.dispatcher.token);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto body = r.json();
    const json& items = body["items"];
    // Deadlines: C T0+6h, K T0+22h, H and I T0+24h (lower id first), Q T0+25h10m; now T0+48h.
    std::vector<std::int64_t> ids;
    for (const auto& it : items) ids.push_back(it["id"].get<std::int64_t>());
    EXPECT_EQ(ids, (std::vector<std::int64_t>{cc, k, h, i, q}));
    ASSERT_EQ(items.size(), 5u);
    EXPECT_DOUBLE_EQ(items[0]["hours_overdue"].get<double>(), 42.0);
    EXPECT_DOUBLE_EQ(items[1]["hours_overdue"].get<double>(), 26.0);
    EXPECT_DOUBLE_EQ(items[2]["hours_overdue"].get<double>(), 24.0);
    EXPECT_DOUBLE_EQ(items[4]["hours_overdue"].get<double>(), 22.83);
    // Each item is the report object.
    EXPECT_EQ(items[0]["status"], "in_progress");
    EXPECT_EQ(items[0]["deadline_light"], "red");
    EXPECT_EQ(items[0]["deadline_at"], "2026-11-20T06:00:00Z");
    EXPECT_EQ(items[0]["rework_count"], 0);
    EXPECT_EQ(items[3]["status"], "resolved");  // resolved but never verified: still due
    EXPECT_TRUE(items[0].contains("photos"));
    EXPECT_TRUE(body["next_cursor"].is_null());

    // Paging keeps the order.
    auto page1 = d.get("/api/v1/supervision?limit=2", c.dispatcher.token).json();
    ASSERT_EQ(page1["items"].size(), 2u);
    EXPECT_EQ(page1["items"][1]["id"], k);
    ASSERT_TRUE(page1["next_cursor"].is_string());
    auto page2 =
        d.get("/api/v1/supervision?limit=2&cursor=" + page1["next_cursor"].get<std::string>(), c.dispatcher.token)
            .json();
    ASSERT_EQ(page2["items"].size(), 2u);
    EXPECT_EQ(page2["items"][0]["id"], h);
    auto page3 =
        d.get("/api/v1/supervision?limit=2&cursor=" + page2["next_cursor"].get<std::string>(), c.dispatcher.token)
            .json();
    ASSERT_EQ(page3["items"].size(), 1u);
    EXPECT_EQ(page3["items"][0]["id"], q);
    EXPECT_TRUE(page3["next_cursor"].is_null());

    // Managers: their grids only.
    std::vector<std::int64_t> m1_ids, m2_ids;
    const auto m1_body = d.get("/api/v1/supervision", c.m1.token).json();
    for (const auto& it : m1_body["items"]) m1_ids.push_back(it["id"].get<std::int64_t>());
    const auto m2_body = d.get("/api/v1/supervision", c.m2.token).json();
    for (const auto& it : m2_body["items"]) m2_ids.push_back(it["id"].get<std::int64_t>());
    EXPECT_EQ(m1_ids, (std::vector<std::int64_t>{cc, k}));
    EXPECT_EQ(m2_ids, (std::vector<std::int64_t>{h, i, q}));

    // Closing a ticket takes it off the list.
    c.ok(c.m2, i, {{"action", "verify"}});
    EXPECT_EQ(d.get("/api/v1/supervision", c.m2.token).json()["items"].size(), 2u);

    EXPECT_EQ(d.get("/api/v1/supervision").status, 401);
    EXPECT_EQ(d.get("/api/v1/supervision", c.r1.token).status, 403);
    EXPECT_EQ(d.get("/api/v1/supervision", c.w1.token).status, 403);
    EXPECT_EQ(d.get("/api/v1/supervision?limit=0", c.dispatcher.token).json()["error"]["field"], "limit");
    EXPECT_EQ(d.get("/api/v1/supervision?limit=201", c.dispatcher.token).json()["error"]["field"], "limit");
    EXPECT_EQ(d.get("/api/v1/supervision?cursor=bogus", c.dispatcher.token).json()["error"]["field"], "cursor");
}

// A small RFC 4180 reader for the test: quoted fields, doubled quotes, CRLF records.
std::vector<std::vector<std::string>> parse_csv(const std::string& text, bool& well_formed) {
    std::vector<std::vector<std::string>> rows(1, std::vector<std::string>(1));
    well_formed = true;
    bool quoted = false;
    for (std::size_t n = 0; n < text.size(); ++n) {
        const char ch = text[n];
        auto& field = rows.back().back();
        if (quoted) {
            if (ch == '"' && n + 1 < text.size() && text[n + 1] == '"') {
                field += '"';
                ++n;
            } else if (ch == '"') {
                quoted = false;
            } else {
                field += ch;
            }
        } else if (ch == '"') {
            if (!field.empty()) well_formed = false;
            quoted = true;
        } else if (ch == ',') {
            rows.back().emplace_back();
        } else if (ch == '\r') {
            if (n + 1 >= text.size() || text[n + 1] != '\n') well_formed = false;
            ++n;
            rows.emplace_back(1);
        } else if (ch == '\n') {
            well_formed = false;  // bare LF
        } else {
            field += ch;
        }
    }
    if (quoted) well_formed = false;
    if (rows.back().size() == 1 && rows.back()[0].empty()) rows.pop_back();  // after the last CRLF
    return rows;
}

TEST_F(StatsCity, WeeklyBulletinRanksGridsAndListsOverdueAndTopReporters) {
    auto r = d.get("/api/v1/bulletins/weekly?week=2026-W47", c.dispatcher.token);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto body = r.json();
    EXPECT_EQ(body["week"], "2026-W47");
    EXPECT_EQ(body["from"], "2026-11-15T16:00:00Z");  // Monday 00:00 in Asia/Shanghai
    EXPECT_EQ(body["to"], "2026-11-22T16:00:00Z");
    const json& grids = body["grids"];
    ASSERT_EQ(grids.size(), 3u) << body.dump();
    // g1 with K: 2 closed of 4 due; g2 with L: 1 of 4; g3 has nothing due (null, last).
    EXPECT_EQ(grids[0]["key"], c.g1);
    EXPECT_EQ(grids[0]["rank"], 1);
    EXPECT_NEAR(grids[0]["closure_rate"].get<double>(), 0.5, 1e-9);
    EXPECT_EQ(grids[0]["received"], 8);
    EXPECT_EQ(grids[1]["key"], c.g2);
    EXPECT_NEAR(grids[1]["closure_rate"].get<double>(), 0.25, 1e-9);
    EXPECT_EQ(grids[1]["received"], 5);
    EXPECT_EQ(grids[2]["key"], g3);
    EXPECT_TRUE(grids[2]["closure_rate"].is_null());
    EXPECT_EQ(grids[2]["rank"], 3);
    EXPECT_EQ(body["total"]["received"], 14);  // J (outside every grid) counts in the total only

    std::vector<std::int64_t> overdue;
    for (const auto& it : body["overdue"]) overdue.push_back(it["id"].get<std::int64_t>());
    EXPECT_EQ(overdue, (std::vector<std::int64_t>{cc, k, h, i, q}));
    EXPECT_DOUBLE_EQ(body["overdue"][0]["hours_overdue"].get<double>(), 42.0);
    EXPECT_EQ(body["overdue"][0]["grid_id"], c.g1);

    // r1: K A B F G J Q (7 received, 5 accepted, 3 closed); r2: P C D E H I L (7, 3, 0).
    const json& top = body["top_reporters"];
    ASSERT_EQ(top.size(), 2u);
    EXPECT_EQ(top[0]["accepted"], 5);
    EXPECT_EQ(top[0]["closed"], 3);
    EXPECT_EQ(top[0]["received"], 7);
    EXPECT_EQ(top[1]["accepted"], 3);
    EXPECT_EQ(top[0]["display_name"], "测***");  // masked
    EXPECT_FALSE(top[0].contains("user_id"));

    // Another week: no reports, every grid listed with nulls.
    const auto other = d.get("/api/v1/bulletins/weekly?week=2026-W40", c.dispatcher.token).json();
    EXPECT_EQ(other["grids"].size(), 3u);
    EXPECT_TRUE(other["overdue"].empty());
    EXPECT_TRUE(other["top_reporters"].empty());
}

TEST_F(StatsCity, WeeklyBulletinAsCsv) {
    auto r = d.get("/api/v1/bulletins/weekly?week=2026-W47&format=csv", c.admin);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("content-type"), "text/csv; charset=utf-8");
    EXPECT_NE(r.header("content-disposition").find("bulletin-2026-W47.csv"), std::string::npos);
    // The grid name with a comma and quotes is quoted, its quotes doubled; UTF-8 passes through.
    EXPECT_NE(r.body.find(",\"南区, \"\"新城\"\"\","), std::string::npos) << r.body;
    bool well_formed = false;
    const auto rows = parse_csv(r.body, well_formed);
    EXPECT_TRUE(well_formed) << r.body;
    ASSERT_EQ(rows.size(), 4u) << r.body;
    const std::vector<std::string> header = {
        "rank",         "grid_id",       "grid_name",    "received",           "accepted",
        "rejected",     "duplicate",     "closed",       "closed_on_time",     "overdue_open",
        "due",          "resolved_ever", "reworked",     "extended",           "closure_rate",
        "on_time_rate", "rework_rate",   "handled_rate", "avg_hours_to_close", "satisfaction",
        "checked",      "refuted",       "parked",       "self_handled",       "voided"};
    EXPECT_EQ(rows[0], header);
    for (const auto& row : rows) EXPECT_EQ(row.size(), header.size());
    EXPECT_EQ(rows[1][0], "1");
    EXPECT_EQ(rows[1][1], std::to_string(c.g1));
    EXPECT_EQ(rows[1][2], "T-G1");
    EXPECT_EQ(rows[1][3], "8");
    EXPECT_EQ(rows[1][14], "0.5000");
    EXPECT_EQ(rows[2][14], "0.2500");
    EXPECT_EQ(rows[3][2], "南区, \"新城\"");
    EXPECT_EQ(rows[3][14], "");  // null
}

TEST_F(StatsCity, WeeklyBulletinRefusals) {
    const std::string path = "/api/v1/bulletins/weekly?week=";
    EXPECT_EQ(d.get(path + "2026-W47").status, 401);
    EXPECT_EQ(d.get(path + "2026-W47", c.m1.token).status, 403);
    EXPECT_EQ(d.get(path + "2026-W47", c.r1.token).status, 403);
    for (const char* week : {"", "2026-W54", "2026-W00", "2026-47", "2026W47", "W47"}) {
        auto r = d.get(path + week, c.dispatcher.token);
        EXPECT_EQ(r.status, 400) << week;
        EXPECT_EQ(r.json()["error"]["field"], "week") << week;
    }
    EXPECT_EQ(d.get("/api/v1/bulletins/weekly", c.dispatcher.token).json()["error"]["field"], "week");
    EXPECT_EQ(d.get(path + "2026-W47&format=xml", c.dispatcher.token).json()["error"]["field"], "format");
    EXPECT_EQ(d.get(path + "2026-W53", c.dispatcher.token).status, 200);  // 2026 has 53 ISO weeks
}

TEST_F(StatsCity, RunningSumsAgreeWithARecomputation) {
    const auto r = run_ledger_check(d.data_dir());
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("closure statistics agree"), std::string::npos) << r.output;
}

// Points figures straight from the ledger.
TEST(StatsPoints, FiguresFollowTheLedger) {
    Daemon d;
    TicketCity c{d};
    auto stats = [&] {
        auto r = d.get("/api/v1/stats/points", c.dispatcher.token);
        EXPECT_EQ(r.status, 200) << r.body;
        return r.json();
    };
    const auto empty = stats();
    for (const char* f :
         {"issued", "redeemed", "donated", "honour_exchanged", "credit_exchanged", "voided", "outstanding"})
        EXPECT_EQ(empty[f], 0) << f;

    // 5 on accept, 10 on verify; 200 by an admin adjustment.
    const auto id = c.submit(c.r1)["id"].get<std::int64_t>();
    c.ok(c.m1, id, {{"action", "accept"}});
    const auto worker = c.get(c.m1, id)["assignee_id"].get<std::int64_t>() == c.w1.id ? c.w1 : c.w2;
    c.ok(worker, id, {{"action", "start"}});
    ASSERT_EQ(c.resolve(worker, id).status, 200);
    c.ok(c.m1, id, {{"action", "verify"}});
    grant_points(d, c.r1.id, 200);

    ASSERT_EQ(d.post("/api/v1/me/donations", {{"fund", "charity"}, {"points", 20}}, c.r1.token).status, 201);
    ASSERT_EQ(d.post("/api/v1/me/exchanges", {{"type", "credit"}, {"points", 30}}, c.r1.token).status, 201);
    add_reward(d, "HONOUR-1", 40, 5, "honour");
    ASSERT_EQ(d.post("/api/v1/me/exchanges", {{"type", "honour"}, {"sku", "HONOUR-1"}}, c.r1.token).status, 201);

    // Kiosks sign with the wall clock: back to the real clock for them.
    auto real = d.post("/api/v1/admin/clock", {{"now", nullptr}}, c.admin);
    ASSERT_EQ(real.status, 200) << real.body;
    add_reward(d, "SOAP", 25, 10);
    const auto kiosk = register_kiosk(d);
    auto first = kiosk_redeem(d, kiosk, redeem_token(d, c.r1.token), json::array({{{"sku", "SOAP"}, {"qty", 2}}}),
                              "stats-order-1");
    ASSERT_EQ(first.status, 201) << first.body;
    auto second = kiosk_redeem(d, kiosk, redeem_token(d, c.r1.token), json::array({{{"sku", "SOAP"}, {"qty", 1}}}),
                               "stats-order-2");
    ASSERT_EQ(second.status, 201) << second.body;
    ASSERT_EQ(kiosk_void(d, kiosk, second.json()["id"].get<std::int64_t>()).status, 200);

    const auto s = stats();
    EXPECT_EQ(s["issued"], 215);
    EXPECT_EQ(s["donated"], 20);
    EXPECT_EQ(s["credit_exchanged"], 30);
    EXPECT_EQ(s["honour_exchanged"], 40);
    EXPECT_EQ(s["redeemed"], 75);  // gross: both redemptions
    EXPECT_EQ(s["voided"], 25);
    EXPECT_EQ(s["outstanding"], 75);
    EXPECT_EQ(s["outstanding"], balance_of(d, c.r1.token));
    // The identity the figures obey.
    EXPECT_EQ(s["outstanding"].get<std::int64_t>(),
              s["issued"].get<std::int64_t>() - s["redeemed"].get<std::int64_t>() + s["voided"].get<std::int64_t>() -
                  s["donated"].get<std::int64_t>() - s["honour_exchanged"].get<std::int64_t>() -
                  s["credit_exchanged"].get<std::int64_t>());

    EXPECT_EQ(d.get("/api/v1/stats/points").status, 401);
    EXPECT_EQ(d.get("/api/v1/stats/points", c.m1.token).status, 403);
    EXPECT_EQ(d.get("/api/v1/stats/points", c.r1.token).status, 403);
    EXPECT_EQ(d.get("/api/v1/stats/points", c.admin).status, 200);
}

}  // namespace
