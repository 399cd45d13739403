#include "server/store/city_repo.hpp"
#include "server/store/sqlite.hpp"

namespace civic::store {

namespace {
GridRow read_grid(Conn& conn, Query& q) {
    GridRow g;
    g.id = q.int64(0);
    g.code = q.text(1);
    g.name = q.text(2);
    g.boundary_json = q.text(3);
    g.auto_assign = q.int64(4) != 0;
    g.area_m2 = q.real(5);
    auto staff = conn.query(
        "SELECT u.id, u.role FROM user_grids ug JOIN users u ON u.id = ug.user_id WHERE ug.grid_id = ? "
        "ORDER BY u.id");
    staff.args(g.id);
    while (staff.next()) {
        const auto role = staff.text(1);
        if (role == "manager") g.manager_ids.push_back(staff.int64(0));
        if (role == "worker") g.worker_ids.push_back(staff.int64(0));
    }
    return g;
}
constexpr const char* kGridColumns = "SELECT id, code, name, boundary, auto_assign, area_m2 FROM grids";
}  // namespace

std::int64_t insert_grid(Conn& conn, const GridRow& g, const Box& box, std::int64_t now) {
    const auto id = conn.query(
                            "INSERT INTO grids (code, name, boundary, auto_assign, area_m2, created_at) "
                            "VALUES (?, ?, ?, ?, ?, ?) RETURNING id")
                        .args(g.code, g.name, g.boundary_json, g.auto_assign, g.area_m2, now)
                        .run_returning_id();
    conn.query("INSERT INTO grid_boxes (id, min_lon, max_lon, min_lat, max_lat) VALUES (?, ?, ?, ?, ?)")
        .args(id, box.min_lon, box.max_lon, box.min_lat, box.max_lat)
        .run();
    return id;
}

std::vector<GridRow> list_grids(Conn& conn) {
    std::vector<GridRow> out;
    auto q = conn.query(std::string(kGridColumns) + " ORDER BY id");
    while (q.next()) out.push_back(read_grid(conn, q));
    return out;
}

std::optional<GridRow> find_grid(Conn& conn, std::int64_t id) {
    auto q = conn.query(std::string(kGridColumns) + " WHERE id = ?");
    q.args(id);
    if (!q.next()) return std::nullopt;
    return read_grid(conn, q);
}

std::optional<std::int64_t> find_grid_id_by_code(Conn& conn, std::string_view code) {
    auto q = conn.query("SELECT id FROM grids WHERE code = ?");
    q.args(code);
    if (!q.next()) return std::nullopt;
    return q.int64(0);
}

std::vector<std::int64_t> existing_grid_ids(Conn& conn, const std::vector<std::int64_t>& ids) {
    std::vector<std::int64_t> out;
    for (auto id : ids) {
        auto q = conn.query("SELECT 1 FROM grids WHERE id = ?");
        q.args(id);
        if (q.next()) out.push_back(id);
    }
    return out;
}

std::vector<GridRow> grids_with_box_containing(Conn& conn, double lon, double lat) {
    std::vector<GridRow> out;
    auto q = conn.query(
        "SELECT g.id, g.code, g.name, g.boundary, g.auto_assign, g.area_m2 FROM grid_boxes b "
        "JOIN grids g ON g.id = b.id "
        "WHERE b.min_lon <= ?1 AND b.max_lon >= ?1 AND b.min_lat <= ?2 AND b.max_lat >= ?2");
    q.args(lon, lat);
    while (q.next()) out.push_back(read_grid(conn, q));
    return out;
}

void insert_category(Conn& conn, const CategoryRow& c, std::int64_t now) {
    conn.query(
            "INSERT INTO categories (code, name, sla_hours, points_on_accept, points_on_close, created_at, sla_unit) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)")
        .args(c.code, c.name, c.sla_hours, c.points_on_accept, c.points_on_close, now, c.sla_unit)
        .run();
}

std::vector<CategoryRow> list_categories(Conn& conn) {
    std::vector<CategoryRow> out;
    auto q = conn.query(
        "SELECT code, name, sla_hours, points_on_accept, points_on_close, sla_unit FROM categories ORDER BY code");
    while (q.next()) out.push_back({q.text(0), q.text(1), q.int64(2), q.int64(3), q.int64(4), q.text(5)});
    return out;
}

std::optional<CategoryRow> find_category(Conn& conn, std::string_view code) {
    auto q = conn.query(
        "SELECT code, name, sla_hours, points_on_accept, points_on_close, sla_unit FROM categories WHERE code = ?");
    q.args(code);
    if (!q.next()) return std::nullopt;
    return CategoryRow{q.text(0), q.text(1), q.int64(2), q.int64(3), q.int64(4), q.text(5)};
}

std::optional<std::string> load_work_calendar_json(Conn& conn) {
    auto q = conn.query("SELECT calendar_json FROM work_calendar WHERE id = 1");
    if (!q.next()) return std::nullopt;
    return q.text(0);
}

void save_work_calendar_json(Conn& conn, std::string_view calendar_json, std::int64_t now) {
    conn.query(
            "INSERT INTO work_calendar (id, calendar_json, updated_at) VALUES (1, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET calendar_json = excluded.calendar_json, updated_at = excluded.updated_at")
        .args(calendar_json, now)
        .run();
}

std::int64_t insert_kiosk(Conn& conn, std::string_view name, std::string_view store, std::string_view key_id,
                          std::string_view secret_enc, std::int64_t now) {
    auto q = conn.query(
        "INSERT INTO kiosks (name, store, key_id, secret_enc, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id");
    q.bind(1, name).bind(2, store).bind(3, key_id).bind_blob(4, secret_enc).bind(5, now);
    return q.run_returning_id();
}

void insert_reward(Conn& conn, const RewardRow& r, std::int64_t now) {
    conn.query("INSERT INTO rewards (sku, name, points_cost, stock, kind, created_at) VALUES (?, ?, ?, ?, ?, ?)")
        .args(r.sku, r.name, r.points_cost, r.stock, r.kind, now)
        .run();
}

std::vector<RewardRow> list_rewards(Conn& conn, std::optional<std::string_view> kind) {
    std::vector<RewardRow> out;
    auto q = conn.query(
        "SELECT sku, name, points_cost, stock, kind FROM rewards WHERE ?1 IS NULL OR kind = ?1 ORDER BY sku");
    q.bind(1, kind ? std::optional<std::string>(std::string(*kind)) : std::nullopt);
    while (q.next()) out.push_back({q.text(0), q.text(1), q.int64(2), q.int64(3), q.text(4)});
    return out;
}

}  // namespace civic::store
