#pragma once
// Who is calling: the bearer token resolved to a domain::Caller, and the role checks every
// handler makes in one line.
#include "server/api/context.hpp"
#include "server/domain/caller.hpp"
#include "server/http/message.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>

namespace civic::api {

using domain::Caller;
using domain::Role;

std::optional<std::string_view> bearer_token(const http::Request& req);

// 401 when the token is missing, unknown, expired or revoked.
boost::asio::awaitable<Caller> authenticate(AppContext& ctx, const http::Request& req);
// 403 unless the caller has one of the roles.
void require_role(const Caller& who, std::initializer_list<Role> roles);

}  // namespace civic::api
