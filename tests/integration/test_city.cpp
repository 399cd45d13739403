// API.md §3 over real HTTP: grids with GeoJSON validation, categories.
#include "support/daemon.hpp"

#include <gtest/gtest.h>

#include <algorithm>

using civic::test::Daemon;
using civic::test::file_daemon;
using nlohmann::json;

namespace {

json square(double lon, double lat, double size) {
    return json::array(
        {json::array({{lon, lat}, {lon + size, lat}, {lon + size, lat + size}, {lon, lat + size}, {lon, lat}})});
}

TEST(Grids, CreatePolygonAndList) {
    auto& d = file_daemon();
    const auto admin = d.admin_token();
    const json boundary = {{"type", "Polygon"}, {"coordinates", square(103.37, 23.37, 0.01)}};
    auto r = d.post("/api/v1/admin/grids", {{"code", "MZ-T1"}, {"name", "文澜网格"}, {"boundary", boundary}}, admin);
    ASSERT_EQ(r.status, 201) << r.body;
    const auto grid = r.json();
    EXPECT_TRUE(grid["id"].is_number_integer());
    EXPECT_EQ(grid["code"], "MZ-T1");
    EXPECT_EQ(grid["name"], "文澜网格");
    EXPECT_EQ(grid["boundary"], boundary);
    EXPECT_EQ(grid["auto_assign"], true);
    EXPECT_EQ(grid["manager_ids"], json::array());
    EXPECT_EQ(grid["worker_ids"], json::array());

    auto m = d.post("/api/v1/admin/users",
                    {{"phone", "13900001111"},
                     {"password", "manager-pass"},
                     {"display_name", "李网格长"},
                     {"role", "manager"},
                     {"grid_ids", {grid["id"]}}},
                    admin);
    ASSERT_EQ(m.status, 201);
    auto w = d.post("/api/v1/admin/users",
                    {{"phone", "13900001112"},
                     {"password", "worker-pass"},
                     {"display_name", "王网格员"},
                     {"role", "worker"},
                     {"grid_ids", {grid["id"]}}},
                    admin);
    ASSERT_EQ(w.status, 201);

    const auto manager = d.login("13900001111", "manager-pass");
    auto list = d.get("/api/v1/grids", manager);
    ASSERT_EQ(list.status, 200);
    bool found = false;
    const auto items = list.json()["items"];
    for (const auto& g : items) {
        if (g["code"] != "MZ-T1") continue;
        found = true;
        EXPECT_EQ(g["manager_ids"], json::array({m.json()["id"]}));
        EXPECT_EQ(g["worker_ids"], json::array({w.json()["id"]}));
        EXPECT_EQ(g["boundary"], boundary);
    }
    EXPECT_TRUE(found) << list.body;
}

TEST(Grids, MultiPolygonWithHoleAndAutoAssignFalse) {
    auto& d = file_daemon();
    json outer_with_hole = square(103.30, 23.30, 0.02);
    outer_with_hole.push_back(square(103.305, 23.305, 0.005)[0]);
    const json boundary = {{"type", "MultiPolygon"}, {"coordinates", {outer_with_hole, square(103.40, 23.40, 0.01)}}};
    auto r = d.post("/api/v1/admin/grids",
                    {{"code", "MZ-T2"}, {"name", "two parts"}, {"boundary", boundary}, {"auto_assign", false}},
                    d.admin_token());
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json()["auto_assign"], false);
    EXPECT_EQ(r.json()["boundary"]["type"], "MultiPolygon");
}

TEST(Grids, InvalidGeometryIsInvalidFieldBoundary) {
    auto& d = file_daemon();
    const auto admin = d.admin_token();
    json unclosed = square(103.3, 23.3, 0.01);
    unclosed[0].back() = json::array({103.301, 23.3});
    json too_short = json::array({json::array({{103.3, 23.3}, {103.31, 23.3}, {103.3, 23.3}})});
    json non_numeric = square(103.3, 23.3, 0.01);
    non_numeric[0][1] = json::array({"103.31", 23.3});
    json out_of_range = square(179.995, 89.995, 0.01);
    const std::vector<json> bad = {
        {{"type", "Polygon"}, {"coordinates", unclosed}},
        {{"type", "Polygon"}, {"coordinates", too_short}},
        {{"type", "Polygon"}, {"coordinates", non_numeric}},
        {{"type", "Polygon"}, {"coordinates", out_of_range}},
        {{"type", "Polygon"}, {"coordinates", json::array()}},
        {{"type", "Point"}, {"coordinates", {103.3, 23.3}}},
        {{"type", "Polygon"}},
        "not an object",
        {{"type", "MultiPolygon"}, {"coordinates", square(103.3, 23.3, 0.01)}},  // one level too shallow
    };
    int i = 0;
    for (const auto& boundary : bad) {
        auto r = d.post("/api/v1/admin/grids",
                        {{"code", "BAD-" + std::to_string(i++)}, {"name", "x"}, {"boundary", boundary}}, admin);
        EXPECT_EQ(r.status, 400) << boundary.dump();
        EXPECT_EQ(r.error_code(), "invalid_field") << boundary.dump();
        EXPECT_EQ(r.json()["error"]["field"], "boundary") << boundary.dump() << r.body;
    }
    auto missing = d.post("/api/v1/admin/grids", {{"code", "BAD-X"}, {"name", "x"}}, admin);
    EXPECT_EQ(missing.json()["error"]["field"], "boundary");
    auto bad_code = d.post(
        "/api/v1/admin/grids",
        {{"code", "has space"}, {"name", "x"}, {"boundary", {{"type", "Polygon"}, {"coordinates", square(1, 1, 1)}}}},
        admin);
    EXPECT_EQ(bad_code.json()["error"]["field"], "code");
    auto bad_flag = d.post("/api/v1/admin/grids",
                           {{"code", "OK-1"},
                            {"name", "x"},
                            {"auto_assign", "yes"},
                            {"boundary", {{"type", "Polygon"}, {"coordinates", square(1, 1, 1)}}}},
                           admin);
    EXPECT_EQ(bad_flag.json()["error"]["field"], "auto_assign");
}

