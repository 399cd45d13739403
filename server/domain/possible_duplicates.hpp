#pragma once
// A report's possible_duplicates (API.md §4): open reports of the same category within
// kDuplicateRadiusM, created within kDuplicateWindowSeconds of it, ascending ids.
#include "server/domain/reports.hpp"
#include "server/store/commit_epoch.hpp"
#include "server/store/epoch_cache.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace civic::domain {

// Computed afresh: an R*Tree query over open reports (what writer jobs use).
std::vector<std::int64_t> find_possible_duplicates(store::Conn& conn, const store::ReportRow& report);

// Remembered under the 'open_reports' epoch (schema/007_epochs.sql): the R*Tree query that was
// the largest part of a ticket read (and ran 50 times per list page) becomes a lookup until a
// report is submitted, opened, closed, moved or re-categorised.
class PossibleDuplicatesCache {
public:
    static constexpr std::size_t kMaxEntries = 100'000;
    // Construct before the engine's first job (store::CommitEpoch).
    explicit PossibleDuplicatesCache(store::StorageEngine& engine)
        : epoch_(engine, "open_reports"), entries_(kMaxEntries) {}
    // From a read connection only: a writer job sees rows that may yet roll back.
    std::vector<std::int64_t> of(store::Conn& conn, const store::ReportRow& report);

private:
    // The report's own columns the answer was computed from: a caller holding a row read before
    // a change that moved the epoch cannot match an entry made from the changed row, or the
    // other way round.
    struct Entry {
        std::string category;
        double lat, lon;
        std::int64_t created_at;
        std::vector<std::int64_t> ids;
    };
    store::CommitEpoch epoch_;
    store::EpochCache<std::int64_t, Entry> entries_;
};

}  // namespace civic::domain
