// API.md §3: grids and categories; and the public reward catalogue (§6).
#include "common/errors.hpp"
#include "server/api/auth.hpp"
#include "server/api/input.hpp"
#include "server/api/routes.hpp"
#include "server/api/views.hpp"
#include "server/domain/city.hpp"
#include "server/domain/work_time.hpp"
#include "server/http/response.hpp"
#include "server/store/commit_epoch.hpp"

#include <memory>
#include <mutex>

namespace civic::api {

namespace asio = boost::asio;
using http::Request;
using http::Response;
using nlohmann::json;

namespace {

constexpr std::size_t kMaxBoundaryBytes = 1u << 20;  // 10,000 positions fit comfortably
// A calendar at its limits: 4,000 dates of 13 bytes ("2026-10-01",) and 24 periods.
constexpr std::size_t kMaxCalendarBytes = 64 * 1024;

// The public category list is fetched at every app start and changes only when an admin adds a
// category, yet rebuilding its JSON took most of the CPU of each GET (docs/performance.md): the
// serialized body is kept under the 'categories' epoch (schema/012_cluster_events.sql), which a
// category written on any node moves (on PostgreSQL through the listener, within a second) and
// which the create's own commit moves before it answers. The epoch is taken before the read, so
// a list read from a snapshot older than a create is never kept under a newer epoch.
class CategoryListCache {
public:
    explicit CategoryListCache(store::StorageEngine& engine) : epoch_(engine, "categories") {}

