// API.md §1: the served OpenAPI document is a contract. Daemon::request already validates every
// response of the integration suite against it (support/openapi_contract); these tests check the
// document's own completeness against server/api/openapi/*.json and that the validator rejects
// what breaks the contract (so that a passing suite means something).
#include "support/daemon.hpp"
#include "support/openapi_contract.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

using civic::test::Daemon;
using civic::test::OpenApiContract;
using nlohmann::json;

namespace {

const json& served_document() {
    static const json doc = [] {
        Daemon d;  // with --test-clock: every route the server can have
        auto r = d.get("/api/v1/openapi.json");
        EXPECT_EQ(r.status, 200);
        return r.json();
    }();
    return doc;
}

const char* const kMethods[] = {"get", "put", "post", "delete", "options", "head", "patch", "trace"};

TEST(OpenApi, EveryRouteIsDescribedAndEveryDescriptionIsARoute) {
    const auto& doc = served_document();
    EXPECT_EQ(doc["openapi"], "3.1.0");
    std::set<std::pair<std::string, std::string>> served;
    for (const auto& [path, item] : doc["paths"].items())
        for (const auto& [method, op] : item.items()) {
            served.insert({path, method});
            EXPECT_FALSE(op.contains("x-undocumented")) << method << " " << path << " is not in server/api/openapi/";
            EXPECT_TRUE(op.contains("summary") && op.contains("operationId") && op.contains("security") &&
                        op.contains("responses"))
                << method << " " << path;
        }
    // The data files describe nothing the server does not have (a renamed route cannot leave a
    // stale description behind).
    std::size_t described = 0;
    for (const auto& entry : std::filesystem::directory_iterator(CIVIC_OPENAPI_DATA_DIR)) {
        std::ifstream in(entry.path());
        std::stringstream text;
        text << in.rdbuf();
        const auto part = json::parse(text.str());
        if (!part.contains("paths")) continue;
        for (const auto& [path, item] : part["paths"].items())
            for (const auto& method : kMethods)
                if (item.contains(method)) {
                    ++described;
                    EXPECT_TRUE(served.count({path, method}))
                        << entry.path().filename() << " describes " << method << " " << path << ", which is not a route";
                }
    }
    EXPECT_EQ(described, served.size());
}

TEST(OpenApi, OperationsDeclareTheirErrorsAndSecurity) {
    const auto& doc = served_document();
    for (const auto& [path, item] : doc["paths"].items())
        for (const auto& [method, op] : item.items()) {
            const auto& responses = op["responses"];
            bool success = false, client_error = false;
            for (const auto& [status, _] : responses.items()) {
                success = success || status[0] == '2' || status[0] == '3' || status == "101";
                client_error = client_error || status[0] == '4' || status == "default";
            }
            EXPECT_TRUE(success) << method << " " << path << " has no success status";
            EXPECT_TRUE(client_error) << method << " " << path << " has no error status";
            // Bearer operations answer 401; public ones say so with an empty requirement list.
            for (const auto& requirement : op["security"]) {
                if (requirement.contains("bearerAuth") || requirement.contains("kioskSignature")) {
                    EXPECT_TRUE(responses.contains("401")) << method << " " << path;
                }
            }
        }
    const auto& schemes = doc["components"]["securitySchemes"];
    EXPECT_EQ(schemes["bearerAuth"]["scheme"], "bearer");
    EXPECT_EQ(schemes["kioskSignature"]["name"], "X-Kiosk-Signature");
    EXPECT_EQ(schemes["open311ApiKey"]["in"], "query");
    const auto& submit = doc["paths"]["/api/v1/reports"]["post"];
    EXPECT_TRUE(submit["requestBody"]["content"].contains("multipart/form-data"));
    const auto& codes = doc["components"]["schemas"]["ErrorCode"]["enum"];
    for (const char* code : {"bad_request", "invalid_field", "unauthorized", "forbidden", "not_found", "conflict",
                             "invalid_transition", "insufficient_points", "out_of_stock", "token_invalid",
                             "payload_too_large", "unsupported_media_type", "rate_limited", "unavailable"})
        EXPECT_NE(std::find(codes.begin(), codes.end(), code), codes.end()) << code;
}

// The checker Daemon::request applies, fed answers that break the contract.
TEST(OpenApi, TheValidatorRejectsWhatBreaksTheContract) {
    const OpenApiContract contract(served_document());
    const json user = {{"id", 7}, {"phone", "13700000001"}, {"display_name", "居民"}, {"role", "resident"},
                       {"grid_ids", json::array()}};
    const auto check = [&](const std::string& method, const std::string& target, int status, const json& body,
                           const std::string& type = "application/json") {
        return contract.check(method, target, status, type, body.dump());
    };
    EXPECT_TRUE(check("GET", "/api/v1/me", 200, user).empty());
    auto extra = user;
    extra["password_hash"] = "x";
    EXPECT_FALSE(check("GET", "/api/v1/me", 200, extra).empty());  // an undocumented field
    auto missing = user;
    missing.erase("grid_ids");
    EXPECT_FALSE(check("GET", "/api/v1/me", 200, missing).empty());
    auto role = user;
    role["role"] = "mayor";
    EXPECT_FALSE(check("GET", "/api/v1/me", 200, role).empty());  // not in the enum
    EXPECT_FALSE(check("GET", "/api/v1/me", 201, user).empty());  // a status the operation does not have
    EXPECT_FALSE(check("GET", "/api/v1/me", 200, user, "text/html").empty());
    EXPECT_FALSE(check("GET", "/api/v1/nothing", 200, user).empty());  // no such operation

    const json error = {{"error", {{"code", "not_found"}, {"message", "no such report"}}}};
    EXPECT_TRUE(check("GET", "/api/v1/reports/99", 404, error).empty());
    EXPECT_TRUE(check("DELETE", "/api/v1/reports/99", 405, {{"error", {{"code", "method_not_allowed"}, {"message", "m"}}}}).empty());
    EXPECT_FALSE(check("GET", "/api/v1/reports/99", 404, {{"error", {{"code", "gone"}, {"message", "m"}}}}).empty());
    EXPECT_FALSE(check("GET", "/api/v1/reports/99", 404, {{"error", "not found"}}).empty());

    // Nullable fields take null and their type, nothing else; nested objects are closed too.
    const json page = {{"items", json::array()}, {"next_cursor", nullptr}};
    EXPECT_TRUE(check("GET", "/api/v1/reports?limit=5", 200, page).empty());
    EXPECT_FALSE(check("GET", "/api/v1/reports", 200, {{"items", json::array()}, {"next_cursor", 5}}).empty());
    EXPECT_FALSE(check("GET", "/api/v1/reports", 200, {{"items", json::array({{{"id", 1}}})}, {"next_cursor", nullptr}}).empty());

    // oneOf: an honour exchange is not a credit exchange.
    const json honour = {{"id", 1}, {"type", "honour"}, {"points", 50}, {"balance_after", 10}, {"sku", "HON-1"}};
    EXPECT_TRUE(check("POST", "/api/v1/me/exchanges", 201, honour).empty());
    auto both = honour;
    both["credit_score"] = 3;
    EXPECT_FALSE(check("POST", "/api/v1/me/exchanges", 201, both).empty());

    // allOf: a supervision item is a report plus hours_overdue, and only that.
    const auto report = [] {
        json r = {{"id", 3}, {"status", "accepted"}, {"category", "c"}, {"description", "d"}, {"lat", 23.1},
                  {"lon", 103.2}, {"address", nullptr}, {"grid_id", 1}, {"assignee_id", nullptr}, {"reporter_id", 2},
                  {"created_at", "2026-11-20T08:00:00Z"}, {"accepted_at", "2026-11-20T09:00:00Z"},
                  {"deadline_at", "2026-11-21T09:00:00Z"}, {"resolved_at", nullptr}, {"closed_at", nullptr},
                  {"overdue", true}, {"deadline_light", "red"}, {"rework_count", 0}, {"duplicate_of", nullptr},
                  {"rating", nullptr}, {"points_awarded", 5}, {"possible_duplicates", json::array()},
                  {"photos", json::array()}, {"photo_reused_from", json::array()}};
        return r;
    }();
    auto item = report;
    item["hours_overdue"] = 12.5;
    EXPECT_TRUE(check("GET", "/api/v1/supervision", 200, {{"items", {item}}, {"next_cursor", nullptr}}).empty());
    item["surprise"] = 1;
    EXPECT_FALSE(check("GET", "/api/v1/supervision", 200, {{"items", {item}}, {"next_cursor", nullptr}}).empty());
    auto bad_time = report;
    bad_time["created_at"] = "2026-11-20 08:00";
    EXPECT_FALSE(check("GET", "/api/v1/reports/3", 200, bad_time).empty());

    // Open311: the GeoReport error array on its routes, XML by media type.
    EXPECT_TRUE(check("GET", "/open311/v2/requests/abc.json", 404, json::array({{{"code", 404}, {"description", "x"}}})).empty());
    EXPECT_FALSE(check("GET", "/open311/v2/requests/abc.json", 404, error).empty());
    EXPECT_TRUE(contract.check("GET", "/open311/v2/services.xml", 200, "text/xml; charset=utf-8", "<services/>").empty());
    EXPECT_FALSE(contract.check("GET", "/open311/v2/services.xml", 200, "application/json", "[]").empty());
    EXPECT_EQ(contract.template_for("/open311/v2/services/100101.manhole-water.json"), "/open311/v2/services/{service_code}.json");
    EXPECT_EQ(contract.template_for("/kiosk/"), "/kiosk/");
}

}  // namespace
