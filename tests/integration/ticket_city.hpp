#pragma once
// A small city for the ticket tests: two grids with staff, a dispatcher, residents, and two
// categories, on a daemon whose clock is pinned so deadlines are exact.
#include "support/daemon.hpp"
#include "support/uploads.hpp"

#include <gtest/gtest.h>

#include <string>

namespace civic::test {

inline constexpr const char* kStart = "2026-11-20T00:00:00Z";

struct Person {
    std::int64_t id = 0;
    std::string token;
};

struct TicketCity {
    Daemon& d;
    std::string admin;
    std::int64_t g1 = 0, g2 = 0;  // g1 auto-assigns; g2 does not
    Person m1, m2, w1, w2, w3, dispatcher, r1, r2;
    int seed = 0;

    explicit TicketCity(Daemon& daemon) : d(daemon), admin(daemon.admin_token()) {
        set_clock(kStart);
        g1 = grid("T-G1", 103.37, 23.37, true);
        g2 = grid("T-G2", 103.40, 23.40, false);
        category("t-garbage", 24, 5, 10);
        category("t-manhole", 4, 3, 7);
        m1 = staff("13700000001", "manager", {g1});
        m2 = staff("13700000002", "manager", {g2});
        w1 = staff("13700000003", "worker", {g1});
        w2 = staff("13700000004", "worker", {g1});
        w3 = staff("13700000005", "worker", {g2});
        dispatcher = staff("13700000006", "dispatcher", {});
        r1 = resident("13700000007");
        r2 = resident("13700000008");
    }

    void set_clock(const std::string& now) {
        auto r = d.post("/api/v1/admin/clock", {{"now", now}}, admin);
        ASSERT_EQ(r.status, 200) << r.body;
    }

    std::int64_t grid(const std::string& code, double lon, double lat, bool auto_assign) {
        const nlohmann::json ring = nlohmann::json::array(
            {{lon, lat}, {lon + 0.01, lat}, {lon + 0.01, lat + 0.01}, {lon, lat + 0.01}, {lon, lat}});
        auto r = d.post("/api/v1/admin/grids",
                        {{"code", code},
                         {"name", code},
                         {"auto_assign", auto_assign},
                         {"boundary", {{"type", "Polygon"}, {"coordinates", {ring}}}}},
                        admin);
        EXPECT_EQ(r.status, 201) << r.body;
        return r.json()["id"].get<std::int64_t>();
    }

    void category(const std::string& code, int sla, int on_accept, int on_close) {
        auto r = d.post("/api/v1/admin/categories",
                        {{"code", code},
                         {"name", code},
                         {"sla_hours", sla},
                         {"points_on_accept", on_accept},
                         {"points_on_close", on_close}},
                        admin);
        EXPECT_EQ(r.status, 201) << r.body;
    }

    Person staff(const std::string& phone, const std::string& role, std::vector<std::int64_t> grids) {
        auto r = d.post("/api/v1/admin/users",
                        {{"phone", phone},
                         {"password", "staff-pass-1"},
                         {"display_name", role},
                         {"role", role},
                         {"grid_ids", grids}},
                        admin);
        EXPECT_EQ(r.status, 201) << r.body;
        return {r.json()["id"].get<std::int64_t>(), d.login(phone, "staff-pass-1")};
    }

    Person resident(const std::string& phone) {
        const auto token = d.register_resident(phone);
        return {d.get("/api/v1/me", token).json()["id"].get<std::int64_t>(), token};
    }

    // A report in g1 (or at the given point) with a fresh photo; returns the created report.
    nlohmann::json submit(const Person& who, double lon = 103.375, double lat = 23.375,
                          const std::string& category_code = "t-garbage") {
        auto r = post_multipart(
            d, "/api/v1/reports",
            multipart({{"category", category_code}, {"description", "路边垃圾堆积"}, {"lat", lat}, {"lon", lon}},
                      {make_jpeg(64, 48, ++seed)}),
            who.token);
        EXPECT_EQ(r.status, 201) << r.body;
        return r.json();
    }

    HttpResponse act(const Person& who, std::int64_t id, const nlohmann::json& body) {
        return d.post("/api/v1/reports/" + std::to_string(id) + "/actions", body, who.token);
    }

    // Acts and expects 200; returns the updated report.
    nlohmann::json ok(const Person& who, std::int64_t id, const nlohmann::json& body) {
        auto r = act(who, id, body);
        EXPECT_EQ(r.status, 200) << body.dump() << " → " << r.body;
        return r.json();
    }

    HttpResponse resolve(const Person& who, std::int64_t id, int photos = 1) {
        std::vector<std::string> parts;
        for (int i = 0; i < photos; ++i) parts.push_back(make_jpeg(48, 64, 1000 + ++seed));
        return post_multipart(d, "/api/v1/reports/" + std::to_string(id) + "/actions",
                              multipart({{"action", "resolve"}, {"note", "已清理"}}, parts), who.token);
    }

    nlohmann::json get(const Person& who, std::int64_t id) {
        auto r = d.get("/api/v1/reports/" + std::to_string(id), who.token);
        EXPECT_EQ(r.status, 200) << r.body;
        return r.json();
    }
};

}  // namespace civic::test
