#include "server/domain/caller.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>

namespace civic::domain {

namespace {

constexpr std::array<std::string_view, 5> kRoleNames{"resident", "worker", "manager", "dispatcher", "admin"};

}  // namespace

std::string_view to_string(Role role) { return kRoleNames[static_cast<std::size_t>(role)]; }

std::optional<Role> parse_role(std::string_view text) {
    for (std::size_t i = 0; i < kRoleNames.size(); ++i)
        if (kRoleNames[i] == text) return static_cast<Role>(i);
    return std::nullopt;
}

Role stored_role(std::string_view text) {
    auto role = parse_role(text);
    if (!role) throw std::logic_error("unknown role in database: " + std::string(text));
    return *role;
}

bool has_grids(Role role) { return role == Role::worker || role == Role::manager; }

bool Caller::in_grid(std::optional<std::int64_t> grid_id) const {
    return grid_id && std::ranges::find(grid_ids, *grid_id) != grid_ids.end();
}

}  // namespace civic::domain
