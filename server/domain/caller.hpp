#pragma once
// Who is calling, as every layer above the store sees it: the user behind a bearer token, with
// their role (API.md §2) and grids. The api layer resolves tokens to a Caller
// (api/auth.hpp authenticate); the domain's rules take one.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace civic::domain {

enum class Role : std::uint8_t { resident, worker, manager, dispatcher, admin };

// The role's name in the API and in the users table, and back (nullopt: not a role).
std::string_view to_string(Role role);
std::optional<Role> parse_role(std::string_view text);
// A role read from the database, where only valid names are written; throws std::logic_error
// otherwise.
Role stored_role(std::string_view text);
// Workers and managers belong to grids; nobody else does.
bool has_grids(Role role);

struct Caller {
    std::int64_t user_id = 0;
    Role role = Role::resident;
    std::string display_name;
    std::string phone;
    std::vector<std::int64_t> grid_ids;  // grids a manager runs or a worker belongs to

    bool is(Role r) const { return role == r; }
    bool is_staff() const { return role != Role::resident; }
    // The grid is one of the caller's (false for a null grid).
    bool in_grid(std::optional<std::int64_t> grid_id) const;
};

}  // namespace civic::domain
