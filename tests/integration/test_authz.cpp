// The authorisation matrix: every role × every endpoint, with the expected status written down
// here (and in docs/security.md). The route list comes from the server's own OpenAPI document,
// so an endpoint added without a row here fails the test.
//
// Each cell is one real request against a fresh object where the request changes state (a new
// report to accept, a new redemption to void), so one role's success cannot change what the
// next role sees.
#include "kiosk_support.hpp"
#include "ticket_city.hpp"

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <array>
#include <functional>
#include <set>

namespace civic::test {
namespace {

using nlohmann::json;

enum Who {
    kAnon,
    kResident,
    kOtherResident,
    kWorker,
    kOtherWorker,
    kManager,
    kOtherManager,
    kDispatcher,
    kAdmin,
    kKiosk,
    kOtherKiosk,
    kRoles
};
constexpr std::array<const char*, kRoles> kRoleNames = {"anonymous",
                                                        "resident",
                                                        "other resident",
                                                        "worker",
                                                        "worker of another grid",
                                                        "manager",
                                                        "manager of another grid",
                                                        "dispatcher",
                                                        "admin",
                                                        "kiosk",
                                                        "other kiosk"};

struct Call {
    std::string method;
    std::string target;
    std::string body;
    std::string content_type = "application/json";
    Headers extra = {};
    bool websocket = false;  // a WebSocket handshake; the status is 101 when it is accepted
};

// The handshake's answer status: 101 on success, the refusal's status otherwise.
int websocket_handshake_status(unsigned short port, const std::string& target, const Headers& headers) {
    namespace asio = boost::asio;
    namespace beast = boost::beast;
    asio::io_context ioc;
    beast::websocket::stream<asio::ip::tcp::socket> ws(ioc);
    asio::ip::tcp::resolver resolver(ioc);
    asio::connect(ws.next_layer(), resolver.resolve("127.0.0.1", std::to_string(port)));
    ws.set_option(beast::websocket::stream_base::decorator([headers](beast::websocket::request_type& req) {
        for (const auto& [name, value] : headers) req.set(name, value);
    }));
    beast::websocket::response_type response;
    beast::error_code ec;
    ws.handshake(response, "127.0.0.1", target, ec);
    if (!ec) ws.close(beast::websocket::close_code::normal, ec);
    return static_cast<int>(response.result_int());
}

struct World {
    Daemon& d;
    TicketCity c;
    KioskCredentials k1, k2;
    std::array<std::string, kRoles> phone, password;
    int serial = 0;

    explicit World(Daemon& daemon) : d(daemon), c(daemon) {
        c.set_clock(wall_clock_iso());  // kiosk signatures carry wall-clock timestamps
        k1 = register_kiosk(d, "一号收银台");
        k2 = register_kiosk(d, "二号收银台");
        add_reward(d, "PEN", 1, 100000);
        for (const auto& p : {c.r1, c.r2}) grant_points(d, p.id, 100000);
        phone = {"",
                 "13700000007",
                 "13700000008",
                 "13700000003",
                 "13700000005",
                 "13700000001",
                 "13700000002",
                 "13700000006",
                 kAdminPhone,
                 "",
                 ""};
        password = {"",
                    "resident-pass-1",
                    "resident-pass-1",
                    "staff-pass-1",
                    "staff-pass-1",
                    "staff-pass-1",
                    "staff-pass-1",
                    "staff-pass-1",
                    kAdminPassword,
                    "",
                    ""};
    }

    std::string token(Who who) const {
        switch (who) {
            case kResident:
                return c.r1.token;
            case kOtherResident:
                return c.r2.token;
            case kWorker:
                return c.w1.token;
            case kOtherWorker:
                return c.w3.token;
            case kManager:
                return c.m1.token;
            case kOtherManager:
                return c.m2.token;
            case kDispatcher:
                return c.dispatcher.token;
            case kAdmin:
                return c.admin;
            default:
                return "";
        }
    }

    HttpResponse send(Who who, const Call& call) const {
        Headers h = call.extra;
        if (!call.body.empty()) h.emplace_back("Content-Type", call.content_type);
        if (who == kKiosk || who == kOtherKiosk) {
            KioskCall kc{call.method, call.target, call.body, 0, {}};
            for (const auto& kv : kiosk_headers(who == kKiosk ? k1 : k2, kc)) h.push_back(kv);
        } else if (who != kAnon) {
            h.emplace_back("Authorization", "Bearer " + token(who));
        }
        if (call.websocket) return {websocket_handshake_status(d.port(), call.target, h), {}, ""};
        return d.request(call.method, call.target, call.body, h);
    }

