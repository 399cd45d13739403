#include "server/domain/city.hpp"

#include "common/errors.hpp"
#include "common/json.hpp"
#include "common/utf8.hpp"
#include "server/domain/work_time.hpp"

namespace civic::domain {

bool is_valid_code(std::string_view code) {
    if (code.empty() || code.size() > kMaxCodeChars) return false;
    for (char c : code) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
        if (!ok) return false;
    }
    return true;
}

void check_name(std::string_view field, std::string_view name, std::size_t max_chars) {
    if (!utf8::valid(name) || utf8::has_control_chars(name, false))
        throw ApiError::invalid_field(std::string(field), std::string(field) + " must be valid text");
    const auto n = utf8::length(name);
    if (n < 1 || n > max_chars)
        throw ApiError::invalid_field(
            std::string(field), std::string(field) + " must be 1 to " + std::to_string(max_chars) + " characters");
}

store::GridRow create_grid(store::Conn& conn, const NewGrid& g, std::int64_t now) {
    // Grid codes follow the same rule as category codes but may be upper case (MZ-01).
    const bool code_ok = !g.code.empty() && g.code.size() <= kMaxCodeChars &&
                         g.code.find_first_not_of(
                             "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == std::string::npos;
    if (!code_ok) throw ApiError::invalid_field("code", "code must be 1 to 64 of A-Z a-z 0-9 _ . -");
    check_name("name", g.name);
    const auto parsed = geo::parse_area(g.boundary);
    if (!parsed.shape) throw ApiError::invalid_field("boundary", "invalid boundary: " + parsed.error);
    const auto box = geo::bbox(*parsed.shape);
    store::GridRow row;
    row.code = g.code;
    row.name = g.name;
    row.boundary_json = jsonutil::dump(g.boundary);
    row.auto_assign = g.auto_assign;
    row.area_m2 = geo::area_m2(*parsed.shape);
    try {
        row.id = store::insert_grid(conn, row, {box.min_lon, box.min_lat, box.max_lon, box.max_lat}, now);
    } catch (const store::DbError& e) {
        if (e.constraint_unique()) throw ApiError::conflict("grid code already exists");
        throw;
    }
    return row;
}

void check_category(const store::CategoryRow& c) {
    if (!is_valid_code(c.code)) throw ApiError::invalid_field("code", "code must match ^[a-z0-9_.-]{1,64}$");
    check_name("name", c.name);
    const auto limit = c.sla_unit == kSlaUnitWorkDays    ? kMaxSlaWorkDays
                       : c.sla_unit == kSlaUnitWorkHours ? kMaxSlaWorkHours
                       : c.sla_unit == kSlaUnitHours     ? kMaxSlaHours
                                                         : 0;
    const auto key = sla_key(c.sla_unit);
    if (limit == 0) throw ApiError::invalid_field("sla_hours", "unknown time limit unit " + c.sla_unit);
    if (c.sla_hours < 1 || c.sla_hours > limit)
        throw ApiError::invalid_field(key, key + " must be 1 to " + std::to_string(limit));
    if (c.points_on_accept < 0 || c.points_on_accept > kMaxPointsPerAction)
        throw ApiError::invalid_field("points_on_accept", "points_on_accept must be 0 to 1000");
    if (c.points_on_close < 0 || c.points_on_close > kMaxPointsPerAction)
        throw ApiError::invalid_field("points_on_close", "points_on_close must be 0 to 1000");
}

store::CategoryRow create_category(store::Conn& conn, const store::CategoryRow& c, std::int64_t now) {
    check_category(c);
    try {
        store::insert_category(conn, c, now);
    } catch (const store::DbError& e) {
        if (e.constraint_unique()) throw ApiError::conflict("category code already exists");
        throw;
    }
    return c;
}

std::optional<std::int64_t> route_point(store::Conn& conn, geo::Point point) {
    return route_point_among(conn, point, [](std::int64_t) { return true; });
}

std::optional<std::int64_t> route_point_among(store::Conn& conn, geo::Point point,
                                              const std::function<bool(std::int64_t grid_id)>& eligible) {
    std::optional<std::int64_t> best;
    double best_area = 0;
    for (const auto& candidate : store::grids_with_box_containing(conn, point.lon, point.lat)) {
        if (!eligible(candidate.id)) continue;
        // The R*Tree holds 32-bit boxes rounded outward: the exact test decides.
        const auto parsed = geo::parse_area(nlohmann::json::parse(candidate.boundary_json));
        if (!parsed.shape || !geo::contains(*parsed.shape, point)) continue;
        if (!best || candidate.area_m2 < best_area || (candidate.area_m2 == best_area && candidate.id < *best)) {
            best = candidate.id;
            best_area = candidate.area_m2;
        }
    }
    return best;
}

}  // namespace civic::domain
