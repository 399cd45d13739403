// API.md §4 "Statistics": GET /api/v1/stats/scorecards for workers (按期处置率, 回退, 返工),
// managers (准确派遣率) and residents (有效上报率), the managers' scope, and its errors.
#include "ticket_city.hpp"

using namespace civic::test;
using nlohmann::json;

namespace {

constexpr const char* kWindow = "from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z";

struct Scorecards : ::testing::Test {
    Daemon d;
    TicketCity c{d};

    json items(const std::string& role, const std::string& token) {
        auto r = d.get(std::string("/api/v1/stats/scorecards?") + kWindow + "&role=" + role, token);
        EXPECT_EQ(r.status, 200) << r.body;
        return r.json()["items"];
    }
    static json of(const json& list, std::int64_t user_id) {
        for (const auto& item : list)
            if (item["user_id"] == user_id) return item;
        return nullptr;
    }
};

TEST_F(Scorecards, FiguresForWorkersManagersAndResidents) {
    // g1 auto-assigns to w1: closed on time.
    const auto a = c.submit(c.r1)["id"].get<std::int64_t>();
    c.ok(c.m1, a, {{"action", "accept"}});
    c.ok(c.w1, a, {{"action", "start"}});
    ASSERT_EQ(c.resolve(c.w1, a).status, 200);
    c.ok(c.m1, a, {{"action", "rework"}, {"reason", "没扫干净"}});
    ASSERT_EQ(c.resolve(c.w1, a).status, 200);
    c.ok(c.m1, a, {{"action", "verify"}});
    // g2 (no auto-assign): m2 dispatches to w3 twice; w3 returns it once.
    const auto b = c.submit(c.r1, 103.405, 23.405)["id"].get<std::int64_t>();
    c.ok(c.m2, b, {{"action", "accept"}});
    c.ok(c.m2, b, {{"action", "assign"}, {"worker_id", c.w3.id}});
    c.ok(c.w3, b, {{"action", "return"}, {"reason", "不归我管"}});
    c.ok(c.m2, b, {{"action", "assign"}, {"worker_id", c.w3.id}});
    // r2: one rejected report.
    const auto x = c.submit(c.r2)["id"].get<std::int64_t>();
    c.ok(c.m1, x, {{"action", "reject"}, {"reason", "不属实"}});

    const auto workers = items("worker", c.dispatcher.token);
    const auto w1 = of(workers, c.w1.id);
    ASSERT_TRUE(w1.is_object()) << workers.dump();
    EXPECT_EQ(w1["assigned"], 1);
    EXPECT_EQ(w1["closed"], 1);
    EXPECT_EQ(w1["closed_on_time"], 1);
    EXPECT_EQ(w1["on_time_rate"], 1.0);
    EXPECT_EQ(w1["reworked"], 1);
    EXPECT_EQ(w1["returned"], 0);
    EXPECT_EQ(w1["self_handled"], 0);
    const auto w3 = of(workers, c.w3.id);
    EXPECT_EQ(w3["returned"], 1);
    EXPECT_EQ(w3["assigned"], 1);
    EXPECT_EQ(w3["on_time_rate"], nullptr);  // nothing due yet

    const auto managers = items("manager", c.admin);
    const auto m2 = of(managers, c.m2.id);
    EXPECT_EQ(m2["dispatched"], 2);
    EXPECT_EQ(m2["returned"], 1);
    EXPECT_EQ(m2["dispatch_accuracy"], 0.5);
    EXPECT_EQ(of(managers, c.m1.id), nullptr);  // auto-assignment is nobody's dispatch

    const auto residents = items("resident", c.admin);
    EXPECT_EQ(of(residents, c.r1.id)["reports"], 2);
    EXPECT_EQ(of(residents, c.r1.id)["valid_rate"], 1.0);
    EXPECT_EQ(of(residents, c.r2.id)["valid_rate"], 0.0);

    // A manager sees their grids only: m1 sees nothing of g2.
    EXPECT_EQ(of(items("worker", c.m1.token), c.w3.id), nullptr);
    EXPECT_EQ(of(items("manager", c.m1.token), c.m2.id), nullptr);
    EXPECT_EQ(of(items("resident", c.m1.token), c.r1.id)["reports"], 1);
}

TEST_F(Scorecards, ErrorsNameTheFieldAndOtherRolesAreRefused) {
    auto r = d.get(std::string("/api/v1/stats/scorecards?") + kWindow + "&role=mayor", c.admin);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.json()["error"]["field"], "role") << r.body;
    r = d.get(std::string("/api/v1/stats/scorecards?") + kWindow, c.admin);
    EXPECT_EQ(r.json()["error"]["field"], "role") << r.body;
    r = d.get("/api/v1/stats/scorecards?to=2026-11-21T00:00:00Z&role=worker", c.admin);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.json()["error"]["field"], "from") << r.body;
    for (const auto* token : {&c.w1.token, &c.r1.token}) {
        r = d.get(std::string("/api/v1/stats/scorecards?") + kWindow + "&role=worker", *token);
        EXPECT_EQ(r.status, 403) << r.body;
    }
    EXPECT_EQ(d.get(std::string("/api/v1/stats/scorecards?") + kWindow + "&role=worker").status, 401);
}

}  // namespace
