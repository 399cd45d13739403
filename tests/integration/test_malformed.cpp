// Every JSON endpoint against its malformed variants, generated from one valid body per
// endpoint: not JSON, not an object, each required field missing, each field of the wrong type,
// invalid UTF-8, a huge string, huge and non-integral numbers, nesting past the depth limit.
// Each must be refused with 400 (or 413 when the body outgrows the route's limit) in the API's
// error format — and, checked once at the end, nothing the API can show has changed.
#include "kiosk_support.hpp"
#include "ticket_city.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <set>

namespace civic::test {
namespace {

using nlohmann::json;

enum class Caller { anonymous, admin, resident, manager, kiosk };

struct Endpoint {
    std::string target;
    Caller caller;
    json valid;
    std::set<std::string> required;
};

struct Variant {
    std::string name;
    std::string body;  // raw bytes: some variants are not JSON at all
    bool may_be_too_large = false;
};

// Replaces the JSON string "@@RAW@@" in a dumped body by raw text (invalid UTF-8, deep nesting).
std::string with_raw(json body, const std::string& field, const std::string& raw) {
    body[field] = "@@RAW@@";
    auto text = body.dump();
    text.replace(text.find("\"@@RAW@@\""), 9, raw);
    return text;
}

json wrong_type(const json& v) {
    if (v.is_string()) return 12345;
    if (v.is_number()) return "12";
    if (v.is_boolean()) return "yes";
    if (v.is_array()) return json::object();
    return 7;  // objects
}

std::vector<Variant> variants_of(const Endpoint& e) {
    std::vector<Variant> out = {{"truncated JSON", "{\"a\":", false},
                                {"an array, not an object", "[]", false},
                                {"a bare string", "\"x\"", false},
                                {"trailing garbage", e.valid.dump() + "x", false}};
    for (const auto& [field, value] : e.valid.items()) {
        if (e.required.count(field)) {
            json missing = e.valid;
            missing.erase(field);
            out.push_back({field + " missing", missing.dump()});
        }
        json typed = e.valid;
        typed[field] = wrong_type(value);
        out.push_back({field + " of the wrong type", typed.dump()});
        out.push_back(
            {field + " nested 40 deep", with_raw(e.valid, field, std::string(40, '[') + std::string(40, ']'))});
        if (value.is_string()) {
            out.push_back({field + " invalid UTF-8", with_raw(e.valid, field,
                                                              "\"a\xff\xfe"
                                                              "b\"")});
            json huge = e.valid;
            huge[field] = std::string(100000, 'x');
            out.push_back({field + " 100,000 characters", huge.dump(), true});
        }
        if (value.is_number()) {
            for (const auto& [label, raw] : std::vector<std::pair<std::string, std::string>>{
                     {" = 1e300", "1e300"}, {" = -1e300", "-1e300"}, {" = 2^63", "9223372036854775808"}})
                out.push_back({field + label, with_raw(e.valid, field, raw)});
            if (value.is_number_integer()) out.push_back({field + " = 1.5", with_raw(e.valid, field, "1.5")});
        }
    }
    return out;
}

// What an observer could see through the API: it must be the same after every refusal.
json visible_state(const Daemon& d, const TicketCity& c) {
    json s;
    for (const char* path : {"/api/v1/reports?limit=200", "/api/v1/grids", "/api/v1/stats/points"})
        s[path] = d.get(path, c.admin).json();
    for (const char* path : {"/api/v1/categories", "/api/v1/rewards", "/api/v1/funds", "/api/v1/honour-roll"})
        s[path] = d.get(path).json();
    s["r1 points"] = d.get("/api/v1/me/points", c.r1.token).json();
    s["r1 ledger"] = d.get("/api/v1/me/points/ledger", c.r1.token).json();
    return s;
}

TEST(MalformedInput, EveryJsonEndpointRefusesEveryMalformedVariantAndChangesNothing) {
    Daemon d;
    TicketCity c(d);
    c.set_clock(wall_clock_iso());
    const auto kiosk = register_kiosk(d);
    add_reward(d, "SOAP", 3, 100);
    grant_points(d, c.r1.id, 500);
    const auto report = std::to_string(c.submit(c.r1)["id"].get<std::int64_t>());
    const auto token = redeem_token(d, c.r1.token);
    const json square = {{"type", "Polygon"},
                         {"coordinates", {{{105.0, 24.0}, {105.01, 24.0}, {105.01, 24.01}, {105.0, 24.0}}}}};

    const std::vector<Endpoint> endpoints = {
        {"/api/v1/auth/register",
         Caller::anonymous,
         {{"phone", "13612345678"}, {"password", "resident-pass-1"}, {"display_name", "新居民"}},
         {"phone", "password", "display_name"}},
        {"/api/v1/auth/login",
         Caller::anonymous,
         {{"phone", "13712345678"}, {"password", "resident-pass-1"}},
         {"phone", "password"}},
        {"/api/v1/admin/users",
         Caller::admin,
         {{"phone", "13512345678"},
          {"password", "staff-pass-1"},
          {"display_name", "网格员"},
          {"role", "worker"},
          {"grid_ids", {c.g1}}},
         {"phone", "password", "display_name", "role", "grid_ids"}},
        {"/api/v1/admin/grids",
         Caller::admin,
         {{"code", "NEW-1"}, {"name", "新网格"}, {"boundary", square}, {"auto_assign", true}},
         {"code", "name", "boundary"}},
        {"/api/v1/admin/categories",
         Caller::admin,
         {{"code", "new-cat"}, {"name", "新类别"}, {"sla_hours", 24}, {"points_on_accept", 1}, {"points_on_close", 2}},
         {"code", "name", "sla_hours", "points_on_accept", "points_on_close"}},
        {"/api/v1/admin/rewards",
         Caller::admin,
         {{"sku", "NEW"}, {"name", "新商品"}, {"points_cost", 5}, {"stock", 5}, {"kind", "goods"}},
         {"sku", "name", "points_cost", "stock"}},
        {"/api/v1/admin/kiosks", Caller::admin, {{"name", "三号收银台"}, {"store", "文澜超市"}}, {"name", "store"}},
        {"/api/v1/admin/points/adjustments",
         Caller::admin,
         {{"user_id", c.r1.id}, {"points", 5}, {"reason", "补发"}},
         {"user_id", "points", "reason"}},
        {"/api/v1/admin/open311-keys", Caller::admin, {{"name", "合作方"}}, {"name"}},
        {"/api/v1/admin/clock", Caller::admin, {{"now", "2030-01-01T00:00:00Z"}}, {}},
        {"/api/v1/me/donations", Caller::resident, {{"fund", "charity"}, {"points", 5}}, {"fund", "points"}},
        {"/api/v1/me/exchanges", Caller::resident, {{"type", "credit"}, {"points", 10}}, {"type", "points"}},
        {"/api/v1/reports/" + report + "/actions",
         Caller::manager,
         {{"action", "reject"}, {"reason", "不属实"}},
         {"action", "reason"}},
        {"/api/v1/reports/" + report + "/rating", Caller::resident, {{"rating", 5}, {"comment", "满意"}}, {"rating"}},
        {"/api/v1/kiosk/lookup", Caller::kiosk, {{"token", token}}, {"token"}},
        {"/api/v1/kiosk/redemptions",
         Caller::kiosk,
         {{"token", token}, {"items", {{{"sku", "SOAP"}, {"qty", 1}}}}},
         {"token", "items"}},
    };

    const auto before = visible_state(d, c);
    int serial = 0;
    std::size_t sent = 0;
    for (const auto& e : endpoints) {
        for (const auto& v : variants_of(e)) {
            Headers h = {{"Content-Type", "application/json"},
                         {"Idempotency-Key", "malformed-" + std::to_string(++serial)}};
            switch (e.caller) {
                case Caller::admin:
                    h.emplace_back("Authorization", "Bearer " + c.admin);
                    break;
                case Caller::resident:
                    h.emplace_back("Authorization", "Bearer " + c.r1.token);
                    break;
                case Caller::manager:
                    h.emplace_back("Authorization", "Bearer " + c.m1.token);
                    break;
                case Caller::kiosk:
                    for (const auto& kv : kiosk_headers(kiosk, KioskCall{"POST", e.target, v.body, 0, {}}))
                        h.push_back(kv);
                    break;
                case Caller::anonymous:
                    break;
            }
            const auto r = d.request("POST", e.target, v.body, h);
            ++sent;
            const auto code = r.error_code();
            const bool refused = r.status == 400 && (code == "bad_request" || code == "invalid_field");
            const bool too_large = v.may_be_too_large && r.status == 413 && code == "payload_too_large";
            EXPECT_TRUE(refused || too_large)
                << "POST " << e.target << " with " << v.name << " → " << r.status << " " << r.body.substr(0, 200);
        }
    }
    EXPECT_GT(sent, 200u);
    EXPECT_EQ(visible_state(d, c), before) << "a refused request changed something";
}

}  // namespace
}  // namespace civic::test
