#pragma once
// Bulk loading for the generator (civicsnap-bulkgen): a report row written with its final
// state in one INSERT, so a simulated history costs one row plus its events. The triggers of
// schema/005_stats.sql keep the statistics' running sums as for any other insert.
#include "server/store/reports_repo.hpp"

namespace civic::store {

std::int64_t insert_report_with_state(Conn& conn, const ReportRow& r);

// Loading pragmas: no fsync per commit (a crashed load is simply rerun), a large page cache.
void tune_for_bulk_load(Conn& conn);

}  // namespace civic::store
