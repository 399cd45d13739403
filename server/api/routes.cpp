#include "server/api/routes.hpp"

#include "server/http/response.hpp"

namespace civic::api {

using nlohmann::json;

http::Router build_router(AppContext& ctx) {
    http::Router router;
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
