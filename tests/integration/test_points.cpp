// API.md §5 over real HTTP: the resident's points, the statement with paging, the admin
// adjustment (extension) and `civicsnapd check`.
#include "ledger_support.hpp"

#include <gtest/gtest.h>

using namespace civic::test;
using nlohmann::json;

namespace {

TEST(Points, NewResidentHasNothingYet) {
    auto& d = file_daemon();
    const auto token = d.register_resident("13700000001", "张三丰");
    auto r = d.get("/api/v1/me/points", token);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json(), json::parse(R"({"balance":0,"lifetime_earned":0,
        "merit":{"reports_accepted":0,"reports_closed":0},
        "honour":{"stars":0,"title":"见习市民","next_stars_at":10},"credit_score":0})"));
    auto l = d.get("/api/v1/me/points/ledger", token);
    ASSERT_EQ(l.status, 200);
    EXPECT_EQ(l.json(), json::parse(R"({"items":[],"next_cursor":null})"));
}

TEST(Points, AuthAndRoles) {
    auto& d = file_daemon();
    EXPECT_EQ(d.get("/api/v1/me/points").status, 401);
    EXPECT_EQ(d.get("/api/v1/me/points/ledger", "bogus").status, 401);
    EXPECT_EQ(d.get("/api/v1/me/points", d.admin_token()).status, 403);
    const auto resident = d.register_resident("13700000002");
    auto r = d.post("/api/v1/admin/points/adjustments", {{"user_id", 1}, {"points", 5}, {"reason", "x"}}, resident);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(r.error_code(), "forbidden");
}

TEST(Points, AdjustmentsStarsAndStatementPaging) {
    auto& d = file_daemon();
    const auto token = d.register_resident("13700000003");
    const auto id = user_id_of(d, token);
    const auto admin = d.admin_token();
    for (int points : {10, 20, 5}) grant_points(d, id, points);
    auto neg =
        d.post("/api/v1/admin/points/adjustments", {{"user_id", id}, {"points", -7}, {"reason", "correction"}}, admin);
    ASSERT_EQ(neg.status, 201) << neg.body;
    EXPECT_EQ(neg.json()["balance_after"], 28);
    EXPECT_EQ(neg.json()["points"], -7);
    auto p = d.get("/api/v1/me/points", token).json();
    EXPECT_EQ(p["balance"], 28);
    EXPECT_EQ(p["lifetime_earned"], 35);
    EXPECT_EQ(p["honour"]["stars"], 2);
    EXPECT_EQ(p["honour"]["next_stars_at"], 60);

    auto page1 = d.get("/api/v1/me/points/ledger?limit=3", token);
    ASSERT_EQ(page1.status, 200);
    const auto j1 = page1.json();
    ASSERT_EQ(j1["items"].size(), 3u);
    EXPECT_EQ(j1["items"][0]["amount"], -7);
    EXPECT_EQ(j1["items"][0]["kind"], "adjustment");
    EXPECT_EQ(j1["items"][0]["balance_after"], 28);
    EXPECT_EQ(j1["items"][1]["balance_after"], 35);
    EXPECT_EQ(j1["items"][2]["balance_after"], 30);
    EXPECT_TRUE(j1["items"][0]["at"].get<std::string>().ends_with("Z"));
    ASSERT_TRUE(j1["next_cursor"].is_string());
    auto page2 = d.get("/api/v1/me/points/ledger?limit=3&cursor=" + j1["next_cursor"].get<std::string>(), token).json();
    ASSERT_EQ(page2["items"].size(), 1u);
    EXPECT_EQ(page2["items"][0]["amount"], 10);
    EXPECT_EQ(page2["items"][0]["balance_after"], 10);
    EXPECT_TRUE(page2["next_cursor"].is_null());

    EXPECT_EQ(d.get("/api/v1/me/points/ledger?limit=0", token).error_code(), "invalid_field");
    EXPECT_EQ(d.get("/api/v1/me/points/ledger?limit=201", token).error_code(), "invalid_field");
    EXPECT_EQ(d.get("/api/v1/me/points/ledger?cursor=nonsense", token).error_code(), "invalid_field");
}

TEST(Points, AdjustmentValidation) {
    auto& d = file_daemon();
    const auto admin = d.admin_token();
    const auto token = d.register_resident("13700000004");
    const auto id = user_id_of(d, token);
    auto over = d.post("/api/v1/admin/points/adjustments", {{"user_id", id}, {"points", -1}, {"reason", "x"}}, admin);
    EXPECT_EQ(over.status, 409);
    EXPECT_EQ(over.error_code(), "insufficient_points");
    auto zero = d.post("/api/v1/admin/points/adjustments", {{"user_id", id}, {"points", 0}, {"reason", "x"}}, admin);
    EXPECT_EQ(zero.json()["error"]["field"], "points");
    const auto admin_id = user_id_of(d, admin);
    auto staff =
        d.post("/api/v1/admin/points/adjustments", {{"user_id", admin_id}, {"points", 5}, {"reason", "x"}}, admin);
    EXPECT_EQ(staff.json()["error"]["field"], "user_id");
    auto missing = d.post("/api/v1/admin/points/adjustments", {{"user_id", id}, {"points", 5}}, admin);
    EXPECT_EQ(missing.json()["error"]["field"], "reason");
}

TEST(Points, CheckCommandPassesOnALiveDataDir) {
    auto& d = file_daemon();
    const auto token = d.register_resident("13700000005");
    grant_points(d, user_id_of(d, token), 40);
    const auto r = run_ledger_check(d.data_dir());
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("invariants hold"), std::string::npos) << r.output;
    const auto missing = run_ledger_check(d.data_dir() + "/nowhere");
    EXPECT_NE(missing.exit_code, 0);
}

}  // namespace
