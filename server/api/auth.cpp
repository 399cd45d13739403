#include "server/api/auth.hpp"

#include "common/crypto.hpp"
#include "common/errors.hpp"
#include "server/api/session_cache.hpp"
#include "server/domain/accounts.hpp"

#include <algorithm>

namespace civic::api {

std::optional<std::string_view> bearer_token(const http::Request& req) {
    auto h = req.header("authorization");
    if (!h) return std::nullopt;
    constexpr std::string_view scheme = "Bearer ";
    if (h->size() <= scheme.size()) return std::nullopt;
    // The scheme name is case-insensitive (RFC 9110 §11.1).
    for (std::size_t i = 0; i < scheme.size(); ++i)
        if (std::tolower(static_cast<unsigned char>((*h)[i])) != std::tolower(static_cast<unsigned char>(scheme[i])))
            return std::nullopt;
    auto token = h->substr(scheme.size());
    if (token.size() > 256) return std::nullopt;
    return token;
}

boost::asio::awaitable<Caller> authenticate(AppContext& ctx, const http::Request& req) {
    auto token = bearer_token(req);
    if (!token) throw ApiError::unauthorized("missing bearer token");
    const auto now = ctx.clock.now();
    const auto hash = crypto::sha256(*token);
    if (auto cached = ctx.sessions->find(hash, now)) co_return std::move(*cached);
    const auto epoch = ctx.sessions->epoch();
    auto session =
        co_await ctx.db.read([&](store::Conn& conn) { return domain::user_for_token_hash(conn, hash, now); });
    if (!session) throw ApiError::unauthorized("invalid or expired token");
    const auto& u = session->user;
    Caller who{u.id, domain::stored_role(u.role), u.display_name, u.phone, u.grid_ids};
    ctx.sessions->remember(hash, who, session->expires_at, epoch);
    co_return who;
}

void require_role(const Caller& who, std::initializer_list<Role> roles) {
    for (auto r : roles)
        if (who.is(r)) return;
    throw ApiError::forbidden();
}

}  // namespace civic::api