    std::optional<std::string> get(std::uint64_t& epoch) const {
        epoch = epoch_.current();
        std::lock_guard lock(mutex_);
        if (body_ && body_epoch_ == epoch) return body_;
        return std::nullopt;
    }
    void store(std::uint64_t epoch, std::string body) {
        std::lock_guard lock(mutex_);
        body_ = std::move(body);
        body_epoch_ = epoch;
    }

private:
    store::CommitEpoch epoch_;
    mutable std::mutex mutex_;
    std::optional<std::string> body_;
    std::uint64_t body_epoch_ = 0;
};

// Exactly one of sla_hours, sla_work_hours, sla_work_days (API.md §4 "Working-time deadlines").
void read_time_limit(const json& body, store::CategoryRow& c) {
    struct Unit {
        std::string_view unit;
        std::int64_t max;
    };
    constexpr Unit kUnits[] = {{domain::kSlaUnitHours, domain::kMaxSlaHours},
                               {domain::kSlaUnitWorkHours, domain::kMaxSlaWorkHours},
                               {domain::kSlaUnitWorkDays, domain::kMaxSlaWorkDays}};
    std::optional<std::string> given;
    for (const auto& u : kUnits) {
        const auto key = domain::sla_key(u.unit);
        if (!body.contains(key)) continue;
        if (given)
            throw ApiError::invalid_field(
                key, "give exactly one of sla_hours, sla_work_hours, sla_work_days (" + *given + " given too)");
        given = key;
        c.sla_hours = require_int(body, key.c_str(), 1, u.max);
        c.sla_unit = std::string(u.unit);
    }
    if (!given)
        throw ApiError::invalid_field("sla_hours", "one of sla_hours, sla_work_hours, sla_work_days is required");
}

asio::awaitable<Response> create_grid(AppContext& ctx, Request& req) {
    const auto who = co_await authenticate(ctx, req);
    require_role(who, {Role::admin});
    const auto body = json_body(req);
    domain::NewGrid grid;
    grid.code = require_string(body, "code");
    grid.name = require_string(body, "name");
    if (!body.contains("boundary") || body["boundary"].is_null())
        throw ApiError::invalid_field("boundary", "boundary is required");
    grid.boundary = body["boundary"];
    grid.auto_assign = optional_bool(body, "auto_assign", true);
    const auto now = ctx.clock.now();
    auto row = co_await ctx.db.write([&](store::Conn& conn) { return domain::create_grid(conn, grid, now); });
    co_return http::json_response(201, grid_view(row));
}

asio::awaitable<Response> list_grids(AppContext& ctx, Request& req) {
    const auto who = co_await authenticate(ctx, req);
    if (!who.is_staff()) throw ApiError::forbidden();
    auto grids = co_await ctx.db.read([](store::Conn& conn) { return store::list_grids(conn); });
    json items = json::array();
    for (const auto& g : grids) items.push_back(grid_view(g));
    co_return http::json_response(200, {{"items", std::move(items)}});
}

asio::awaitable<Response> create_category(AppContext& ctx, Request& req) {
    const auto who = co_await authenticate(ctx, req);
    require_role(who, {Role::admin});
    const auto body = json_body(req);
    store::CategoryRow c;
    c.code = require_string(body, "code");
    c.name = require_string(body, "name");
    read_time_limit(body, c);
    c.points_on_accept = require_int(body, "points_on_accept", 0, domain::kMaxPointsPerAction);
    c.points_on_close = require_int(body, "points_on_close", 0, domain::kMaxPointsPerAction);
    domain::check_category(c);
    const auto now = ctx.clock.now();
    auto row = co_await ctx.db.write([&](store::Conn& conn) { return domain::create_category(conn, c, now); });
    co_return http::json_response(201, category_view(row));
}

asio::awaitable<Response> list_categories(AppContext& ctx, CategoryListCache& cache, Request&) {
    std::uint64_t epoch = 0;
    if (auto body = cache.get(epoch)) {
        Response cached;
        cached.body = std::move(*body);
        co_return cached;
    }
    auto rows = co_await ctx.db.read([](store::Conn& conn) { return store::list_categories(conn); });
    json items = json::array();
    for (const auto& c : rows) items.push_back(category_view(c));
    auto response = http::json_response(200, {{"items", std::move(items)}});
    cache.store(epoch, response.body);
    co_return response;
}

asio::awaitable<Response> get_work_calendar(AppContext& ctx, Request& req) {
    const auto who = co_await authenticate(ctx, req);
    if (!who.is_staff()) throw ApiError::forbidden();
    auto calendar = co_await ctx.db.read([](store::Conn& conn) { return domain::load_work_calendar(conn).to_json(); });
    co_return http::json_response(200, calendar);
}

asio::awaitable<Response> put_work_calendar(AppContext& ctx, Request& req) {
    const auto who = co_await authenticate(ctx, req);
    require_role(who, {Role::admin});
    const auto body = json_body(req);
    WorkCalendar::from_json(body);  // 400 before taking the writer
    const auto now = ctx.clock.now();
    auto calendar =
        co_await ctx.db.write([&](store::Conn& conn) { return domain::save_work_calendar(conn, body, now).to_json(); });
    co_return http::json_response(200, calendar);
}

}  // namespace

void add_city_routes(http::Router& router, AppContext& ctx) {
    router.add({"POST", "/api/v1/admin/grids", kMaxBoundaryBytes, bind(ctx, create_grid), "Create a grid (admin)"});
    router.add({"GET", "/api/v1/grids", 0, bind(ctx, list_grids), "List grids with their staff (staff)"});
    router.add(
        {"GET", "/api/v1/work-calendar", 0, bind(ctx, get_work_calendar), "The city's working calendar (staff)"});
    router.add({"PUT", "/api/v1/admin/work-calendar", kMaxCalendarBytes, bind(ctx, put_work_calendar),
                "Replace the city's working calendar (admin)"});
    auto cache = std::make_shared<CategoryListCache>(ctx.db.engine());
    auto bind_cached = [&ctx, cache](auto fn) {
        return [&ctx, cache, fn](Request& req) { return fn(ctx, *cache, req); };
    };
    router.add({"POST", "/api/v1/admin/categories", http::limits::kMaxJsonBodyBytes, bind(ctx, create_category),
                "Create a category (admin)"});
    router.add({"GET", "/api/v1/categories", 0, bind_cached(list_categories), "List categories (public)"});
}

}  // namespace civic::api
