#include "server/domain/possible_duplicates.hpp"

#include "common/geo.hpp"

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

std::vector<std::int64_t> PossibleDuplicatesCache::of(store::Conn& conn, const store::ReportRow& report) {
    const auto epoch = epoch_.current();
    if (auto known = entries_.find(report.id, epoch); known && known->category == report.category &&
                                                      known->lat == report.lat && known->lon == report.lon &&
                                                      known->created_at == report.created_at)
        return std::move(known->ids);
    auto ids = find_possible_duplicates(conn, report);
    entries_.remember(report.id, Entry{report.category, report.lat, report.lon, report.created_at, ids}, epoch);
    return ids;
}

}  // namespace civic::domain
