#pragma once
// The route table: build_router() collects every area's routes (each area registers its own,
// in its *_api.cpp) with their body limits and handlers, and serves the OpenAPI document of it.
#include "server/api/context.hpp"
#include "server/http/router.hpp"

namespace civic::api {

http::Router build_router(AppContext& ctx);

// Each area registers its own routes.
void add_system_routes(http::Router& router, AppContext& ctx);
void add_account_routes(http::Router& router, AppContext& ctx);
void add_city_routes(http::Router& router, AppContext& ctx);
void add_report_routes(http::Router& router, AppContext& ctx);
void add_points_routes(http::Router& router, AppContext& ctx);
void add_exchange_routes(http::Router& router, AppContext& ctx);
void add_kiosk_routes(http::Router& router, AppContext& ctx);
void add_open311_routes(http::Router& router, AppContext& ctx);
void add_stats_routes(http::Router& router, AppContext& ctx);
void add_web_routes(http::Router& router, AppContext& ctx);  // /dashboard/, /kiosk/ (docs/web.md)

// The OpenAPI 3.1 document of the router's table.
std::string openapi_document(const http::Router& router);

}  // namespace civic::api
