// API.md §6 (四兑) in the app: the reward catalogue, honour and credit exchanges, the honour
// roll, donations and funds, the signed credit certificate and its public key.
#include "common/errors.hpp"
#include "common/time.hpp"
#include "server/api/auth.hpp"
#include "server/api/fingerprint.hpp"
#include "server/api/idempotency.hpp"
#include "server/api/input.hpp"
#include "server/api/list_page.hpp"
#include "server/api/routes.hpp"
#include "server/api/views.hpp"
#include "server/domain/credit_cert.hpp"
#include "server/domain/exchanges.hpp"
#include "server/domain/ledger.hpp"
#include "server/domain/rewards.hpp"
#include "server/http/response.hpp"
#include "server/store/ledger_repo.hpp"

namespace civic::api {

namespace asio = boost::asio;
namespace ledger = domain::ledger;
using http::Request;
using http::Response;
using nlohmann::json;

namespace {

Idempotency idempotency_for(const Caller& who, const Request& req) {
    return {"user:" + std::to_string(who.user_id), idempotency_key(req, false).value_or(""), request_fingerprint(req)};
}

asio::awaitable<Response> create_reward(AppContext& ctx, Request& req) {
    const auto who = co_await authenticate(ctx, req);
    require_role(who, {Role::admin});
    const auto body = json_body(req);
    store::RewardRow r;
    r.sku = require_string(body, "sku");
    r.name = require_string(body, "name");
    r.points_cost = require_int(body, "points_cost", 1, domain::kMaxRewardCost);
    r.stock = require_int(body, "stock", 0, domain::kMaxRewardStock);
    r.kind = require_string(body, "kind");
    domain::check_reward(r);
    const auto now = ctx.clock.now();
    auto row = co_await ctx.db.write([&](store::Conn& conn) { return domain::create_reward(conn, r, now); });
    co_return http::json_response(201, reward_view(row));
}

asio::awaitable<Response> list_rewards(AppContext& ctx, Request&) {
    auto rows = co_await ctx.db.read([&](store::Conn& conn) { return store::list_rewards(conn, std::nullopt); });
    json items = json::array();
    for (const auto& r : rows) items.push_back(reward_view(r));
    // The catalogue is small and served whole; next_cursor keeps the list shape of §0.
    co_return http::json_response(200, {{"items", std::move(items)}, {"next_cursor", nullptr}});
}

asio::awaitable<Response> create_exchange(AppContext& ctx, Request& req) {
    const auto who = co_await authenticate(ctx, req);
    require_role(who, {Role::resident});
    const auto body = json_body(req);
    const auto type = require_string(body, "type");
    std::string sku;
    std::int64_t points = 0;
    if (type == "honour") {
        sku = require_string(body, "sku");
    } else if (type == "credit") {
        points = require_int(body, "points", ledger::kCreditPointsPerUnit, ledger::kMaxTransferPoints);
        if (points % ledger::kCreditPointsPerUnit != 0)
            throw ApiError::invalid_field("points", "points must be a multiple of 10");
    } else {
        throw ApiError::invalid_field("type", "type must be honour or credit");
    }
    const auto id = idempotency_for(who, req);
    const auto now = ctx.clock.now();
    co_return co_await ctx.db.write([&](store::Conn& conn) {
        return run_idempotent(conn, id, now, [&](store::Conn& c) {
            const auto r = type == "honour" ? domain::exchange_for_honour(c, who.user_id, sku, now)
                                            : domain::exchange_for_credit(c, who.user_id, points, now);
            json out = {{"id", r.id}, {"type", type}, {"points", r.points}, {"balance_after", r.balance_after}};
            if (type == "honour")
                out["sku"] = sku;
            else
                out["credit_score"] = r.credit_score;
            return http::json_response(201, out);
        });
    });
}

asio::awaitable<Response> honour_roll(AppContext& ctx, Request& req) {
    const auto limit = page_limit(req);
    const auto before = cursor_before_id(req);
    auto entries = co_await ctx.db.read([&](store::Conn& conn) { return domain::honour_roll(conn, before, limit); });
    json items = json::array();
    for (const auto& e : entries) {
        json honours = json::array();
        for (const auto& h : e.honours)
            honours.push_back({{"sku", h.sku}, {"name", h.name}, {"at", timefmt::format_rfc3339(h.at)}});
        items.push_back({{"display_name", e.masked_name}, {"stars", e.stars}, {"honours", std::move(honours)}});
    }
    co_return http::json_response(
        200, {{"items", std::move(items)},
              {"next_cursor", next_cursor(entries.size(), limit, entries.empty() ? 0 : entries.back().cursor_id)}});
}

asio::awaitable<Response> donate(AppContext& ctx, Request& req) {
    const auto who = co_await authenticate(ctx, req);
    require_role(who, {Role::resident});
    const auto body = json_body(req);
    const auto fund = require_string(body, "fund");
    const auto points = require_int(body, "points", 1, ledger::kMaxTransferPoints);
    const auto id = idempotency_for(who, req);
    const auto now = ctx.clock.now();
    co_return co_await ctx.db.write([&](store::Conn& conn) {
        return run_idempotent(conn, id, now, [&](store::Conn& c) {
            const auto posted = ledger::donate(c, who.user_id, fund, points, now);
            return http::json_response(201, {{"id", posted.transfer_id},
                                             {"fund", fund},
                                             {"points", points},
                                             {"balance_after", posted.balance_after}});
        });
    });
}

asio::awaitable<Response> list_funds(AppContext& ctx, Request&) {
    auto funds = co_await ctx.db.read([&](store::Conn& conn) { return ledger::funds(conn); });
    json items = json::array();
    for (const auto& f : funds) items.push_back({{"code", f.code}, {"name", f.name}, {"balance", f.balance}});
    co_return http::json_response(200, {{"items", std::move(items)}, {"next_cursor", nullptr}});
}

asio::awaitable<Response> credit_certificate(AppContext& ctx, Request& req) {
    const auto who = co_await authenticate(ctx, req);
    require_role(who, {Role::resident});
    const auto score =
        co_await ctx.db.read([&](store::Conn& conn) { return store::find_standing(conn, who.user_id).credit_score; });
    co_return http::json_response(
        200, domain::credit::issue_certificate(ctx.credit_key_pem, who.user_id, score, ctx.clock.now()));
}

}  // namespace

void add_exchange_routes(http::Router& router, AppContext& ctx) {
    router.add({"POST", "/api/v1/admin/rewards", http::limits::kMaxJsonBodyBytes, bind(ctx, create_reward),
                "Add a reward to the catalogue (admin)"});
    router.add({"GET", "/api/v1/rewards", 0, bind(ctx, list_rewards), "The reward catalogue with stock (public)"});
    router.add({"POST", "/api/v1/me/exchanges", http::limits::kMaxJsonBodyBytes, bind(ctx, create_exchange),
                "Exchange points for an honour or for credit score (resident; Idempotency-Key)"});
    router.add({"GET", "/api/v1/honour-roll", 0, bind(ctx, honour_roll), "Residents holding honours, masked (public)"});
    router.add({"POST", "/api/v1/me/donations", http::limits::kMaxJsonBodyBytes, bind(ctx, donate),
                "Donate points to a fund (resident; Idempotency-Key)"});
    router.add({"GET", "/api/v1/funds", 0, bind(ctx, list_funds), "Charity funds and their balances (public)"});
    router.add({"GET", "/api/v1/me/credit-certificate", 0, bind(ctx, credit_certificate),
                "The caller's credit score signed with the server's Ed25519 key (resident)"});
    auto public_pem = std::make_shared<const std::string>(crypto::ed25519_public_pem(ctx.credit_key_pem));
    router.add({"GET", "/api/v1/credit/public-key", 0,
                [public_pem](Request&) -> asio::awaitable<Response> {
                    Response r;
                    r.content_type = "application/x-pem-file";
                    r.body = *public_pem;
                    co_return r;
                },
                "The credit certificate public key, PEM (public)"});
}

}  // namespace civic::api
