#pragma once
// Bulk loading for the generator (civicsnap-bulkgen): a report row written with its final
// state in one INSERT, so a simulated history costs one row plus its events; and a load mode
// that sets the running-sum triggers and the secondary indexes of `reports` and
// `report_events` aside while rows pour in, then rebuilds the sums with one GROUP BY and the
// indexes by sorting — far faster than maintaining them row by row.
#include "server/store/reports_repo.hpp"

namespace civic::store {

std::int64_t insert_report_with_state(Conn& conn, const ReportRow& r);

// SQLite only (std::logic_error on PostgreSQL): tune_for_bulk_load, begin_bulk_load, finish_bulk_load.

// Loading pragmas: no fsync per commit (a crashed load is simply rerun), a large page cache.
void tune_for_bulk_load(Conn& conn);

// Drops the statistics triggers and the secondary indexes of reports/report_events, keeping
// their SQL in the table `bulk_load_pending` (so an interrupted load can still be finished by
// a later run). Does nothing for what is already set aside.
void begin_bulk_load(Conn& conn);
// Rebuilds the running sums from the rows, re-creates what begin_bulk_load set aside, and
// checkpoints the WAL into the database file (truncating it).
void finish_bulk_load(Conn& conn);

// Recomputes every running sum of schema/005_stats.sql from the reports.
void rebuild_stat_sums(Conn& conn);

}  // namespace civic::store
