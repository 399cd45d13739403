#pragma once
// Grids (with their R*Tree of bounding boxes), categories, kiosks and rewards.
#include "server/store/conn.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace civic::store {

struct GridRow {
    std::int64_t id = 0;
    std::string code;
    std::string name;
    std::string boundary_json;
    bool auto_assign = true;
    double area_m2 = 0;
    std::vector<std::int64_t> manager_ids;
    std::vector<std::int64_t> worker_ids;
};

struct Box {
    double min_lon, min_lat, max_lon, max_lat;
};

struct CategoryRow {
    std::string code;
    std::string name;
    std::int64_t sla_hours = 0;  // the time limit's amount, in sla_unit
    std::int64_t points_on_accept = 0;
    std::int64_t points_on_close = 0;
    // "hours" (calendar hours), "work_hours" or "work_days" of the city's working calendar.
    std::string sla_unit = "hours";
};

struct RewardRow {
    std::string sku;
    std::string name;
    std::int64_t points_cost = 0;
    std::int64_t stock = 0;
    std::string kind;
};

// Throws DbError (constraint_unique) when the code is taken.
std::int64_t insert_grid(Conn& conn, const GridRow& grid, const Box& box, std::int64_t now);
std::vector<GridRow> list_grids(Conn& conn);
std::optional<GridRow> find_grid(Conn& conn, std::int64_t id);
std::optional<std::int64_t> find_grid_id_by_code(Conn& conn, std::string_view code);
std::vector<std::int64_t> existing_grid_ids(Conn& conn, const std::vector<std::int64_t>& ids);
// Grids whose bounding box contains the point: candidates for the exact test.
std::vector<GridRow> grids_with_box_containing(Conn& conn, double lon, double lat);

void insert_category(Conn& conn, const CategoryRow& category, std::int64_t now);
std::vector<CategoryRow> list_categories(Conn& conn);
std::optional<CategoryRow> find_category(Conn& conn, std::string_view code);

// The city's working calendar (schema/010): its canonical JSON, or nullopt for the default.
std::optional<std::string> load_work_calendar_json(Conn& conn);
void save_work_calendar_json(Conn& conn, std::string_view calendar_json, std::int64_t now);

std::int64_t insert_kiosk(Conn& conn, std::string_view name, std::string_view store, std::string_view key_id,
                          std::string_view secret_enc, std::int64_t now);
void insert_reward(Conn& conn, const RewardRow& reward, std::int64_t now);
std::vector<RewardRow> list_rewards(Conn& conn, std::optional<std::string_view> kind);

}  // namespace civic::store
