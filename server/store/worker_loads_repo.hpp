#pragma once
// Each worker's open tickets (assigned, in progress, resolved), kept by triggers on `reports`
// (schema/017_worker_loads.sql) so that auto-assign reads one row per worker of the grid.
#include "server/store/conn.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace civic::store {

struct WorkerLoad {
    std::int64_t worker_id = 0;
    std::int64_t open_tickets = 0;
    bool operator==(const WorkerLoad&) const = default;
};

// The grid's workers with their open tickets, ascending ids. On PostgreSQL their rows stay
// locked until commit, so a pick racing this one (another node's accept) waits and then reads
// the counts as this transaction left them; on SQLite the single writer already serializes it.
std::vector<WorkerLoad> lock_grid_worker_loads(Conn& conn, std::int64_t grid_id);

// Where the kept counts differ from a recount of `reports`, and grid members without a row
// (the pick would pass them over); at most kMaxReported of each, for `civicsnapd check`.
std::vector<std::string> worker_load_mismatches(Conn& conn);

// Recounts every worker's load from `reports` (the bulk loader, after its triggers were aside).
void rebuild_worker_loads(Conn& conn);

}  // namespace civic::store
