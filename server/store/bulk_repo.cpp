#include "server/store/bulk_repo.hpp"

namespace civic::store {

std::int64_t insert_report_with_state(Conn& conn, const ReportRow& r) {
    conn.query(
            "INSERT INTO reports (status, category, description, lat, lon, address, grid_id, assignee_id, reporter_id, "
            "created_at, accepted_at, deadline_at, resolved_at, closed_at, extension_hours, rework_count, "
            "duplicate_of, rating, rating_comment, points_awarded, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
        .args(r.status, r.category, r.description, r.lat, r.lon, r.address, r.grid_id, r.assignee_id, r.reporter_id,
              r.created_at, r.accepted_at, r.deadline_at, r.resolved_at, r.closed_at, r.extension_hours,
              r.rework_count, r.duplicate_of, r.rating, r.rating_comment, r.points_awarded, r.updated_at)
        .run();
    return conn.last_insert_id();
}

void tune_for_bulk_load(Conn& conn) {
    conn.exec("PRAGMA synchronous = OFF");
    conn.exec("PRAGMA cache_size = -262144");  // 256 MiB
    conn.exec("PRAGMA temp_store = MEMORY");
}

}  // namespace civic::store
