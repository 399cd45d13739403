#pragma once
// Who is calling: the bearer token resolved to a user, and the role checks every handler makes
// in one line.
#include "server/api/context.hpp"
#include "server/http/message.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace civic::api {

struct Principal {
    std::int64_t user_id = 0;
    std::string role;
    std::string display_name;
    std::string phone;
    std::vector<std::int64_t> grid_ids;

    bool is(std::string_view r) const { return role == r; }
    bool is_staff() const { return role != "resident"; }
    bool manages(std::int64_t grid_id) const;
};

std::optional<std::string_view> bearer_token(const http::Request& req);

// 401 when the token is missing, unknown, expired or revoked.
boost::asio::awaitable<Principal> authenticate(AppContext& ctx, const http::Request& req);
// 403 unless the principal has one of the roles.
void require_role(const Principal& who, std::initializer_list<std::string_view> roles);

}  // namespace civic::api
