// API.md §2 over real HTTP: register, login and its lockout, logout, me, admin-created staff.
#include "support/daemon.hpp"

#include <gtest/gtest.h>

using civic::test::Daemon;
using civic::test::file_daemon;
using nlohmann::json;

namespace {

json grid_square(double lon, double lat, double size) {
    return {
        {"type", "Polygon"},
        {"coordinates", {{{lon, lat}, {lon + size, lat}, {lon + size, lat + size}, {lon, lat + size}, {lon, lat}}}}};
}

std::int64_t make_grid(const Daemon& d, const std::string& code) {
    auto r = d.post("/api/v1/admin/grids",
                    {{"code", code}, {"name", "网格 " + code}, {"boundary", grid_square(103.3, 23.3, 0.01)}},
                    d.admin_token());
    if (r.status != 201) throw std::runtime_error(r.body);
    return r.json()["id"];
}

TEST(Register, CreatesAResidentWithAToken) {
    auto r = file_daemon().post("/api/v1/auth/register",
                                {{"phone", "13512345678"}, {"password", "secret-pass"}, {"display_name", "张三"}});
    ASSERT_EQ(r.status, 201) << r.body;
    const auto body = r.json();
    EXPECT_TRUE(body["token"].is_string());
    EXPECT_GE(body["token"].get<std::string>().size(), 40u);
    EXPECT_EQ(body["user"]["phone"], "13512345678");
    EXPECT_EQ(body["user"]["display_name"], "张三");
    EXPECT_EQ(body["user"]["role"], "resident");
    EXPECT_EQ(body["user"]["grid_ids"], json::array());
    EXPECT_TRUE(body["user"]["id"].is_number_integer());
    auto me = file_daemon().get("/api/v1/me", body["token"]);
    ASSERT_EQ(me.status, 200);
    EXPECT_EQ(me.json(), body["user"]);
}

TEST(Register, PhoneTakenIs409) {
    file_daemon().register_resident("13512340000");
    auto r = file_daemon().post("/api/v1/auth/register",
                                {{"phone", "13512340000"}, {"password", "other-pass"}, {"display_name", "李四"}});
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(r.error_code(), "conflict");
}

std::string repeat(const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
}

struct FieldCase {
    json body;
    std::string field;
};

TEST(Register, InvalidFieldsNameTheField) {
    const json ok = {{"phone", "13511112222"}, {"password", "secret-pass"}, {"display_name", "王五"}};
    auto with = [&](const char* key, json value) {
        json b = ok;
        if (value.is_discarded()) {
            b.erase(key);
        } else {
            b[key] = value;
        }
        return b;
    };
    const std::vector<FieldCase> cases = {
        {with("phone", "23511112222"), "phone"},
        {with("phone", "1351111222"), "phone"},
        {with("phone", "12511112222"), "phone"},
        {with("phone", "1351111222x"), "phone"},
        {with("phone", 13511112222), "phone"},
        {with("phone", json(json::value_t::discarded)), "phone"},
        {with("password", "short"), "password"},
        {with("password", std::string(129, 'p')), "password"},
        {with("password", json::array()), "password"},
        {with("password", json(json::value_t::discarded)), "password"},
        {with("display_name", ""), "display_name"},
        {with("display_name", repeat("张", 41)), "display_name"},
        {with("display_name", "bad\nname"), "display_name"},
        {with("display_name", json(json::value_t::discarded)), "display_name"},
    };
    for (const auto& c : cases) {
        auto r = file_daemon().post("/api/v1/auth/register", c.body);
        EXPECT_EQ(r.status, 400) << c.body.dump();
        EXPECT_EQ(r.error_code(), "invalid_field") << c.body.dump();
        EXPECT_EQ(r.json()["error"]["field"], c.field) << c.body.dump();
    }
    // 40 Chinese characters are fine: limits count characters, not bytes.
    EXPECT_EQ(file_daemon().post("/api/v1/auth/register", with("display_name", repeat("张", 40))).status, 201);
}

TEST(Register, MalformedBodiesAreBadRequest) {
    for (const std::string body : {"{", "[1,2]", "\"text\"", "{\"phone\": \"135\xff\"}", "nul"}) {
        auto r = file_daemon().request("POST", "/api/v1/auth/register", body);
        EXPECT_EQ(r.status, 400) << body;
        EXPECT_EQ(r.error_code(), "bad_request") << body;
    }
    std::string deep(1000, '[');  // within the body limit, beyond the depth limit
    auto r = file_daemon().request("POST", "/api/v1/auth/register", deep);
    EXPECT_EQ(r.error_code(), "bad_request");
}

TEST(Login, ReturnsTokenAndUser) {
    file_daemon().register_resident("13522223333", "赵六", "my-password-1");
    auto r = file_daemon().post("/api/v1/auth/login", {{"phone", "13522223333"}, {"password", "my-password-1"}});
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.json()["user"]["display_name"], "赵六");
    EXPECT_EQ(file_daemon().get("/api/v1/me", r.json()["token"]).status, 200);
}

