#include "server/store/worker_loads_repo.hpp"

#include "server/store/sqlite.hpp"

namespace civic::store {

namespace {

constexpr int kMaxReported = 20;

// The one definition of an open ticket's load outside the triggers; keep it equal to theirs.
constexpr const char* kRecountedLoads =
    "SELECT assignee_id AS worker_id, 1 AS open_ticket FROM reports "
    "WHERE assignee_id IS NOT NULL AND status IN ('assigned', 'in_progress', 'resolved')";

}  // namespace

std::vector<WorkerLoad> lock_grid_worker_loads(Conn& conn, std::int64_t grid_id) {
    std::string sql =
        "SELECT wl.worker_id, wl.open_tickets FROM user_grids ug JOIN users u ON u.id = ug.user_id "
        "JOIN worker_loads wl ON wl.worker_id = ug.user_id WHERE ug.grid_id = ? AND u.role = 'worker' "
        "ORDER BY wl.worker_id";
    // Ascending ids, the order the reports trigger updates two rows in: no deadlock between them.
    // A waiter re-reads each locked row as its locker committed it (READ COMMITTED).
    if (conn.engine() == Engine::postgresql) sql += " FOR UPDATE OF wl";
    std::vector<WorkerLoad> out;
    auto q = conn.query(sql);
    q.args(grid_id);
    while (q.next()) out.push_back({q.int64(0), q.int64(1)});
    return out;
}

std::vector<std::string> worker_load_mismatches(Conn& conn) {
    std::vector<std::string> problems;
    {
        auto q = conn.query(
            std::string("SELECT worker_id, CAST(sum(kept) AS BIGINT), CAST(sum(counted) AS BIGINT) FROM ("
                        "SELECT worker_id, open_tickets AS kept, 0 AS counted FROM worker_loads UNION ALL "
                        "SELECT worker_id, 0, open_ticket FROM (") +
            kRecountedLoads +
            ") AS recounted) AS loads GROUP BY worker_id HAVING sum(kept) <> sum(counted) ORDER BY worker_id LIMIT " +
            std::to_string(kMaxReported));
        while (q.next())
            problems.push_back("worker_loads: worker " + std::to_string(q.int64(0)) + " is kept with " +
                               std::to_string(q.int64(1)) + " open tickets, but holds " + std::to_string(q.int64(2)));
    }
    auto q = conn.query(
        "SELECT DISTINCT ug.user_id FROM user_grids ug WHERE NOT EXISTS "
        "(SELECT 1 FROM worker_loads wl WHERE wl.worker_id = ug.user_id) ORDER BY ug.user_id LIMIT " +
        std::to_string(kMaxReported));
    while (q.next())
        problems.push_back("worker_loads: grid member " + std::to_string(q.int64(0)) +
                           " has no row, so auto-assign passes them over");
    return problems;
}

void rebuild_worker_loads(Conn& conn) {
    conn.exec("DELETE FROM worker_loads");
    conn.exec(std::string("INSERT INTO worker_loads (worker_id, open_tickets) "
                          "SELECT worker_id, sum(open_ticket) FROM ("
                          "SELECT user_id AS worker_id, 0 AS open_ticket FROM user_grids UNION ALL ") +
              kRecountedLoads + ") AS loads GROUP BY worker_id");
}

}  // namespace civic::store
