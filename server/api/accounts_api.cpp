// API.md §2: register, login (with lockout), logout, me, admin-created staff.
#include "common/crypto.hpp"
#include "common/errors.hpp"
#include "server/api/auth.hpp"
#include "server/api/input.hpp"
#include "server/api/rate_limit.hpp"
#include "server/api/routes.hpp"
#include "server/api/views.hpp"
#include "server/domain/accounts.hpp"
#include "server/http/limits.hpp"
#include "server/http/response.hpp"
#include "server/store/city_repo.hpp"

namespace civic::api {

namespace asio = boost::asio;
using http::Request;
using http::Response;
using nlohmann::json;

namespace {

constexpr std::size_t kMaxGridsPerUser = 64;

// A hash of a password nobody has, so a login for an unknown phone costs the same time as one
// for a known phone (no account enumeration by timing).
const std::string& decoy_hash() {
    static const std::string hash = crypto::hash_password(crypto::random_token(16));
    return hash;
}

asio::awaitable<Response> register_resident(AppContext& ctx, Request& req) {
    // Every attempt counts, valid or not: the bucket guards the password hashing too.
    if (ctx.rate_limits)
        if (const auto wait = co_await ctx.rate_limits->registrations->take(req.remote_address, ctx.clock.now()))
            throw ApiError::rate_limited(*wait, "too many registrations from this address; retry later");
    const auto body = json_body(req);
    const auto phone = require_string(body, "phone");
    const auto password = require_string(body, "password");
    const auto display_name = require_string(body, "display_name");
    domain::check_phone(phone);
    domain::check_password(password);
    domain::check_display_name(display_name);
    auto hash = co_await offload(ctx.blocking_pool, [&password] { return crypto::hash_password(password); });
    const auto now = ctx.clock.now();
    const auto ttl = ctx.config.session_ttl_seconds;
    auto session = co_await ctx.db.write([&](store::Conn& conn) {
        store::UserRow user;
        user.phone = phone;
        user.password_hash = hash;
        user.display_name = display_name;
        user.role = domain::to_string(domain::Role::resident);
        return domain::start_session(conn, domain::create_user(conn, std::move(user), now), now, ttl);
    });
    co_return http::json_response(201, {{"token", session.token}, {"user", user_view(session.user)}});
}

asio::awaitable<Response> login(AppContext& ctx, Request& req) {
    const auto body = json_body(req);
    const auto phone = require_string(body, "phone");
    const auto password = require_string(body, "password");
    if (phone.size() > 32 || password.size() > 1024) throw ApiError::unauthorized("wrong phone or password");
    const auto now = ctx.clock.now();
    struct Found {
        std::optional<store::UserRow> user;
        std::optional<std::int64_t> locked_for;
    };
    auto found = co_await ctx.db.read([&](store::Conn& conn) {
        return Found{store::find_user_by_phone(conn, phone), domain::lockout_remaining(conn, phone, now)};
    });
    if (found.locked_for) throw ApiError::rate_limited(*found.locked_for, "too many failed logins; try again later");
    const auto stored = found.user ? found.user->password_hash : decoy_hash();
    const bool ok = co_await offload(ctx.blocking_pool, [&] { return crypto::verify_password(password, stored); });
    if (!ok || !found.user) {
        co_await ctx.db.write([&](store::Conn& conn) { domain::record_login_failure(conn, phone, now); });
        throw ApiError::unauthorized("wrong phone or password");
    }
    const auto ttl = ctx.config.session_ttl_seconds;
    auto session = co_await ctx.db.write([&](store::Conn& conn) {
        domain::clear_login_failures(conn, phone);
        return domain::start_session(conn, *found.user, now, ttl);
    });
    co_return http::json_response(200, {{"token", session.token}, {"user", user_view(session.user)}});
}

asio::awaitable<Response> logout(AppContext& ctx, Request& req) {
    co_await authenticate(ctx, req);
    const std::string token(*bearer_token(req));
    co_await ctx.db.write([&token](store::Conn& conn) { domain::end_session(conn, token); });
    co_return http::no_content();
}

asio::awaitable<Response> me(AppContext& ctx, Request& req) {
    const auto who = co_await authenticate(ctx, req);
    co_return http::json_response(200, {{"id", who.user_id},
                                        {"phone", who.phone},
                                        {"display_name", who.display_name},
                                        {"role", domain::to_string(who.role)},
                                        {"grid_ids", who.grid_ids}});
}

asio::awaitable<Response> create_user(AppContext& ctx, Request& req) {
    const auto who = co_await authenticate(ctx, req);
    require_role(who, {Role::admin});
    const auto body = json_body(req);
    const auto phone = require_string(body, "phone");
    const auto password = require_string(body, "password");
    const auto display_name = require_string(body, "display_name");
    const auto role = domain::parse_role(require_string(body, "role"));
    domain::check_phone(phone);
    domain::check_password(password);
    domain::check_display_name(display_name);
    if (!role) throw ApiError::invalid_field("role", "role must be resident, worker, manager, dispatcher or admin");
    auto grid_ids = optional_id_list(body, "grid_ids", kMaxGridsPerUser);
    std::sort(grid_ids.begin(), grid_ids.end());
    grid_ids.erase(std::unique(grid_ids.begin(), grid_ids.end()), grid_ids.end());
    if (domain::has_grids(*role) && grid_ids.empty())
        throw ApiError::invalid_field("grid_ids", "grid_ids is required for workers and managers");
    if (!domain::has_grids(*role) && !grid_ids.empty())
        throw ApiError::invalid_field("grid_ids", "only workers and managers belong to grids");
    auto hash = co_await offload(ctx.blocking_pool, [&password] { return crypto::hash_password(password); });
    const auto now = ctx.clock.now();
    auto user = co_await ctx.db.write([&](store::Conn& conn) {
        if (store::existing_grid_ids(conn, grid_ids).size() != grid_ids.size())
            throw ApiError::invalid_field("grid_ids", "grid_ids names a grid that does not exist");
        store::UserRow u;
        u.phone = phone;
        u.password_hash = hash;
        u.display_name = display_name;
        u.role = domain::to_string(*role);
        u.grid_ids = grid_ids;
        return domain::create_user(conn, std::move(u), now);
    });
    co_return http::json_response(201, user_view(user));
}

}  // namespace

void add_account_routes(http::Router& router, AppContext& ctx) {
    using namespace http::limits;
    router.add({"POST", "/api/v1/auth/register", http::limits::kMaxJsonBodyBytes, bind(ctx, register_resident),
                "Register a resident account"});
    router.add({"POST", "/api/v1/auth/login", http::limits::kMaxJsonBodyBytes, bind(ctx, login),
                "Log in with phone and password"});
    router.add({"POST", "/api/v1/auth/logout", http::limits::kMaxJsonBodyBytes, bind(ctx, logout),
                "Revoke the caller's token"});
    router.add({"GET", "/api/v1/me", 0, bind(ctx, me), "The caller's account"});
    router.add({"POST", "/api/v1/admin/users", http::limits::kMaxJsonBodyBytes, bind(ctx, create_user),
                "Create an account with a role (admin)"});
}

}  // namespace civic::api