TEST(Login, WrongPasswordOrUnknownPhoneIs401) {
    file_daemon().register_resident("13522224444", "x", "my-password-1");
    auto wrong = file_daemon().post("/api/v1/auth/login", {{"phone", "13522224444"}, {"password", "nope-nope"}});
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(wrong.error_code(), "unauthorized");
    auto unknown = file_daemon().post("/api/v1/auth/login", {{"phone", "13599999999"}, {"password", "nope-nope"}});
    EXPECT_EQ(unknown.status, 401);
    EXPECT_EQ(file_daemon().post("/api/v1/auth/login", {{"phone", "13522224444"}}).error_code(), "invalid_field");
}

TEST(Login, FiveFailuresLockThePhoneFor15Minutes) {
    Daemon d;  // its own clock
    const auto admin = d.admin_token();
    d.register_resident("13533334444", "x", "right-password");
    ASSERT_EQ(d.post("/api/v1/admin/clock", {{"now", "2026-11-25T08:00:00Z"}}, admin).status, 200);
    for (int i = 0; i < 5; ++i) {
        auto r = d.post("/api/v1/auth/login", {{"phone", "13533334444"}, {"password", "wrong-password"}});
        EXPECT_EQ(r.status, 401) << i;
    }
    // Locked: even the right password gets 429 with Retry-After.
    auto locked = d.post("/api/v1/auth/login", {{"phone", "13533334444"}, {"password", "right-password"}});
    EXPECT_EQ(locked.status, 429);
    EXPECT_EQ(locked.error_code(), "rate_limited");
    EXPECT_EQ(locked.header("retry-after"), "900");
    // Another phone is not affected.
    d.register_resident("13533335555", "y", "right-password");
    EXPECT_EQ(d.post("/api/v1/auth/login", {{"phone", "13533335555"}, {"password", "right-password"}}).status, 200);
    // 14 minutes later: still locked; 15 minutes later: open again.
    d.post("/api/v1/admin/clock", {{"now", "2026-11-25T08:14:00Z"}}, admin);
    auto still = d.post("/api/v1/auth/login", {{"phone", "13533334444"}, {"password", "right-password"}});
    EXPECT_EQ(still.status, 429);
    EXPECT_EQ(still.header("retry-after"), "60");
    d.post("/api/v1/admin/clock", {{"now", "2026-11-25T08:15:00Z"}}, admin);
    EXPECT_EQ(d.post("/api/v1/auth/login", {{"phone", "13533334444"}, {"password", "right-password"}}).status, 200);
}

TEST(Login, FailuresOutsideTheWindowDoNotLock) {
    Daemon d;
    const auto admin = d.admin_token();
    d.register_resident("13533336666", "x", "right-password");
    d.post("/api/v1/admin/clock", {{"now", "2026-11-25T08:00:00Z"}}, admin);
    for (int i = 0; i < 4; ++i) d.post("/api/v1/auth/login", {{"phone", "13533336666"}, {"password", "bad-password"}});
    d.post("/api/v1/admin/clock", {{"now", "2026-11-25T08:16:00Z"}}, admin);
    EXPECT_EQ(d.post("/api/v1/auth/login", {{"phone", "13533336666"}, {"password", "bad-password"}}).status, 401);
    EXPECT_EQ(d.post("/api/v1/auth/login", {{"phone", "13533336666"}, {"password", "right-password"}}).status, 200);
}

TEST(Logout, RevokesTheToken) {
    const auto token = file_daemon().register_resident("13544445555");
    EXPECT_EQ(file_daemon().get("/api/v1/me", token).status, 200);
    auto r = file_daemon().post("/api/v1/auth/logout", json::object(), token);
    EXPECT_EQ(r.status, 204);
    EXPECT_TRUE(r.body.empty());
    EXPECT_EQ(file_daemon().get("/api/v1/me", token).status, 401);
    EXPECT_EQ(file_daemon().post("/api/v1/auth/logout", json::object(), token).status, 401);
}

