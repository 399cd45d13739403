// API.md §1 and §9: health, metrics, the OpenAPI document, the test clock.
#include "common/errors.hpp"
#include "common/metric_lines.hpp"
#include "common/time.hpp"
#include "server/api/auth.hpp"
#include "server/api/input.hpp"
#include "server/api/routes.hpp"
#include "server/domain/photo_decode_gate.hpp"
#include "server/domain/possible_duplicates.hpp"
#include "server/http/response.hpp"
#include "server/store/cluster_events.hpp"
#include "server/store/cluster_repo.hpp"

namespace civic::api {

namespace asio = boost::asio;
using http::Request;
using http::Response;
using nlohmann::json;

namespace {

asio::awaitable<Response> healthz(AppContext&, Request&) { co_return http::json_response(200, {{"status", "ok"}}); }

asio::awaitable<Response> metrics(AppContext& ctx, Request&) {
    Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = ctx.metrics->render([&ctx](std::string& out) {
        if (const auto* gate = domain::photo_decode_gate()) {
            metric_lines::append_value(out, "civicsnap_photo_decodes_active", "gauge",
                                       "Photos being decoded, cleaned and stored.", gate->active());
            metric_lines::append_value(out, "civicsnap_photo_decodes_waiting", "gauge",
                                       "Photos waiting for a decode slot.", gate->waiting());
            metric_lines::append_value(out, "civicsnap_photo_decodes_limit", "gauge", "Decode slots (--photo-decodes).",
                                       static_cast<std::int64_t>(gate->slots()));
        }
        // SQLite: the writer's queue and batches; PostgreSQL: the pool's use and retries.
        ctx.db.engine().append_metrics(out);
        if (ctx.duplicates) ctx.duplicates->append_metrics(out);  // SQLite: the open points in memory
        if (ctx.cluster) ctx.cluster->append_metrics(out);
    });
    co_return r;
}

asio::awaitable<Response> set_clock(AppContext& ctx, Request& req) {
    const auto who = co_await authenticate(ctx, req);
    require_role(who, {Role::admin});
    const auto body = json_body(req);
    if (!body.contains("now")) throw ApiError::invalid_field("now", "now is required (a time or null)");
    const auto& now = body["now"];
    std::optional<std::int64_t> pinned;
    if (!now.is_null()) {
        if (!now.is_string()) throw ApiError::invalid_field("now", "now must be an RFC 3339 time or null");
        pinned = timefmt::parse_rfc3339(now.get<std::string>());
        if (!pinned) throw ApiError::invalid_field("now", "now must be an RFC 3339 time or null");
    }
    if (ctx.db.engine().kind() == store::Engine::postgresql) {
        // Every node's clock (docs/postgresql.md "Coherence across nodes"): the shared row, then
        // this node's at once; the others follow through their listener within a second.
        const auto shared =
            co_await ctx.db.write([&](store::Conn& conn) { return store::save_shared_clock(conn, pinned); });
        ctx.clock.apply_shared_override(shared.pinned_to, shared.version);
    } else {
        ctx.clock.set_override(pinned);
    }
    co_return http::json_response(
        200, {{"now", timefmt::format_rfc3339(ctx.clock.now())}, {"pinned", ctx.clock.override_value().has_value()}});
}

}  // namespace

void add_system_routes(http::Router& router, AppContext& ctx) {
    router.add({"GET", "/healthz", 0, bind(ctx, healthz), "Liveness"});
    router.add({"GET", "/metrics", 0, bind(ctx, metrics), "Prometheus metrics"});
    if (ctx.config.test_clock)
        router.add({"POST", "/api/v1/admin/clock", http::limits::kMaxJsonBodyBytes, bind(ctx, set_clock),
                    "Set the test clock (admin, --test-clock)"});
}

}  // namespace civic::api
