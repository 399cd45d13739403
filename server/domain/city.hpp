#pragma once
// City set-up (API.md §3): grids with validated GeoJSON boundaries, categories; and routing a
// point to the grid that contains it.
#include "common/geo.hpp"
#include "server/store/city_repo.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <optional>
#include <string>

namespace civic::domain {

inline constexpr std::size_t kMaxCodeChars = 64;
inline constexpr std::size_t kMaxNameChars = 100;
inline constexpr std::int64_t kMaxSlaHours = 24 * 365;
inline constexpr std::int64_t kMaxPointsPerAction = 1000;

struct NewGrid {
    std::string code;
    std::string name;
    nlohmann::json boundary;
    bool auto_assign = true;
};

// Validates (400 invalid_field naming the field) and stores; 409 when the code is taken.
store::GridRow create_grid(store::Conn& conn, const NewGrid& grid, std::int64_t now);
void check_category(const store::CategoryRow& category);
store::CategoryRow create_category(store::Conn& conn, const store::CategoryRow& category, std::int64_t now);

// The grid containing the point; where several do, the one of smallest area; nullopt if none.
std::optional<std::int64_t> route_point(store::Conn& conn, geo::Point point);
// The same choice among the grids `eligible` accepts (a self-handled report: the worker's own
// grids), so that where grids overlap the smallest one the caller may use wins.
std::optional<std::int64_t> route_point_among(store::Conn& conn, geo::Point point,
                                              const std::function<bool(std::int64_t grid_id)>& eligible);

bool is_valid_code(std::string_view code);  // ^[a-z0-9_.-]{1,64}$
void check_name(std::string_view field, std::string_view name, std::size_t max_chars = kMaxNameChars);

}  // namespace civic::domain
