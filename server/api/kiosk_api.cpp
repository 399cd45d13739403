// API.md §7: kiosk registration, the resident's one-time code, and the signed kiosk endpoints
// (lookup, redemptions, void, goods catalogue).
#include "common/errors.hpp"
#include "common/time.hpp"
#include "common/utf8.hpp"
#include "server/api/auth.hpp"
#include "server/api/fingerprint.hpp"
#include "server/api/idempotency.hpp"
#include "server/api/input.hpp"
#include "server/api/kiosk_keys.hpp"
#include "server/api/routes.hpp"
#include "server/api/views.hpp"
#include "server/domain/kiosk_auth.hpp"
#include "server/domain/kiosks.hpp"
#include "server/domain/redemption.hpp"
#include "server/http/response.hpp"

namespace civic::api {

namespace asio = boost::asio;
using http::Request;
using http::Response;
using nlohmann::json;

namespace {

constexpr std::size_t kMaxKioskNameChars = 100;
constexpr std::size_t kKioskBodyLimit = 8192;  // 50 lines of sku + qty

std::string text_field(const json& body, const char* field) {
    auto value = require_string(body, field);
    if (value.empty() || utf8::length(value) > kMaxKioskNameChars || utf8::has_control_chars(value, false))
        throw ApiError::invalid_field(field, std::string(field) + " must be 1 to 100 characters");
    return value;
}

domain::SignedRequest signed_request(const Request& req) {
    const auto key = req.header("x-kiosk-key");
    const auto ts = req.header("x-kiosk-timestamp");
    const auto sig = req.header("x-kiosk-signature");
    if (!key || !ts || !sig) throw ApiError::unauthorized("kiosk requests must be signed");
    return {*key, *ts, *sig, req.method, req.target, req.body};
}

// The signature's checks that need no write: its form and window, then the HMAC under the
// kiosk's secret (cached; a miss reads it in a read job). Returns the kiosk's id; 401 otherwise.
// The replay check, the only part that writes, is domain::record_signature in the caller's job.
asio::awaitable<std::int64_t> verified_kiosk(AppContext& ctx, const domain::SignedRequest& signed_req,
                                             const domain::SignatureClaim& claim) {
    auto key = ctx.kiosk_keys.find(signed_req.key_id);
    if (!key) {
        key = co_await ctx.db.read(
            [&](store::Conn& conn) { return domain::find_kiosk_key(conn, ctx.master_key, signed_req.key_id); });
        if (!key) throw ApiError::unauthorized("bad kiosk signature");  // the one message of every failure
        ctx.kiosk_keys.remember(signed_req.key_id, *key);
    }
    domain::verify_signature(key->secret, signed_req, claim);
    co_return key->kiosk_id;
}

// Inside a kiosk call's write job: the replay check, and now and then the purge of old signatures.
void record_signature(AppContext& ctx, store::Conn& conn, std::int64_t kiosk_id, const domain::SignatureClaim& claim,
                      std::int64_t now) {
    if (ctx.signature_purge.due(now)) domain::forget_expired_signatures(conn, now);
    domain::record_signature(conn, kiosk_id, claim);
}

// Every kiosk endpoint but the redemption starts here: the signature verified, then recorded in
// a write job of its own.
asio::awaitable<std::int64_t> authenticate_kiosk(AppContext& ctx, const Request& req) {
    const auto signed_req = signed_request(req);
    const auto now = ctx.clock.now();
    const auto claim = domain::parse_signature(signed_req, now);
    const auto kiosk_id = co_await verified_kiosk(ctx, signed_req, claim);
    co_await ctx.db.write([&](store::Conn& conn) { record_signature(ctx, conn, kiosk_id, claim, now); });
    co_return kiosk_id;
}

json redemption_view(const store::RedemptionRow& r) {
    json items = json::array();
    for (const auto& l : r.lines)
        items.push_back({{"sku", l.sku}, {"name", l.name}, {"qty", l.qty}, {"points_each", l.points_each}});
    return {{"id", r.id},
            {"total_points", r.total_points},
            {"items", std::move(items)},
            {"at", timefmt::format_rfc3339(r.at)}};
}

std::string token_field(const json& body) {
    if (!body.contains("token") || !body["token"].is_string())
        throw ApiError::invalid_field("token", "token is required");
    return body["token"].get<std::string>();
}

asio::awaitable<Response> create_kiosk(AppContext& ctx, Request& req) {
    const auto who = co_await authenticate(ctx, req);
    require_role(who, {Role::admin});
    const auto body = json_body(req);
    const auto name = text_field(body, "name");
    const auto store_name = text_field(body, "store");
    const auto now = ctx.clock.now();
    auto k = co_await ctx.db.write(
        [&](store::Conn& conn) { return domain::create_kiosk(conn, ctx.master_key, name, store_name, now); });
    co_return http::json_response(201, {{"id", k.id}, {"key_id", k.key_id}, {"secret", k.secret}});
}

asio::awaitable<Response> issue_redeem_token(AppContext& ctx, Request& req) {
    const auto who = co_await authenticate(ctx, req);
    require_role(who, {Role::resident});
    const auto now = ctx.clock.now();
    auto t =
        co_await ctx.db.write([&](store::Conn& conn) { return domain::issue_redeem_token(conn, who.user_id, now); });
    co_return http::json_response(201, {{"token", t.token}, {"expires_at", timefmt::format_rfc3339(t.expires_at)}});
}

asio::awaitable<Response> kiosk_lookup(AppContext& ctx, Request& req) {
    co_await authenticate_kiosk(ctx, req);
    const auto token = token_field(json_body(req));
    const auto now = ctx.clock.now();
    auto h = co_await ctx.db.read([&](store::Conn& conn) { return domain::lookup_token(conn, token, now); });
    co_return http::json_response(200, {{"display_name", h.masked_name}, {"balance", h.balance}});
}

struct RedemptionOrder {
    std::string idempotency_key;
    std::string fingerprint;
    std::string token;
    std::vector<domain::LineRequest> lines;
};

// 400 for a missing Idempotency-Key or a malformed body.
RedemptionOrder parse_redemption(const Request& req) {
    RedemptionOrder order{*idempotency_key(req, true), request_fingerprint(req), {}, {}};
    const auto body = json_body(req);
    order.token = token_field(body);
    if (!body.contains("items") || !body["items"].is_array() || body["items"].empty() ||
        body["items"].size() > domain::kMaxRedemptionLines)
        throw ApiError::invalid_field("items", "items must be 1 to 50 lines of {sku, qty}");
    for (const auto& item : body["items"]) {
        if (!item.is_object()) throw ApiError::invalid_field("items", "each item is an object {sku, qty}");
        try {
            order.lines.push_back(
                {require_string(item, "sku"), require_int(item, "qty", 1, domain::kMaxRedemptionQty)});
        } catch (const ApiError&) {
            throw ApiError::invalid_field("items", "each item needs a sku and a qty of 1 to 99");
        }
    }
    return order;
}

// The busiest kiosk call makes one trip through the writer, and only for what writes: the
// signature is verified first (verified_kiosk, off the writer), then one job records it and runs
// the redemption in a savepoint of its own (run_idempotent), its answer stored before the shared
// rows (stock, sink) are taken. Past the signature, a client error becomes the answer rather
// than an exception, because an exception would roll back the job and with it the record that
// refuses a replay. The record's own verdict (a replay) is deferred to the key's claim
// (store::Query::run_deferred), so it arrives inside the try and is let through.
asio::awaitable<Response> kiosk_redeem(AppContext& ctx, Request& req) {
    const auto signed_req = signed_request(req);
    const auto now = ctx.clock.now();
    const auto claim = domain::parse_signature(signed_req, now);
    const auto kiosk_id = co_await verified_kiosk(ctx, signed_req, claim);
    // Parsed here, off the writer thread; its error is reported only once the signature holds
    // (an unsigned request learns nothing about its body) and is recorded (a replay is refused).
    std::optional<RedemptionOrder> order;
    std::optional<ApiError> invalid;
    try {
        order = parse_redemption(req);
    } catch (const ApiError& e) {
        invalid = e;
    }
    co_return co_await ctx.db.write([&](store::Conn& conn) {
        record_signature(ctx, conn, kiosk_id, claim, now);
        try {
            if (invalid) throw *invalid;
            const Idempotency id{"kiosk:" + std::to_string(kiosk_id), order->idempotency_key, order->fingerprint};
            std::optional<domain::PreparedRedemption> prepared;
            return run_idempotent(
                conn, id, now,
                [&](store::Conn& c) {
                    prepared = domain::prepare_redemption(c, kiosk_id, order->token, order->lines, now);
                    auto view = redemption_view(prepared->result.redemption);
                    view["balance_after"] = prepared->result.balance_after;
                    return http::json_response(201, view);
                },
                // The stock and the sink, after the stored answer: held over the fewest round trips.
                [&](store::Conn& c) { domain::finish_redemption(c, *prepared, now); });
        } catch (const domain::SignatureReplayed&) {
            throw;  // deferred, its verdict arrives in here; nothing is kept: the job rolls back
        } catch (const ApiError& e) {
            if (e.status() >= 500) throw;
            return http::error_response(e);
        }
    });
}

asio::awaitable<Response> kiosk_void(AppContext& ctx, Request& req) {
    const auto kiosk_id = co_await authenticate_kiosk(ctx, req);
    const auto redemption_id = req.param_int("id");
    const auto now = ctx.clock.now();
    auto r = co_await ctx.db.write(
        [&](store::Conn& conn) { return domain::void_redemption(conn, kiosk_id, redemption_id, now); });
    auto view = redemption_view(r);
    view["voided_at"] = timefmt::format_rfc3339(*r.voided_at);
    co_return http::json_response(200, view);
}

asio::awaitable<Response> kiosk_rewards(AppContext& ctx, Request& req) {
    co_await authenticate_kiosk(ctx, req);
    auto rows = co_await ctx.db.read([&](store::Conn& conn) { return store::list_rewards(conn, "goods"); });
    json items = json::array();
    for (const auto& r : rows) items.push_back(reward_view(r));
    co_return http::json_response(200, {{"items", std::move(items)}, {"next_cursor", nullptr}});
}

}  // namespace

void add_kiosk_routes(http::Router& router, AppContext& ctx) {
    router.add({"POST", "/api/v1/admin/kiosks", http::limits::kMaxJsonBodyBytes, bind(ctx, create_kiosk),
                "Register a kiosk; the secret is shown once (admin)"});
    router.add({"POST", "/api/v1/me/redeem-token", http::limits::kMaxJsonBodyBytes, bind(ctx, issue_redeem_token),
                "A one-time redemption code, valid 120 s (resident)"});
    router.add({"POST", "/api/v1/kiosk/lookup", http::limits::kMaxJsonBodyBytes, bind(ctx, kiosk_lookup),
                "Who holds a redemption code (signed kiosk)"});
    router.add({"POST", "/api/v1/kiosk/redemptions", kKioskBodyLimit, bind(ctx, kiosk_redeem),
                "Redeem goods with a code (signed kiosk; Idempotency-Key required)"});
    router.add({"POST", "/api/v1/kiosk/redemptions/{id:int}/void", http::limits::kMaxJsonBodyBytes,
                bind(ctx, kiosk_void), "Void a redemption within 10 minutes (signed kiosk, the same kiosk)"});
    router.add(
        {"GET", "/api/v1/kiosk/rewards", 0, bind(ctx, kiosk_rewards), "The goods catalogue with stock (signed kiosk)"});
}

}  // namespace civic::api
