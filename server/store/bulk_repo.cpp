#include "server/store/bulk_repo.hpp"
#include "server/store/sqlite.hpp"
#include "server/store/worker_loads_repo.hpp"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace civic::store {

std::int64_t insert_report_with_state(Conn& conn, const ReportRow& r) {
    return conn
        .query(
            "INSERT INTO reports (status, category, description, lat, lon, address, grid_id, assignee_id, reporter_id, "
            "created_at, accepted_at, deadline_at, resolved_at, closed_at, extension_hours, rework_count, "
            "duplicate_of, rating, rating_comment, points_awarded, updated_at, verified, self_handled, "
            "check_deadline_at, parked_until, parked_at, parked_from, parked_seconds, parked_work_seconds) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING "
            "id")
        .args(r.status, r.category, r.description, r.lat, r.lon, r.address, r.grid_id, r.assignee_id, r.reporter_id,
              r.created_at, r.accepted_at, r.deadline_at, r.resolved_at, r.closed_at, r.extension_hours, r.rework_count,
              r.duplicate_of, r.rating, r.rating_comment, r.points_awarded, r.updated_at,
              std::int64_t{r.verified ? 1 : 0}, std::int64_t{r.self_handled ? 1 : 0}, r.check_deadline_at,
              r.parked_until, r.parked_at, r.parked_from, r.parked_seconds, r.parked_work_seconds)
        .run_returning_id();
}

namespace {
// The bulk loader (civicsnap-bulkgen) tunes and rewrites SQLite's own schema; a PostgreSQL city
// is loaded through the ordinary repositories (or COPY, when that is wanted).
void require_sqlite(Conn& conn, const char* what) {
    if (conn.engine() != Engine::sqlite) throw std::logic_error(std::string(what) + " is SQLite's only");
}
}  // namespace

void tune_for_bulk_load(Conn& conn) {
    require_sqlite(conn, "tune_for_bulk_load");
    conn.exec("PRAGMA synchronous = OFF");
    conn.exec("PRAGMA cache_size = -524288");  // 512 MiB
    conn.exec("PRAGMA temp_store = MEMORY");
}

void begin_bulk_load(Conn& conn) {
    require_sqlite(conn, "begin_bulk_load");
    in_transaction(conn, [&] {
        conn.exec("CREATE TABLE IF NOT EXISTS bulk_load_pending (name TEXT PRIMARY KEY, sql TEXT NOT NULL)");
        std::vector<std::pair<std::string, std::string>> aside;
        {
            auto q = conn.query(
                "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND "
                "((type = 'trigger' AND name LIKE 'reports_stats_%') OR "
                "(type = 'index' AND tbl_name IN ('reports', 'report_events')))");
            while (q.next()) aside.emplace_back(q.text(0) + " " + q.text(1), q.text(2));
        }
        for (const auto& [what, sql] : aside) {
            conn.query("INSERT INTO bulk_load_pending (name, sql) VALUES (?, ?)").args(what, sql).run();
            conn.exec("DROP " + what);
        }
    });
}

void rebuild_stat_sums(Conn& conn) {
    conn.exec(
        "DELETE FROM stats_hour_grid; DELETE FROM stats_hour_grid_category; DELETE FROM stats_hour_grid_worker;"
        "DELETE FROM stats_week_reporter;"
        "INSERT INTO stats_hour_grid "
        "SELECT hour, grid_key, sum(received), sum(accepted), sum(rejected), sum(duplicate), sum(closed), "
        "sum(closed_on_time), sum(resolved_ever), sum(reworked), sum(extended), sum(close_seconds), sum(rating_sum), "
        "sum(rated), sum(checked), sum(refuted), sum(parked), sum(self_handled), sum(voided) FROM report_stat_facts "
        "GROUP BY hour, grid_key;"
        "INSERT INTO stats_hour_grid_category "
        "SELECT hour, grid_key, category, sum(received), sum(accepted), sum(rejected), sum(duplicate), sum(closed), "
        "sum(closed_on_time), sum(resolved_ever), sum(reworked), sum(extended), sum(close_seconds), sum(rating_sum), "
        "sum(rated), sum(checked), sum(refuted), sum(parked), sum(self_handled), sum(voided) FROM report_stat_facts "
        "GROUP BY hour, grid_key, category;"
        "INSERT INTO stats_hour_grid_worker "
        "SELECT hour, grid_key, worker_key, sum(received), sum(accepted), sum(rejected), sum(duplicate), sum(closed), "
        "sum(closed_on_time), sum(resolved_ever), sum(reworked), sum(extended), sum(close_seconds), sum(rating_sum), "
        "sum(rated), sum(checked), sum(refuted), sum(parked), sum(self_handled), sum(voided) FROM report_stat_facts "
        "GROUP BY hour, grid_key, worker_key;"
        "INSERT INTO stats_week_reporter "
        "SELECT week_key, reporter_id, sum(received), sum(accepted), sum(closed) FROM report_reporter_facts "
        "GROUP BY week_key, reporter_id;");
}

void finish_bulk_load(Conn& conn) {
    require_sqlite(conn, "finish_bulk_load");
    in_transaction(conn, [&] {
        std::vector<std::string> statements;
        {
            auto q = conn.query("SELECT sql FROM bulk_load_pending ORDER BY name");
            while (q.next()) statements.push_back(q.text(0));
        }
        rebuild_stat_sums(conn);
        rebuild_worker_loads(conn);  // its triggers were aside with the statistics'
        for (const auto& sql : statements) conn.exec(sql);
        conn.exec("DROP TABLE bulk_load_pending");
    });
    conn.exec("PRAGMA wal_checkpoint(TRUNCATE)");
}

}  // namespace civic::store