TEST(Me, NeedsAValidToken) {
    auto none = file_daemon().get("/api/v1/me");
    EXPECT_EQ(none.status, 401);
    EXPECT_EQ(none.error_code(), "unauthorized");
    EXPECT_EQ(file_daemon().get("/api/v1/me", "not-a-token").status, 401);
    EXPECT_EQ(file_daemon().request("GET", "/api/v1/me", "", {{"Authorization", "Basic abc"}}).status, 401);
}

TEST(Me, TokensExpire) {
    Daemon d;
    const auto admin = d.admin_token();
    d.post("/api/v1/admin/clock", {{"now", "2026-11-25T08:00:00Z"}}, admin);
    const auto token = d.register_resident("13544446666");
    d.post("/api/v1/admin/clock", {{"now", "2026-12-24T07:59:00Z"}}, admin);
    EXPECT_EQ(d.get("/api/v1/me", token).status, 200);
    d.post("/api/v1/admin/clock", {{"now", "2026-12-25T08:00:01Z"}}, admin);
    EXPECT_EQ(d.get("/api/v1/me", token).status, 401);
}

TEST(AdminUsers, CreatesStaffWithGrids) {
    auto& d = file_daemon();
    const auto grid = make_grid(d, "ACC-1");
    auto r = d.post("/api/v1/admin/users",
                    {{"phone", "13700000001"},
                     {"password", "worker-pass"},
                     {"display_name", "王网格员"},
                     {"role", "worker"},
                     {"grid_ids", {grid}}},
                    d.admin_token());
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json()["role"], "worker");
    EXPECT_EQ(r.json()["grid_ids"], json::array({grid}));
    const auto token = d.login("13700000001", "worker-pass");
    EXPECT_EQ(d.get("/api/v1/me", token).json()["grid_ids"], json::array({grid}));
    auto dispatcher = d.post(
        "/api/v1/admin/users",
        {{"phone", "13700000002"}, {"password", "dispatch-pass"}, {"display_name", "调度员"}, {"role", "dispatcher"}},
        d.admin_token());
    EXPECT_EQ(dispatcher.status, 201);
    EXPECT_EQ(dispatcher.json()["grid_ids"], json::array());
}

TEST(AdminUsers, Errors) {
    auto& d = file_daemon();
    const auto admin = d.admin_token();
    const auto grid = make_grid(d, "ACC-2");
    const json ok = {{"phone", "13700000010"},
                     {"password", "worker-pass"},
                     {"display_name", "员工"},
                     {"role", "manager"},
                     {"grid_ids", {grid}}};
    auto with = [&](const char* key, json v) {
        json b = ok;
        b[key] = v;
        return b;
    };
    auto expect_field = [&](const json& body, const std::string& field) {
        auto r = d.post("/api/v1/admin/users", body, admin);
        EXPECT_EQ(r.status, 400) << body.dump();
        EXPECT_EQ(r.json()["error"]["field"], field) << body.dump() << r.body;
    };
    expect_field(with("role", "superuser"), "role");
    expect_field(with("grid_ids", json::array()), "grid_ids");
    expect_field(with("grid_ids", {999999}), "grid_ids");
    expect_field(with("grid_ids", "1"), "grid_ids");
    expect_field(with("grid_ids", {-1}), "grid_ids");
    json no_grids = ok;
    no_grids.erase("grid_ids");
    expect_field(no_grids, "grid_ids");
    expect_field(with("phone", "123"), "phone");
    // Roles and authentication.
    const auto resident = d.register_resident("13700000011");
    EXPECT_EQ(d.post("/api/v1/admin/users", ok, resident).status, 403);
    EXPECT_EQ(d.post("/api/v1/admin/users", ok).status, 401);
    EXPECT_EQ(d.post("/api/v1/admin/users", ok, admin).status, 201);
    EXPECT_EQ(d.post("/api/v1/admin/users", ok, admin).error_code(), "conflict");
    // A manager is staff but not an admin.
    const auto manager = d.login("13700000010", "worker-pass");
    EXPECT_EQ(d.post("/api/v1/admin/users", with("phone", "13700000012"), manager).status, 403);
}

}  // namespace
