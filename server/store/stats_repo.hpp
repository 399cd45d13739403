#pragma once
// The SQL behind the closure statistics, the bulletin's top reporters and the points figures
// (API.md §8). The running sums it reads are kept by triggers (schema/005_stats.sql), so every
// ticket change updates them in its own transaction.
#include "server/store/conn.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace civic::store {

// Counts (and sums for the two averages) over a set of reports; see report_stat_facts.
struct StatCounts {
    std::int64_t received = 0, accepted = 0, rejected = 0, duplicate = 0, closed = 0, closed_on_time = 0,
                 resolved_ever = 0, reworked = 0, extended = 0;
    std::int64_t close_seconds = 0;  // sum over closed reports of closed_at - created_at
    std::int64_t rating_sum = 0, rated = 0;
    // The rest of the standard's workflow (schema/010): went through 核实, refuted (不属实), now
    // parked (挂账), self-handled (自行处置), voided (作废).
    std::int64_t checked = 0, refuted = 0, parked = 0, self_handled = 0, voided = 0;
    std::int64_t overdue_open = 0;  // judged at the `now` of the query; never parked or voided
    StatCounts& operator+=(const StatCounts& o);
    bool operator==(const StatCounts&) const = default;
};

// The finest split a query returns: grid alone, grid × category, or grid × current assignee.
enum class StatSplit { grid, category, worker };

struct StatCell {
    std::int64_t grid_key = 0;    // 0: outside every grid
    std::string category;         // StatSplit::category (empty otherwise)
    std::int64_t worker_key = 0;  // StatSplit::worker; 0: unassigned
    StatCounts counts;
};

// Reports created in [from, to) (unix seconds, from >= 0), overdue_open judged at `now`. Whole
// hours come from the running sums, the partial hours at either edge from the rows themselves.
std::vector<StatCell> closure_counts(Conn& conn, std::int64_t from, std::int64_t to, std::int64_t now, StatSplit split);

// The bulletin's reporters of one Asia/Shanghai ISO week (week_key as in schema/005_stats.sql),
// most accepted reports first (then closed, then received, then the lower user id).
struct ReporterCount {
    std::int64_t user_id = 0;
    std::string display_name;
    std::int64_t received = 0, accepted = 0, closed = 0;
};
std::int64_t shanghai_week_key(std::int64_t unix_seconds);
std::vector<ReporterCount> top_reporters(Conn& conn, std::int64_t week_key, int limit);

// Sums of ledger transfers by kind, the issuance account's balance and the residents' total.
struct PointsTotals {
    std::int64_t issuance_balance = 0;
    std::int64_t report_accepted = 0, report_closed = 0, redemption = 0, redemption_void = 0, donation = 0,
                 honour_exchange = 0, credit_exchange = 0;
    std::int64_t resident_balances = 0;
};
PointsTotals points_totals(Conn& conn);

// Names for the keys of the groups.
struct NamedKey {
    std::int64_t id = 0;
    std::string code;
    std::string name;
};
std::vector<NamedKey> all_grids(Conn& conn);  // by id, without boundaries
struct WorkerInGrid {
    std::int64_t worker_id = 0;
    std::int64_t grid_id = 0;
    std::string name;
};
std::vector<WorkerInGrid> grid_workers(Conn& conn);  // every (worker, grid) membership
std::optional<std::string> user_display_name(Conn& conn, std::int64_t user_id);

// Per-person scorecards (API.md §4 "Statistics"), over reports created in [from, to) and, when
// `grid_ids` is given, of those grids only. Keyed by user id; only people with activity appear.
// Read from the rows (not the running sums): a scorecard window is one person's, bounded by the
// created_at index.
struct WorkerScore {
    std::int64_t assigned = 0;  // tickets now assigned to the worker
    std::int64_t closed = 0, closed_on_time = 0;
    std::int64_t overdue_open = 0;  // accepted, not closed, past deadline at `now`, not parked/voided
    std::int64_t returned = 0;      // return actions the worker took (回退)
    std::int64_t reworked = 0;      // their tickets sent back at least once (返工)
    std::int64_t self_handled = 0;  // 自行处置
};
struct ManagerScore {
    std::int64_t dispatched = 0;  // assign actions taken
    std::int64_t returned = 0;    // return actions whose latest earlier assign was this person's
};
struct ResidentScore {
    std::int64_t reports = 0, accepted = 0, rejected = 0, duplicate = 0;
};
std::map<std::int64_t, WorkerScore> worker_scores(Conn& conn, std::int64_t from, std::int64_t to, std::int64_t now,
                                                  const std::optional<std::vector<std::int64_t>>& grid_ids);
std::map<std::int64_t, ManagerScore> manager_scores(Conn& conn, std::int64_t from, std::int64_t to,
                                                    const std::optional<std::vector<std::int64_t>>& grid_ids);
std::map<std::int64_t, ResidentScore> resident_scores(Conn& conn, std::int64_t from, std::int64_t to,
                                                      const std::optional<std::vector<std::int64_t>>& grid_ids);
// Display names of the users of one role, by id.
std::map<std::int64_t, std::string> users_of_role(Conn& conn, std::string_view role);

// Rows of the running sums that differ from a recomputation over `reports` (empty when they
// agree). Slow on big databases: for `civicsnapd check` and tests.
std::vector<std::string> stats_sum_mismatches(Conn& conn);

}  // namespace civic::store
