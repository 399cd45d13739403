// API.md §1: the served OpenAPI document is a contract. Daemon::request already validates every
// response of the integration suite against it (support/openapi_contract); these tests check the
// document's own completeness against server/api/openapi/*.json and that the validator rejects
// what breaks the contract (so that a passing suite means something).
#include "support/daemon.hpp"
#include "support/openapi_contract.hpp"
#include "ticket_city.hpp"

#include <gtest/gtest.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <sys/socket.h>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

using civic::test::Daemon;
using civic::test::JsonSchemas;
using civic::test::OpenApiContract;
using civic::test::raw_exchange;
using civic::test::TicketCity;
namespace asio = boost::asio;
namespace beast = boost::beast;
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
                    EXPECT_TRUE(served.count({path, method})) << entry.path().filename() << " describes " << method
                                                              << " " << path << ", which is not a route";
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
    const json user = {{"id", 7},
                       {"phone", "13700000001"},
                       {"display_name", "居民"},
                       {"role", "resident"},
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
    EXPECT_TRUE(
        check("DELETE", "/api/v1/reports/99", 405, {{"error", {{"code", "method_not_allowed"}, {"message", "m"}}}})
            .empty());
    EXPECT_FALSE(check("GET", "/api/v1/reports/99", 404, {{"error", {{"code", "gone"}, {"message", "m"}}}}).empty());
    EXPECT_FALSE(check("GET", "/api/v1/reports/99", 404, {{"error", "not found"}}).empty());

    // Nullable fields take null and their type, nothing else; nested objects are closed too.
    const json page = {{"items", json::array()}, {"next_cursor", nullptr}};
    EXPECT_TRUE(check("GET", "/api/v1/reports?limit=5", 200, page).empty());
    EXPECT_FALSE(check("GET", "/api/v1/reports", 200, {{"items", json::array()}, {"next_cursor", 5}}).empty());
    EXPECT_FALSE(check("GET", "/api/v1/reports", 200, {{"items", json::array({{{"id", 1}}})}, {"next_cursor", nullptr}})
                     .empty());

    // oneOf: an honour exchange is not a credit exchange.
    const json honour = {{"id", 1}, {"type", "honour"}, {"points", 50}, {"balance_after", 10}, {"sku", "HON-1"}};
    EXPECT_TRUE(check("POST", "/api/v1/me/exchanges", 201, honour).empty());
    auto both = honour;
    both["credit_score"] = 3;
    EXPECT_FALSE(check("POST", "/api/v1/me/exchanges", 201, both).empty());

    // allOf: a supervision item is a report plus hours_overdue, and only that.
    const auto report = [] {
        json r = {{"id", 3},
                  {"status", "accepted"},
                  {"category", "c"},
                  {"description", "d"},
                  {"lat", 23.1},
                  {"lon", 103.2},
                  {"address", nullptr},
                  {"grid_id", 1},
                  {"assignee_id", nullptr},
                  {"reporter_id", 2},
                  {"created_at", "2026-11-20T08:00:00Z"},
                  {"accepted_at", "2026-11-20T09:00:00Z"},
                  {"deadline_at", "2026-11-21T09:00:00Z"},
                  {"resolved_at", nullptr},
                  {"closed_at", nullptr},
                  {"overdue", true},
                  {"deadline_light", "red"},
                  {"rework_count", 0},
                  {"duplicate_of", nullptr},
                  {"rating", nullptr},
                  {"points_awarded", 5},
                  {"verified", false},
                  {"self_handled", false},
                  {"parked_until", nullptr},
                  {"check_deadline_at", nullptr},
                  {"possible_duplicates", json::array()},
                  {"photos", json::array()},
                  {"photo_reused_from", json::array()}};
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
    EXPECT_TRUE(check("GET", "/open311/v2/requests/abc.json", 404, json::array({{{"code", 404}, {"description", "x"}}}))
                    .empty());
    EXPECT_FALSE(check("GET", "/open311/v2/requests/abc.json", 404, error).empty());
    EXPECT_TRUE(
        contract.check("GET", "/open311/v2/services.xml", 200, "text/xml; charset=utf-8", "<services/>").empty());
    EXPECT_FALSE(contract.check("GET", "/open311/v2/services.xml", 200, "application/json", "[]").empty());
    EXPECT_EQ(contract.template_for("/open311/v2/services/100101.manhole-water.json"),
              "/open311/v2/services/{service_code}.json");
    EXPECT_EQ(contract.template_for("/kiosk/"), "/kiosk/");
}

// The validator cannot pass what it does not check: a keyword outside its subset is refused for
// every schema of a document (not only those an answer reaches), uniqueItems is judged, and the
// keywords beside a $ref apply.
TEST(OpenApi, TheValidatorRefusesWhatItCannotCheck) {
    EXPECT_EQ(JsonSchemas::lint_document(served_document()), std::vector<std::string>{});
    auto doc = served_document();
    doc["components"]["schemas"]["Points"]["properties"]["balance"]["exclusiveMinimum"] = 0;
    doc["paths"]["/api/v1/me"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] = {
        {"type", "object"}, {"properties", {{"when", {{"type", "string"}, {"format", "date"}}}}}};
    doc["components"]["schemas"]["Extra"] = {{"type", "array"}, {"items", {{"type", "int"}}}};
    const auto problems = JsonSchemas::lint_document(doc);
    ASSERT_EQ(problems.size(), 3u) << ::testing::PrintToString(problems);
    EXPECT_EQ(problems[0], "/components/schemas/Extra/items: unknown type \"int\"");
    EXPECT_EQ(problems[1], "/components/schemas/Points/properties/balance: unsupported keyword exclusiveMinimum");
    EXPECT_EQ(problems[2],
              "/paths/~1api~1v1~1me/get/responses/200/content/application~1json/schema/properties/when: "
              "unsupported format \"date\"");
    EXPECT_THROW(OpenApiContract{doc}, std::runtime_error);

    const auto schemas =
        JsonSchemas::of_document({{"components", {{"schemas", {{"Code", {{"type", "string"}, {"maxLength", 4}}}}}}}});
    const json unique = {{"type", "array"}, {"uniqueItems", true}};
    EXPECT_TRUE(schemas.validate_schema(unique, {1, 2, "1"}).empty());
    EXPECT_FALSE(schemas.validate_schema(unique, {1, 2, 1}).empty());
    EXPECT_FALSE(schemas.validate_schema(unique, json::array({{{"a", 1}}, {{"a", 1}}})).empty());
    const json beside = {{"$ref", "#/components/schemas/Code"}, {"enum", {"ab", "abc"}}};
    EXPECT_TRUE(schemas.validate_schema(beside, "ab").empty());
    EXPECT_FALSE(schemas.validate_schema(beside, "abcd").empty()) << "the keyword beside $ref";
    EXPECT_FALSE(schemas.validate_schema(beside, "abcde").empty()) << "the referenced schema";
}

// The WebSocket is outside what Daemon::request can speak, so its answers are checked here: 401
// before the upgrade (in the error format), 101 with a good token, and the frames against the
// document's StreamEvent schema.
TEST(OpenApi, TheStreamAnswersAsDocumented) {
    Daemon d;
    TicketCity c{d};
    const OpenApiContract contract(served_document());
    const std::string upgrade =
        "GET /api/v1/stream HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    const auto refused = raw_exchange(d.port(), upgrade + "Authorization: Bearer forged\r\n\r\n");
    ASSERT_EQ(refused.rfind("HTTP/1.1 401", 0), 0u) << refused.substr(0, 100);
    const auto split = refused.find("\r\n\r\n");
    const auto head = refused.substr(0, split);
    const auto type_at = head.find("Content-Type: ");
    ASSERT_NE(type_at, std::string::npos);
    const auto type = head.substr(type_at + 14, head.find("\r\n", type_at) - type_at - 14);
    EXPECT_EQ(contract.check("GET", "/api/v1/stream", 401, type, refused.substr(split + 4)),
              std::vector<std::string>{});
    const auto accepted = raw_exchange(d.port(), upgrade + "Authorization: Bearer " + c.m1.token + "\r\n\r\n", 1000);
    ASSERT_EQ(accepted.rfind("HTTP/1.1 101", 0), 0u) << accepted.substr(0, 100);
    EXPECT_EQ(contract.check("GET", "/api/v1/stream", 101, "", ""), std::vector<std::string>{});

    asio::io_context ioc;
    beast::websocket::stream<asio::ip::tcp::socket> ws(ioc);
    asio::ip::tcp::resolver resolver(ioc);
    asio::connect(ws.next_layer(), resolver.resolve("127.0.0.1", std::to_string(d.port())));
    timeval tv{10, 0};
    ::setsockopt(ws.next_layer().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ws.handshake("127.0.0.1", "/api/v1/stream?access_token=" + c.m1.token);
    const auto id = c.submit(c.r1)["id"].get<std::int64_t>();
    c.ok(c.m1, id, {{"action", "accept"}});
    const auto schemas = JsonSchemas::of_document(served_document());
    const json message_schema = served_document()["paths"]["/api/v1/stream"]["get"]["x-websocket-message"];
    for (int i = 0; i < 2; ++i) {
        beast::flat_buffer buffer;
        ws.read(buffer);
        const auto frame = json::parse(beast::buffers_to_string(buffer.data()));
        EXPECT_EQ(schemas.validate_schema(message_schema, frame), std::vector<std::string>{}) << frame.dump();
        EXPECT_EQ(frame["report_id"], id);
    }
}

}  // namespace
