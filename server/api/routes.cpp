#include "server/api/routes.hpp"

#include "common/json.hpp"
#include "server/http/response.hpp"
#include "server/store/sqlite.hpp"

#include <cstdio>

namespace civic::api {

using nlohmann::json;

namespace {

// Storage failures that escape a handler: a full disk or a busy database is temporary (503 with
// Retry-After), anything else is a bug or corruption (500). Either way the details go to the log,
// not to the client.
std::optional<ApiError> storage_error(const std::exception& e, const std::string& route) {
    const auto* db = dynamic_cast<const store::DbError*>(&e);
    if (!db) return std::nullopt;
    if (db->storage_exhausted() || db->busy()) {
        std::fprintf(stderr, "civicsnapd: storage unavailable on %s: %s\n", route.c_str(), e.what());
        return ApiError::unavailable(5, "storage temporarily unavailable");
    }
    std::fprintf(stderr, "civicsnapd: database error on %s: %s\n", route.c_str(), e.what());
    return ApiError(500, "internal", "internal error");
}

}  // namespace

http::Router build_router(AppContext& ctx) {
    http::Router router;
    router.set_error_translator(storage_error);
    add_system_routes(router, ctx);
    add_account_routes(router, ctx);
    add_city_routes(router, ctx);
    add_report_routes(router, ctx);
    add_points_routes(router, ctx);
    add_exchange_routes(router, ctx);
    add_kiosk_routes(router, ctx);
    add_open311_routes(router, ctx);
    add_stats_routes(router, ctx);
    add_web_routes(router, ctx);
    // The document describes the table it is served from, so it can never miss an endpoint.
    auto document = std::make_shared<std::string>();
    router.add({"GET", "/api/v1/openapi.json", 0,
                [document](http::Request&) -> boost::asio::awaitable<http::Response> {
                    http::Response r;
                    r.body = *document;
                    co_return r;
                },
                "This document"});
    *document = openapi_document(router);
    return router;
}

std::string openapi_document(const http::Router& router) {
    json paths = json::object();
    const json error_schema = {{"$ref", "#/components/schemas/Error"}};
    for (const auto& route : router.routes()) {
        // OpenAPI writes parameters as {name}; strip our ":int" type suffixes.
        std::string path;
        json parameters = json::array();
        for (std::size_t i = 0; i < route.pattern.size(); ++i) {
            if (route.pattern[i] != '{') {
                path += route.pattern[i];
                continue;
            }
            const auto close = route.pattern.find('}', i);
            auto inner = route.pattern.substr(i + 1, close - i - 1);
            const auto colon = inner.find(':');
            const auto name = inner.substr(0, colon);
            const bool is_int = colon != std::string::npos && inner.substr(colon + 1) == "int";
            path += "{" + name + "}";
            parameters.push_back({{"name", name},
                                  {"in", "path"},
                                  {"required", true},
                                  {"schema", is_int ? json{{"type", "integer"}, {"minimum", 1}} : json{{"type", "string"}}}});
            i = close;
        }
        std::string method = route.method;
        for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        json op = {{"summary", route.summary},
                   {"operationId", method + path},
                   {"responses",
                    {{"default", {{"description", "Error", },
                                  {"content", {{"application/json", {{"schema", error_schema}}}}}}}}}};
        op["responses"]["200"] = {{"description", "Success"}};
        if (!parameters.empty()) op["parameters"] = parameters;
        if (route.body_limit > 0) op["x-body-limit-bytes"] = route.body_limit;
        paths[path][method] = std::move(op);
    }
    json doc = {
        {"openapi", "3.1.0"},
        {"info", {{"title", "civicsnap API"}, {"version", "1"}, {"description", "See docs/api.md for the full contract."}}},
        {"components",
         {{"securitySchemes", {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}},
          {"schemas",
           {{"Error",
             {{"type", "object"},
              {"required", {"error"}},
              {"properties",
               {{"error",
                 {{"type", "object"},
                  {"required", {"code", "message"}},
                  {"properties",
                   {{"code", {{"type", "string"}}}, {"message", {{"type", "string"}}}, {"field", {{"type", "string"}}}}}}}}}}}}}}},
        {"paths", std::move(paths)},
    };
    return jsonutil::dump(doc);
}

}  // namespace civic::api