    std::string unique(const std::string& prefix) { return prefix + std::to_string(++serial); }

    // A report by the resident in the manager's grid, in the state asked for.
    json report(const std::string& state) {
        auto r = c.submit(c.r1);
        const auto id = r["id"].get<std::int64_t>();
        if (state == "submitted") return r;
        c.ok(c.m1, id, {{"action", "accept"}});
        r = c.ok(c.m1, id, {{"action", "assign"}, {"worker_id", c.w1.id}});
        if (state == "assigned") return r;
        c.ok(c.w1, id, {{"action", "start"}});
        EXPECT_EQ(c.resolve(c.w1, id).status, 200);
        return c.ok(c.m1, id, {{"action", "verify"}});  // closed
    }

    std::int64_t redemption_by_kiosk_one() {
        auto r = kiosk_redeem(d, k1, redeem_token(d, c.r1.token), json::array({{{"sku", "PEN"}, {"qty", 1}}}),
                              unique("authz-order-"));
        EXPECT_EQ(r.status, 201) << r.body;
        return r.json()["id"].get<std::int64_t>();
    }
};

using Expect = std::array<int, kRoles>;
//                               anon res  res2 wkr  wkr2 mgr  mgr2 disp adm  ksk  ksk2
constexpr Expect kEveryone{200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200};
constexpr Expect kSignedIn{401, 200, 200, 200, 200, 200, 200, 200, 200, 401, 401};
constexpr Expect kResidentsOnly{401, 200, 200, 403, 403, 403, 403, 403, 403, 401, 401};
constexpr Expect kResidents201{401, 201, 201, 403, 403, 403, 403, 403, 403, 401, 401};
constexpr Expect kAdminOnly201{401, 403, 403, 403, 403, 403, 403, 403, 201, 401, 401};
constexpr Expect kStaffOnly{401, 403, 403, 200, 200, 200, 200, 200, 200, 401, 401};
constexpr Expect kOversight{401, 403, 403, 403, 403, 200, 200, 200, 200, 401, 401};
constexpr Expect kCityWide{401, 403, 403, 403, 403, 403, 403, 200, 200, 401, 401};
constexpr Expect kKiosksOnly{401, 401, 401, 401, 401, 401, 401, 401, 401, 200, 200};

struct Row {
    std::string method;
    std::string route;  // as the OpenAPI document names it
    std::function<Call(World&, Who)> make;
    Expect expect;
};

json admin_user_body(World& w) {
    return {{"phone", "1350000" + std::to_string(1000 + ++w.serial)},
            {"password", "staff-pass-1"},
            {"display_name", "新网格员"},
            {"role", "worker"},
            {"grid_ids", {w.c.g1}}};
}

json grid_body(World& w) {
    const double x = 104.0 + 0.02 * ++w.serial;
    const json ring = json::array({{x, 23.0}, {x + 0.01, 23.0}, {x + 0.01, 23.01}, {x, 23.01}, {x, 23.0}});
    return {{"code", "AZ-" + std::to_string(w.serial)},
            {"name", "授权测试网格"},
            {"boundary", {{"type", "Polygon"}, {"coordinates", {ring}}}}};
}

std::vector<Row> native_rows() {
    auto get = [](std::string target) { return [target](World&, Who) { return Call{"GET", target, ""}; }; };
    auto post = [](std::string target, std::function<json(World&, Who)> body) {
        return [target, body](World& w, Who who) { return Call{"POST", target, body(w, who).dump()}; };
    };
    auto report_get = [](std::string suffix) {
        return [suffix](World& w, Who) {
            const auto r = w.report("assigned");
            const auto id = std::to_string(r["id"].get<std::int64_t>());
            return Call{"GET", "/api/v1/reports/" + id + suffix, ""};
        };
    };
    return {
        {"GET", "/healthz", get("/healthz"), kEveryone},
        {"GET", "/metrics", get("/metrics"), kEveryone},
        {"GET", "/api/v1/openapi.json", get("/api/v1/openapi.json"), kEveryone},
        {"POST",
         "/api/v1/auth/register",
         post("/api/v1/auth/register",
              [](World& w, Who) {
                  return json{{"phone", "1340000" + std::to_string(1000 + ++w.serial)},
                              {"password", "resident-pass-1"},
                              {"display_name", "新居民"}};
              }),
         {201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201}},
        {"POST", "/api/v1/auth/login",
         post("/api/v1/auth/login",
              [](World&, Who) {
                  return json{{"phone", "13700000008"}, {"password", "resident-pass-1"}};
              }),
         kEveryone},
        // Logout revokes the token it is sent with, so each role logs in afresh for it.
        {"POST",
         "/api/v1/auth/logout",
         [](World& w, Who who) {
             Call call{"POST", "/api/v1/auth/logout", ""};
             if (!w.phone[who].empty())
                 call.extra.emplace_back("Authorization", "Bearer " + w.d.login(w.phone[who], w.password[who]));
             return call;
         },
         {401, 204, 204, 204, 204, 204, 204, 204, 204, 401, 401}},
        {"GET", "/api/v1/me", get("/api/v1/me"), kSignedIn},
        {"POST", "/api/v1/admin/users", post("/api/v1/admin/users", [](World& w, Who) { return admin_user_body(w); }),
         kAdminOnly201},
        {"POST", "/api/v1/admin/grids", post("/api/v1/admin/grids", [](World& w, Who) { return grid_body(w); }),
         kAdminOnly201},
        {"GET", "/api/v1/grids", get("/api/v1/grids"), kStaffOnly},
        {"POST", "/api/v1/admin/categories",
         post("/api/v1/admin/categories",
              [](World& w, Who) {
                  return json{{"code", w.unique("authz-")},
                              {"name", "授权"},
                              {"sla_hours", 24},
                              {"points_on_accept", 1},
                              {"points_on_close", 1}};
              }),
         kAdminOnly201},
        {"GET", "/api/v1/categories", get("/api/v1/categories"), kEveryone},
        {"GET", "/api/v1/work-calendar", get("/api/v1/work-calendar"), kStaffOnly},
        {"PUT",
         "/api/v1/admin/work-calendar",
         [](World&, Who) {
             const json calendar = {{"timezone", "Asia/Shanghai"},
                                    {"work_periods", json::array({json::array({"09:00", "17:00"})})},
                                    {"weekend", json::array({6, 7})}};
             return Call{"PUT", "/api/v1/admin/work-calendar", calendar.dump()};
         },
         {401, 403, 403, 403, 403, 403, 403, 403, 200, 401, 401}},
        {"POST",
         "/api/v1/admin/clock",
         post("/api/v1/admin/clock",
              [](World&, Who) {
                  return json{{"now", wall_clock_iso()}};
              }),
         {401, 403, 403, 403, 403, 403, 403, 403, 200, 401, 401}},
        {"POST", "/api/v1/reports",
         [](World& w, Who) {
             const auto m =
                 multipart({{"category", "t-garbage"}, {"description", "授权"}, {"lat", 23.375}, {"lon", 103.375}},
                           {make_jpeg(64, 48, 50000 + ++w.serial)});
             return Call{"POST", "/api/v1/reports", m.body, m.content_type};
         },
         kResidents201},
        {"GET", "/api/v1/reports", get("/api/v1/reports"), kSignedIn},
        // Readers of an assigned ticket: its reporter, its grid's staff, the city-wide roles.
        {"GET", "/api/v1/reports/{id}", report_get(""), {401, 200, 404, 200, 404, 200, 404, 200, 200, 401, 401}},
        {"POST",
         "/api/v1/reports/{id}/actions",
         [](World& w, Who) {
             const auto id = std::to_string(w.report("submitted")["id"].get<std::int64_t>());
             return Call{"POST", "/api/v1/reports/" + id + "/actions", json{{"action", "accept"}}.dump()};
         },
         {401, 403, 404, 403, 403, 200, 403, 200, 403, 401, 401}},
        {"POST",
         "/api/v1/reports/{id}/rating",
         [](World& w, Who) {
             const auto id = std::to_string(w.report("closed")["id"].get<std::int64_t>());
             return Call{"POST", "/api/v1/reports/" + id + "/rating", json{{"rating", 5}}.dump()};
         },
         {401, 200, 404, 403, 404, 403, 404, 403, 403, 401, 401}},
        {"GET",
         "/api/v1/photos/{id}",
         [](World& w, Who) {
             const auto r = w.report("assigned");
             return Call{"GET", r["photos"][0]["url"].get<std::string>(), ""};
         },
         {401, 200, 404, 200, 404, 200, 404, 200, 200, 401, 401}},
        // A real WebSocket handshake: 101 to whoever may subscribe.
        {"GET",
         "/api/v1/stream",
         [](World&, Who) { return Call{"GET", "/api/v1/stream", "", "", {}, true}; },
         {401, 101, 101, 101, 101, 101, 101, 101, 101, 401, 401}},
        {"GET", "/api/v1/me/points", get("/api/v1/me/points"), kResidentsOnly},
        {"GET", "/api/v1/me/points/ledger", get("/api/v1/me/points/ledger"), kResidentsOnly},
        {"GET", "/api/v1/me/credit-certificate", get("/api/v1/me/credit-certificate"), kResidentsOnly},
        {"POST", "/api/v1/me/donations",
         post("/api/v1/me/donations",
              [](World&, Who) {
                  return json{{"fund", "charity"}, {"points", 1}};
              }),
         kResidents201},
        {"POST", "/api/v1/me/exchanges",
         post("/api/v1/me/exchanges",
              [](World&, Who) {
                  return json{{"type", "credit"}, {"points", 10}};
              }),
         kResidents201},
        {"POST", "/api/v1/me/redeem-token", post("/api/v1/me/redeem-token", [](World&, Who) { return json::object(); }),
         kResidents201},
        {"POST", "/api/v1/admin/points/adjustments",
         post("/api/v1/admin/points/adjustments",
              [](World& w, Who) {
                  return json{{"user_id", w.c.r1.id}, {"points", 1}, {"reason", "授权测试"}};
              }),
         kAdminOnly201},
        {"POST", "/api/v1/admin/rewards",
         post("/api/v1/admin/rewards",
              [](World& w, Who) {
                  return json{
                      {"sku", w.unique("AZ")}, {"name", "毛巾"}, {"points_cost", 5}, {"stock", 5}, {"kind", "goods"}};
              }),
         kAdminOnly201},
        {"GET", "/api/v1/rewards", get("/api/v1/rewards"), kEveryone},
        {"GET", "/api/v1/funds", get("/api/v1/funds"), kEveryone},
        {"GET", "/api/v1/honour-roll", get("/api/v1/honour-roll"), kEveryone},
        {"GET", "/api/v1/credit/public-key", get("/api/v1/credit/public-key"), kEveryone},
        {"POST", "/api/v1/admin/kiosks",
         post("/api/v1/admin/kiosks",
              [](World& w, Who) {
                  return json{{"name", w.unique("收银台")}, {"store", "文澜"}};
              }),
         kAdminOnly201},
        {"POST", "/api/v1/kiosk/lookup",
         post("/api/v1/kiosk/lookup",
              [](World& w, Who) {
                  return json{{"token", redeem_token(w.d, w.c.r1.token)}};
              }),
         kKiosksOnly},
        {"POST",
         "/api/v1/kiosk/redemptions",
         [](World& w, Who) {
             const json body = {{"token", redeem_token(w.d, w.c.r1.token)}, {"items", {{{"sku", "PEN"}, {"qty", 1}}}}};
             return Call{"POST",
                         "/api/v1/kiosk/redemptions",
                         body.dump(),
                         "application/json",
                         {{"Idempotency-Key", w.unique("authz-order-")}}};
         },
         {401, 401, 401, 401, 401, 401, 401, 401, 401, 201, 201}},
        // A redemption is its kiosk's alone: another kiosk cannot even learn that it exists.
        {"POST",
         "/api/v1/kiosk/redemptions/{id}/void",
         [](World& w, Who) {
             return Call{"POST", "/api/v1/kiosk/redemptions/" + std::to_string(w.redemption_by_kiosk_one()) + "/void",
                         ""};
         },
         {401, 401, 401, 401, 401, 401, 401, 401, 401, 200, 404}},
        {"GET", "/api/v1/kiosk/rewards", get("/api/v1/kiosk/rewards"), kKiosksOnly},
        {"POST", "/api/v1/admin/open311-keys",
         post("/api/v1/admin/open311-keys",
              [](World& w, Who) {
                  return json{{"name", w.unique("partner-")}};
              }),
         kAdminOnly201},
        {"GET", "/api/v1/stats/closure",
         get("/api/v1/stats/closure?from=2026-11-01T00:00:00Z&to=2026-12-31T00:00:00Z&group_by=grid"), kOversight},
        {"GET", "/api/v1/stats/scorecards",
         get("/api/v1/stats/scorecards?from=2026-11-01T00:00:00Z&to=2026-12-31T00:00:00Z&role=worker"), kOversight},
        {"GET", "/api/v1/stats/points", get("/api/v1/stats/points"), kCityWide},
        {"GET", "/api/v1/supervision", get("/api/v1/supervision"), kOversight},
        {"GET", "/api/v1/bulletins/weekly", get("/api/v1/bulletins/weekly?week=2026-W48"), kCityWide},
        // The web pages (docs/web.md) are public files for everyone; the data they show is not.
        {"GET", "/dashboard", get("/dashboard"), Expect{301, 301, 301, 301, 301, 301, 301, 301, 301, 301, 301}},
        {"GET", "/dashboard/", get("/dashboard/"), kEveryone},
        {"GET", "/dashboard/{file}", get("/dashboard/app.js"), kEveryone},
        {"GET", "/kiosk", get("/kiosk"), Expect{301, 301, 301, 301, 301, 301, 301, 301, 301, 301, 301}},
        {"GET", "/kiosk/", get("/kiosk/"), kEveryone},
        {"GET", "/kiosk/{file}", get("/kiosk/sign.js"), kEveryone},
        {"GET", "/app", get("/app"), Expect{301, 301, 301, 301, 301, 301, 301, 301, 301, 301, 301}},
        {"GET", "/app/", get("/app/"), kEveryone},
        {"GET", "/app/{file}", get("/app/sw.js"), kEveryone},
        {"GET", "/web/{file}", get("/web/common.css"), kEveryone},
        {"GET", "/web/vendor/{file}", get("/web/vendor/qrcode-generator-2.0.4.mjs"), kEveryone},
    };
}

// Open311 is public by design: reads for everyone; POST needs a partner api_key, not a role.
std::vector<Row> open311_rows(World& w) {
    std::vector<Row> rows;
    const auto accepted = w.report("assigned");
    const auto id = std::to_string(accepted["id"].get<std::int64_t>());
    const auto photo = accepted["photos"][0]["id"].get<std::int64_t>();
    for (const std::string ext : {".json", ".xml"}) {
        const std::vector<std::pair<std::string, std::string>> reads = {
            {"/open311/v2/discovery" + ext, "/open311/v2/discovery" + ext},
            {"/open311/v2/services" + ext, "/open311/v2/services" + ext},
            {"/open311/v2/services/{service_code}" + ext, "/open311/v2/services/t-garbage" + ext},
            {"/open311/v2/requests" + ext, "/open311/v2/requests" + ext},
            {"/open311/v2/requests/{id}" + ext, "/open311/v2/requests/" + id + ext},
            {"/open311/v2/tokens/{token}" + ext, "/open311/v2/tokens/" + id + ext},
            {"/open311/v2/servicerequestupdates" + ext, "/open311/v2/servicerequestupdates" + ext},
        };
        for (const auto& [route, target] : reads)
            rows.push_back({"GET", route, [target](World&, Who) { return Call{"GET", target, ""}; }, kEveryone});
        rows.push_back({"POST",
                        "/open311/v2/requests" + ext,
                        [ext](World&, Who) {
                            return Call{"POST", "/open311/v2/requests" + ext,
                                        "service_code=t-garbage&lat=23.375&long=103.375&description=x",
                                        "application/x-www-form-urlencoded"};
                        },
                        {403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403}});
        rows.push_back({"POST",
                        "/open311/v2/servicerequestupdates" + ext,
                        [ext, id](World&, Who) {
                            return Call{"POST", "/open311/v2/servicerequestupdates" + ext,
                                        "service_request_id=" + id + "&update_id=authz-1&status=OPEN&description=x",
                                        "application/x-www-form-urlencoded"};
                        },
                        {403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403}});
    }
    rows.push_back({"GET", "/open311/v2/media/{id}",
                    [photo](World&, Who) {
                        return Call{"GET", "/open311/v2/media/" + std::to_string(photo), ""};
                    },
                    kEveryone});
    return rows;
}

TEST(Authorization, EveryRoleAgainstEveryEndpoint) {
    Daemon d;
    World w(d);
    auto rows = native_rows();
    for (auto& r : open311_rows(w)) rows.push_back(std::move(r));

    // Coverage both ways: every route the server serves has a row, and every row names a route
    // the server serves (a renamed route cannot leave a stale row behind).
    const auto document = d.get("/api/v1/openapi.json").json();
    std::set<std::pair<std::string, std::string>> covered, served;
    for (const auto& r : rows) covered.insert({r.method, r.route});
    for (const auto& [path, operations] : document["paths"].items())
        for (const auto& [method, _] : operations.items()) {
            std::string upper = method;
            for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
            if (upper != "HEAD") served.insert({upper, path});
        }
    for (const auto& route : served)
        EXPECT_TRUE(covered.count(route)) << "no authorisation row for " << route.first << " " << route.second;
    for (const auto& route : covered)
        EXPECT_TRUE(served.count(route)) << "a row for a route not served: " << route.first << " " << route.second;

    for (const auto& row : rows) {
        for (int who = 0; who < kRoles; ++who) {
            const auto call = row.make(w, static_cast<Who>(who));
            const auto r = w.send(static_cast<Who>(who), call);
            EXPECT_EQ(r.status, row.expect[who])
                << row.method << " " << row.route << " as " << kRoleNames[who] << " → " << r.body.substr(0, 200);
        }
    }
}

}  // namespace
}  // namespace civic::test
