// API.md §5: a resident's points (三记) and statement; and the admin adjustment, an extension
// documented in docs/points.md.
#include "common/errors.hpp"
#include "common/time.hpp"
#include "common/utf8.hpp"
#include "server/api/auth.hpp"
#include "server/api/input.hpp"
#include "server/api/list_page.hpp"
#include "server/api/routes.hpp"
#include "server/domain/ledger.hpp"
#include "server/http/response.hpp"
#include "server/store/accounts_repo.hpp"

namespace civic::api {

namespace asio = boost::asio;
namespace ledger = domain::ledger;
using http::Request;
using http::Response;
using nlohmann::json;

namespace {

constexpr std::size_t kMaxReasonChars = 200;

asio::awaitable<Response> my_points(AppContext& ctx, Request& req) {
    const auto who = co_await authenticate(ctx, req);
    require_role(who, {Role::resident});
    const auto s = co_await ctx.db.read([&](store::Conn& conn) { return ledger::standing(conn, who.user_id); });
    const auto honour = ledger::honour_for(s.lifetime_earned);
    co_return http::json_response(
        200, {{"balance", s.balance},
              {"lifetime_earned", s.lifetime_earned},
              {"merit", {{"reports_accepted", s.reports_accepted}, {"reports_closed", s.reports_closed}}},
              {"honour",
               {{"stars", honour.stars},
                {"title", honour.title},
                {"next_stars_at", honour.next_stars_at ? json(*honour.next_stars_at) : json(nullptr)}}},
              {"credit_score", s.credit_score}});
}

asio::awaitable<Response> my_ledger(AppContext& ctx, Request& req) {
    const auto who = co_await authenticate(ctx, req);
    require_role(who, {Role::resident});
    const auto limit = page_limit(req);
    const auto before = cursor_before_id(req);
    const auto lines =
        co_await ctx.db.read([&](store::Conn& conn) { return ledger::statement(conn, who.user_id, before, limit); });
    json items = json::array();
    for (const auto& l : lines)
        items.push_back({{"id", l.id},
                         {"at", timefmt::format_rfc3339(l.at)},
                         {"amount", l.amount},
                         {"kind", l.kind},
                         {"ref", l.ref},
                         {"balance_after", l.balance_after}});
    co_return http::json_response(
        200, {{"items", std::move(items)},
              {"next_cursor", next_cursor(lines.size(), limit, lines.empty() ? 0 : lines.back().id)}});
}

asio::awaitable<Response> adjust_points(AppContext& ctx, Request& req) {
    const auto who = co_await authenticate(ctx, req);
    require_role(who, {Role::admin});
    const auto body = json_body(req);
    const auto user_id = require_int(body, "user_id", 1, std::numeric_limits<std::int64_t>::max());
    const auto points = require_int(body, "points", -ledger::kMaxTransferPoints, ledger::kMaxTransferPoints);
    if (points == 0) throw ApiError::invalid_field("points", "points must not be zero");
    const auto reason = require_string(body, "reason");
    if (reason.empty() || utf8::length(reason) > kMaxReasonChars || utf8::has_control_chars(reason, false))
        throw ApiError::invalid_field("reason", "reason must be 1 to 200 characters");
    const auto now = ctx.clock.now();
    const auto posted = co_await ctx.db.write([&](store::Conn& conn) {
        const auto user = store::find_user(conn, user_id);
        if (!user || domain::stored_role(user->role) != Role::resident)
            throw ApiError::invalid_field("user_id", "no such resident");
        return ledger::adjust(conn, user_id, points, reason, who.user_id, now);
    });
    co_return http::json_response(201, {{"id", posted.transfer_id},
                                        {"user_id", user_id},
                                        {"points", points},
                                        {"balance_after", posted.balance_after}});
}

}  // namespace

void add_points_routes(http::Router& router, AppContext& ctx) {
    router.add({"GET", "/api/v1/me/points", 0, bind(ctx, my_points),
                "The caller's points, merit, honour and credit (resident)"});
    router.add(
        {"GET", "/api/v1/me/points/ledger", 0, bind(ctx, my_ledger), "The caller's points statement (resident)"});
    router.add({"POST", "/api/v1/admin/points/adjustments", http::limits::kMaxJsonBodyBytes, bind(ctx, adjust_points),
                "Credit or debit a resident's points (admin; extension)"});
}

}  // namespace civic::api
