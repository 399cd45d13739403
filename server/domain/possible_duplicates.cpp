#include "server/domain/possible_duplicates.hpp"

#include "common/geo.hpp"
#include "common/metric_lines.hpp"
#include "server/store/reports_repo.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <mutex>

namespace civic::domain {

std::vector<std::int64_t> find_possible_duplicates(store::Conn& conn, const store::ReportRow& r) {
    std::vector<std::int64_t> ids;
    if (!r.located) return ids;  // placed by address only: no position to compare
    const geo::Point here{r.lon, r.lat};
    const auto box = geo::box_around(here, kDuplicateRadiusM);
    for (const auto& other :
         store::open_reports_in_box(conn, r.category, box.min_lon, box.min_lat, box.max_lon, box.max_lat,
                                    r.created_at - kDuplicateWindowSeconds, r.created_at + kDuplicateWindowSeconds))
        if (other.id != r.id && geo::distance_m(here, {other.lon, other.lat}) <= kDuplicateRadiusM)
            ids.push_back(other.id);
    return ids;
}

namespace {
// A cell's key: the category's number (20 bits), then the cell's column and row (22 bits each:
// 360,000 columns and 180,000 rows of 0.001°).
constexpr std::uint32_t kMaxCategories = 1u << 20;
constexpr int kCellBits = 22;
// A search box wider than this many cells (near a pole, across the antimeridian) reads the R*Tree.
constexpr std::int64_t kMaxCellsSearched = 64;

// Clamped: a box may reach past a pole or the antimeridian.
std::int64_t column_of(double lon) {
    return static_cast<std::int64_t>(
        std::floor((std::clamp(lon, -180.0, 180.0) + 180.0) / OpenPointsIndex::kCellDegrees));
}
std::int64_t row_of(double lat) {
    return static_cast<std::int64_t>(std::floor((std::clamp(lat, -90.0, 90.0) + 90.0) / OpenPointsIndex::kCellDegrees));
}
std::uint64_t cell_key(std::uint32_t category, std::int64_t column, std::int64_t row) {
    assert(column >= 0 && column < (std::int64_t{1} << kCellBits) && row >= 0 && row < (std::int64_t{1} << kCellBits));
    return (std::uint64_t{category} << (2 * kCellBits)) | (static_cast<std::uint64_t>(column) << kCellBits) |
           static_cast<std::uint64_t>(row);
}
}  // namespace

bool OpenPointsIndex::search(store::Conn& conn, const store::ReportRow& report, std::uint64_t epoch,
                             std::vector<std::int64_t>& ids) {
    ids.clear();
    if (!report.located) return true;
    {
        std::shared_lock lock(mutex_);
        if (too_many_) return false;
        if (loaded_ && epoch <= synced_epoch_) return search_held(report, ids);
    }
    const auto last_change = store::last_open_point_change(conn);
    std::unique_lock lock(mutex_);
    catch_up(conn, last_change, epoch);
    return !too_many_ && search_held(report, ids);
}

void OpenPointsIndex::warm(store::Conn& conn, std::uint64_t epoch) {
    const auto last_change = store::last_open_point_change(conn);
    std::unique_lock lock(mutex_);
    catch_up(conn, last_change, epoch);
}

std::size_t OpenPointsIndex::size() const {
    std::shared_lock lock(mutex_);
    return cell_of_.size();
}

bool OpenPointsIndex::dropped() const {
    std::shared_lock lock(mutex_);
    return too_many_;
}

std::int64_t OpenPointsIndex::loads() const {
    std::shared_lock lock(mutex_);
    return loads_;
}

void OpenPointsIndex::catch_up(store::Conn& conn, std::int64_t last_change, std::uint64_t epoch) {
    // The snapshot holds every change the epoch counts (it was taken before the snapshot began),
    // and the copy will hold the snapshot's: until the epoch moves, no job needs the log.
    synced_epoch_ = std::max(synced_epoch_, epoch);
    if (too_many_ || (loaded_ && applied_change_ >= last_change)) return;  // another caller got here first
    // The rows after the last applied were pruned (or none was ever applied): start over.
    if (!loaded_ || store::first_open_point_change(conn) > applied_change_ + 1) {
        load_all(conn, last_change);
        return;
    }
    store::each_open_point_change(conn, applied_change_, last_change,
                                  [&](std::int64_t id, const std::optional<store::OpenPointRow>& point) {
                                      erase(id);
                                      if (point) put(id, point->category, point->created_at, point->lon, point->lat);
                                  });
    applied_change_ = last_change;
    if (too_many_ || cell_of_.size() > max_points_) drop();
}

void OpenPointsIndex::load_all(store::Conn& conn, std::int64_t last_change) {
    cells_.clear();
    cell_of_.clear();
    categories_.clear();
    store::each_open_point(conn, [&](const store::OpenPointRow& p) {
        if (cell_of_.size() <= max_points_) put(p.id, p.category, p.created_at, p.lon, p.lat);
    });
    loaded_ = true;
    ++loads_;
    applied_change_ = last_change;
    if (too_many_ || cell_of_.size() > max_points_) drop();
}

void OpenPointsIndex::drop() {
    too_many_ = true;
    cells_ = {};
    cell_of_ = {};
    categories_ = {};
}

std::uint32_t OpenPointsIndex::category_number(const std::string& category) {
    const auto [it, added] = categories_.try_emplace(category, static_cast<std::uint32_t>(categories_.size()));
    // 2^20 codes never happen in a city; if they did, the caller drops the copy.
    if (added && categories_.size() > kMaxCategories) too_many_ = true;
    return it->second % kMaxCategories;
}

void OpenPointsIndex::put(std::int64_t id, const std::string& category, std::int64_t created_at, double lon,
                          double lat) {
    const auto key = cell_key(category_number(category), column_of(lon), row_of(lat));
    cells_[key].push_back({id, created_at, lon, lat});
    cell_of_[id] = key;
}

void OpenPointsIndex::erase(std::int64_t id) {
    const auto at = cell_of_.find(id);
    if (at == cell_of_.end()) return;
    const auto cell = cells_.find(at->second);
    assert(cell != cells_.end());
    auto& points = cell->second;
    const auto p = std::find_if(points.begin(), points.end(), [&](const Point& q) { return q.id == id; });
    assert(p != points.end());
    *p = points.back();
    points.pop_back();
    if (points.empty()) cells_.erase(cell);
    cell_of_.erase(at);
}

bool OpenPointsIndex::search_held(const store::ReportRow& r, std::vector<std::int64_t>& ids) const {
    const auto category = categories_.find(r.category);
    if (category == categories_.end()) return true;  // no open report of its category
    const geo::Point here{r.lon, r.lat};
    const auto box = geo::box_around(here, kDuplicateRadiusM);
    const auto first_column = column_of(box.min_lon), last_column = column_of(box.max_lon);
    const auto first_row = row_of(box.min_lat), last_row = row_of(box.max_lat);
    if ((last_column - first_column + 1) * (last_row - first_row + 1) > kMaxCellsSearched) return false;
    const auto since = r.created_at - kDuplicateWindowSeconds, until = r.created_at + kDuplicateWindowSeconds;
    for (auto column = first_column; column <= last_column; ++column)
        for (auto row = first_row; row <= last_row; ++row) {
            const auto cell = cells_.find(cell_key(category->second, column, row));
            if (cell == cells_.end()) continue;
            for (const auto& p : cell->second)
                if (p.id != r.id && p.created_at >= since && p.created_at <= until &&
                    geo::distance_m(here, {p.lon, p.lat}) <= kDuplicateRadiusM)
                    ids.push_back(p.id);
        }
    std::sort(ids.begin(), ids.end());
    return true;
}

PossibleDuplicatesCache::PossibleDuplicatesCache(store::StorageEngine& engine)
    : epoch_(engine, "open_reports"), entries_(kMaxEntries) {
    if (engine.kind() == store::Engine::sqlite) points_ = std::make_unique<OpenPointsIndex>();
}

void PossibleDuplicatesCache::warm(store::StorageEngine& engine) {
    if (!points_) return;
    const auto epoch = epoch_.current();  // before the read job's snapshot, as lookup()
    try {
        engine.read([&](store::Conn& conn) { points_->warm(conn, epoch); });
    } catch (const std::exception&) {
        // The database could not be read now; the first search tries again.
    }
}

void PossibleDuplicatesCache::append_metrics(std::string& out) const {
    if (!points_) return;
    metric_lines::append_value(out, "civicsnap_open_points_in_memory", "gauge",
                               "Open reports' points held in memory for the possible-duplicates search.",
                               static_cast<std::int64_t>(points_->size()));
    metric_lines::append_value(out, "civicsnap_open_points_in_memory_dropped", "gauge",
                               "1 when the points passed the copy's limit and searches read the R*Tree.",
                               points_->dropped() ? 1 : 0);
}

std::vector<std::int64_t> PossibleDuplicatesCache::of(store::Conn& conn, const store::ReportRow& report,
                                                      std::uint64_t epoch) {
    if (auto known = entries_.find(report.id, epoch); known && known->category == report.category &&
                                                      known->lat == report.lat && known->lon == report.lon &&
                                                      known->created_at == report.created_at)
        return std::move(known->ids);
    std::vector<std::int64_t> ids;
    if (!points_ || !points_->search(conn, report, epoch, ids)) ids = find_possible_duplicates(conn, report);
    entries_.remember(report.id, Entry{report.category, report.lat, report.lon, report.created_at, ids}, epoch);
    return ids;
}

}  // namespace civic::domain
