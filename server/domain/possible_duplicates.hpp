#pragma once
// A report's possible_duplicates (API.md §4): open reports of the same category within
// kDuplicateRadiusM, created within kDuplicateWindowSeconds of it, ascending ids.
#include "server/domain/reports.hpp"
#include "server/store/commit_epoch.hpp"
#include "server/store/epoch_cache.hpp"

#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace civic::domain {

// Computed afresh: an R*Tree query over open reports (what writer jobs use).
std::vector<std::int64_t> find_possible_duplicates(store::Conn& conn, const store::ReportRow& report);

// SQLite's open points (store::each_open_point) held in memory for read jobs, kept in step from
// the changes the store logs in commit order (schema/024). A search then reads no page: on a
// city of 10 M reports the R*Tree's were half of an old ticket's page reads. The copy holds at
// least every change the asking job's epoch counts, and may be newer than the job's snapshot
// (another job brought it further). Thread-safe.
class OpenPointsIndex {
public:
    // Past this many points the copy is dropped and searches read the R*Tree, as before.
    static constexpr std::size_t kMaxPoints = 1'000'000;
    // Grid cells of this many degrees, per category: a 50 m search looks at 2 × 2 of them.
    static constexpr double kCellDegrees = 0.001;

    explicit OpenPointsIndex(std::size_t max_points = kMaxPoints) : max_points_(max_points) {}

    // The report's possible duplicates; false when the copy cannot answer (over kMaxPoints, or a
    // box of too many cells). `epoch` is the 'open_reports' epoch taken before the read job's
    // snapshot began (PossibleDuplicatesCache::lookup). When it is newer than any the copy was
    // brought up at, the copy is first brought up to `conn`'s snapshot; otherwise the copy
    // already holds every change that epoch counts, and the log is not read.
    bool search(store::Conn& conn, const store::ReportRow& report, std::uint64_t epoch, std::vector<std::int64_t>& ids);
    // Brings the copy up to `conn`'s snapshot now (at start, before searches need it).
    void warm(store::Conn& conn, std::uint64_t epoch);
    std::size_t size() const;
    // Whether the copy was dropped past its limit (searches read the R*Tree).
    bool dropped() const;
    // How many times every point was read (the first time, and after falling behind the log).
    std::int64_t loads() const;

private:
    struct Point {
        std::int64_t id;
        std::int64_t created_at;
        double lon, lat;
    };
    using CellKey = std::uint64_t;

    // Under the exclusive lock. Brings the copy up to `last_change` unless it is there already,
    // and records `epoch` as one it holds every change of.
    void catch_up(store::Conn& conn, std::int64_t last_change, std::uint64_t epoch);
    void load_all(store::Conn& conn, std::int64_t last_change);
    void put(std::int64_t id, const std::string& category, std::int64_t created_at, double lon, double lat);
    void erase(std::int64_t id);
    void drop();  // over a limit: searches read the R*Tree from now on
    std::uint32_t category_number(const std::string& category);
    // Under either lock.
    bool search_held(const store::ReportRow& report, std::vector<std::int64_t>& ids) const;

    const std::size_t max_points_;
    mutable std::shared_mutex mutex_;
    std::int64_t loads_ = 0;
    bool loaded_ = false;
    bool too_many_ = false;            // over max_points_: searches read the R*Tree from then on
    std::int64_t applied_change_ = 0;  // the last logged change the copy holds
    std::uint64_t synced_epoch_ = 0;   // the newest epoch whose changes the copy holds
    std::unordered_map<CellKey, std::vector<Point>> cells_;
    std::unordered_map<std::int64_t, CellKey> cell_of_;
    std::unordered_map<std::string, std::uint32_t> categories_;
};

// Remembered under the 'open_reports' epoch (schema/007_epochs.sql): the R*Tree query that was
// the largest part of a ticket read (and ran 50 times per list page) becomes a lookup until a
// report is submitted, opened, closed, moved or re-categorised. On SQLite a miss searches the
// OpenPointsIndex; on PostgreSQL the table.
class PossibleDuplicatesCache {
public:
    static constexpr std::size_t kMaxEntries = 100'000;
    // Construct before the engine's first job (store::CommitEpoch).
    explicit PossibleDuplicatesCache(store::StorageEngine& engine);

    // Take it before the read job, outside it: the epoch then is no newer than the job's
    // snapshot (which starts at its first query), so no answer read from that snapshot is kept
    // under an epoch that a change the snapshot does not see has moved.
    DuplicatesLookup lookup() { return {this, epoch_.current()}; }

    // From a read connection only: a writer job sees rows that may yet roll back.
    std::vector<std::int64_t> of(store::Conn& conn, const store::ReportRow& report, std::uint64_t epoch);

    // Loads the in-memory open points (SQLite) in a read job on the calling thread, one of
    // the engine's job threads. A failure is left to the first search, which loads them too.
    void warm(store::StorageEngine& engine);

    // The in-memory open points (SQLite), or null.
    const OpenPointsIndex* points() const { return points_.get(); }
    // The copy's figures for /metrics (SQLite only): points held, and whether it was dropped.
    void append_metrics(std::string& out) const;

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
    std::unique_ptr<OpenPointsIndex> points_;
};

}  // namespace civic::domain