TEST(Grids, DuplicateCodeAndRoles) {
    auto& d = file_daemon();
    const auto admin = d.admin_token();
    const json body = {{"code", "MZ-T3"},
                       {"name", "x"},
                       {"boundary", {{"type", "Polygon"}, {"coordinates", square(103.1, 23.1, 0.01)}}}};
    EXPECT_EQ(d.post("/api/v1/admin/grids", body, admin).status, 201);
    EXPECT_EQ(d.post("/api/v1/admin/grids", body, admin).error_code(), "conflict");
    const auto resident = d.register_resident("13600002222");
    EXPECT_EQ(d.post("/api/v1/admin/grids", body, resident).status, 403);
    EXPECT_EQ(d.post("/api/v1/admin/grids", body).status, 401);
    EXPECT_EQ(d.get("/api/v1/grids", resident).status, 403);
    EXPECT_EQ(d.get("/api/v1/grids").status, 401);
}

TEST(Categories, CreateAndListPublicly) {
    auto& d = file_daemon();
    const json cat = {{"code", "200102.exposed-garbage"},
                      {"name", "暴露垃圾"},
                      {"sla_hours", 24},
                      {"points_on_accept", 3},
                      {"points_on_close", 5}};
    auto r = d.post("/api/v1/admin/categories", cat, d.admin_token());
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json(), cat);
    auto list = d.get("/api/v1/categories");  // no token needed
    ASSERT_EQ(list.status, 200);
    bool found = false;
    const auto items = list.json()["items"];
    for (const auto& c : items) found = found || c == cat;
    EXPECT_TRUE(found) << list.body;
}

// The list is served from a cache between creates (issue 8): every create must show at once,
// and a refused create must change nothing.
TEST(Categories, ListFollowsEveryCreate) {
    auto& d = file_daemon();
    const auto admin = d.admin_token();
    auto codes = [&] {
        std::vector<std::string> out;
        const auto body = d.get("/api/v1/categories").json();
        const auto& items = body["items"];
        for (const auto& c : items) out.push_back(c["code"]);
        return out;
    };
    auto has = [](const std::vector<std::string>& v, const std::string& code) {
        return std::find(v.begin(), v.end(), code) != v.end();
    };
    const auto before = codes();
    EXPECT_EQ(codes(), before);  // served twice, the same
    for (const std::string code : {"cache.a", "cache.b"}) {
        const json cat = {
            {"code", code}, {"name", "n"}, {"sla_hours", 24}, {"points_on_accept", 1}, {"points_on_close", 1}};
        ASSERT_EQ(d.post("/api/v1/admin/categories", cat, admin).status, 201);
        const auto after = codes();
        EXPECT_TRUE(has(after, code));
        EXPECT_EQ(after.size(), codes().size());
    }
    const auto now = codes();
    EXPECT_EQ(now.size(), before.size() + 2);
    const json taken = {
        {"code", "cache.a"}, {"name", "n"}, {"sla_hours", 24}, {"points_on_accept", 1}, {"points_on_close", 1}};
    EXPECT_EQ(d.post("/api/v1/admin/categories", taken, admin).error_code(), "conflict");
    EXPECT_EQ(codes(), now);
}

TEST(Categories, Errors) {
    auto& d = file_daemon();
    const auto admin = d.admin_token();
    const json ok = {{"code", "c1"}, {"name", "n"}, {"sla_hours", 24}, {"points_on_accept", 1}, {"points_on_close", 1}};
    auto with = [&](const char* k, json v) {
        json b = ok;
        b[k] = v;
        return b;
    };
    const std::vector<std::pair<json, std::string>> cases = {
        {with("code", "Upper"), "code"},
        {with("code", ""), "code"},
        {with("code", std::string(65, 'a')), "code"},
        {with("code", "a b"), "code"},
        {with("sla_hours", 0), "sla_hours"},
        {with("sla_hours", "24"), "sla_hours"},
        {with("sla_hours", 2.5), "sla_hours"},
        {with("points_on_accept", -1), "points_on_accept"},
        {with("points_on_close", 1e20), "points_on_close"},
        {with("name", ""), "name"},
    };
    for (const auto& [body, field] : cases) {
        auto r = d.post("/api/v1/admin/categories", body, admin);
        EXPECT_EQ(r.status, 400) << body.dump();
        EXPECT_EQ(r.json()["error"]["field"], field) << body.dump() << r.body;
    }
    EXPECT_EQ(d.post("/api/v1/admin/categories", ok, admin).status, 201);
    EXPECT_EQ(d.post("/api/v1/admin/categories", ok, admin).error_code(), "conflict");
    EXPECT_EQ(d.post("/api/v1/admin/categories", with("code", "c2"), d.register_resident("13600003333")).status, 403);
    EXPECT_EQ(d.post("/api/v1/admin/categories", with("code", "c3")).status, 401);
}

}  // namespace
