#include "server/api/routes.hpp"

#include "server/http/response.hpp"
#include "server/store/sqlite.hpp"

namespace civic::api {

using nlohmann::json;

namespace {

// Storage failures that escape a handler: a full disk or a busy database is temporary (503 with
// Retry-After), anything else is a bug or corruption (500). Either way the details go to the log
// (Router::translate writes it), not to the client.
std::optional<ApiError> storage_error(const std::exception& e, const std::string&) {
    const auto* db = dynamic_cast<const store::DbError*>(&e);
    if (!db) return std::nullopt;
    if (db->storage_exhausted() || db->busy()) return ApiError::unavailable(5, "storage temporarily unavailable");
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

}  // namespace civic::api
