#include "server/domain/stats.hpp"

#include "common/errors.hpp"
#include "common/time.hpp"
#include "server/store/city_repo.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace civic::domain::stats {

namespace {

std::optional<double> ratio(std::int64_t num, std::int64_t den, double scale = 1.0) {
    if (den == 0) return std::nullopt;
    return static_cast<double>(num) / static_cast<double>(den) / scale;
}

std::int64_t parse_bound(std::optional<std::string_view> text, const char* field) {
    if (!text || text->empty()) throw ApiError::invalid_field(field, std::string(field) + " is required");
    const auto t = timefmt::parse_rfc3339(*text);
    if (!t)
        throw ApiError::invalid_field(field,
                                      std::string(field) + " must be an RFC 3339 time, e.g. 2026-11-16T16:00:00Z");
    if (*t < 0) throw ApiError::invalid_field(field, std::string(field) + " must not be before 1970");
    return *t;
}

// Null keys sort after every real one.
template <class T>
bool key_less(const std::optional<T>& a, const std::optional<T>& b) {
    if (a.has_value() != b.has_value()) return a.has_value();
    return a && *a < *b;
}

// nullopt last, larger first.
int compare_desc(const std::optional<double>& a, const std::optional<double>& b) {
    if (a.has_value() != b.has_value()) return a.has_value() ? -1 : 1;
    if (!a || *a == *b) return 0;
    return *a > *b ? -1 : 1;
}

}  // namespace

Figures figures_of(const store::StatCounts& c) {
    Figures f;
    f.counts = c;
    f.due = c.closed + c.overdue_open;
    f.closure_rate = ratio(c.closed, f.due);
    f.on_time_rate = ratio(c.closed_on_time, f.due);
    f.rework_rate = ratio(c.reworked, c.resolved_ever);
    f.handled_rate = ratio(c.closed + c.rejected + c.duplicate, c.received);
    f.avg_hours_to_close = ratio(c.close_seconds, c.closed, 3600.0);
    f.satisfaction = ratio(c.rating_sum, c.rated);
    return f;
}

std::optional<GroupBy> parse_group_by(std::string_view text) {
    if (text == "none") return GroupBy::none;
    if (text == "grid") return GroupBy::grid;
    if (text == "category") return GroupBy::category;
    if (text == "worker") return GroupBy::worker;
    return std::nullopt;
}

std::pair<std::int64_t, std::int64_t> parse_window(std::optional<std::string_view> from_text,
                                                   std::optional<std::string_view> to_text) {
    const auto from = parse_bound(from_text, "from");
    const auto to = parse_bound(to_text, "to");
    if (from >= to) throw ApiError::invalid_field("to", "to must be later than from");
    if (to - from > kMaxWindowSeconds) throw ApiError::invalid_field("to", "the window may span at most 400 days");
    return {from, to};
}

bool Scope::covers(std::int64_t grid_key) const {
    if (everything) return true;
    return grid_key != 0 && std::ranges::find(grid_ids, grid_key) != grid_ids.end();
}

ClosureReport closure_report(store::Conn& conn, std::int64_t from, std::int64_t to, std::int64_t now, GroupBy group_by,
                             const Scope& scope) {
    const auto split = group_by == GroupBy::worker     ? store::StatSplit::worker
                       : group_by == GroupBy::category ? store::StatSplit::category
                                                       : store::StatSplit::grid;
    const auto cells = store::closure_counts(conn, from, to, now, split);

    ClosureReport report;
    report.from = from;
    report.to = to;
    store::StatCounts total;
    // Sums per group key: ids for grids and workers (0 = null), codes for categories.
    std::map<std::int64_t, store::StatCounts> by_id;
    std::map<std::string, store::StatCounts> by_code;
    for (const auto& cell : cells) {
        if (!scope.covers(cell.grid_key)) continue;
        total += cell.counts;
        if (group_by == GroupBy::grid) by_id[cell.grid_key] += cell.counts;
        if (group_by == GroupBy::worker) by_id[cell.worker_key] += cell.counts;
        if (group_by == GroupBy::category) by_code[cell.category] += cell.counts;
    }
    report.total = figures_of(total);

    auto add_id_group = [&](std::int64_t id, std::string name) {
        Group g;
        if (id != 0) g.id = id;
        g.name = std::move(name);
        g.figures = figures_of(by_id.contains(id) ? by_id[id] : store::StatCounts{});
        report.groups.push_back(std::move(g));
        by_id.erase(id);
    };
    switch (group_by) {
        case GroupBy::none:
            break;
        case GroupBy::grid: {
            for (const auto& grid : store::all_grids(conn))
                if (scope.covers(grid.id)) add_id_group(grid.id, grid.name);
            if (by_id.contains(0)) add_id_group(0, "outside every grid");
            break;
        }
        case GroupBy::worker: {
            std::set<std::int64_t> listed;
            for (const auto& w : store::grid_workers(conn))
                if (scope.covers(w.grid_id) && listed.insert(w.worker_id).second) add_id_group(w.worker_id, w.name);
            // Former members (or others) who still hold tickets in scope.
            std::vector<std::int64_t> rest;
            for (const auto& [id, counts] : by_id)
                if (id != 0) rest.push_back(id);
            for (auto id : rest) add_id_group(id, store::user_display_name(conn, id).value_or(""));
            if (by_id.contains(0)) add_id_group(0, "unassigned");
            break;
        }
        case GroupBy::category: {
            for (const auto& category : store::list_categories(conn)) {
                Group g;
                g.code = category.code;
                g.name = category.name;
                g.figures = figures_of(by_code.contains(category.code) ? by_code[category.code] : store::StatCounts{});
                by_code.erase(category.code);
                report.groups.push_back(std::move(g));
            }
            for (const auto& [code, counts] : by_code) {  // categories cannot be deleted; defensive
                Group g;
                g.code = code;
                g.name = code;
                g.figures = figures_of(counts);
                report.groups.push_back(std::move(g));
            }
            break;
        }
    }
    std::ranges::stable_sort(report.groups, [](const Group& a, const Group& b) {
        if (a.code || b.code) return key_less(a.code, b.code);
        return key_less(a.id, b.id);
    });
    return report;
}

void rank_by_closure(std::vector<Group>& groups) {
    std::ranges::stable_sort(groups, [](const Group& a, const Group& b) {
        if (int c = compare_desc(a.figures.closure_rate, b.figures.closure_rate)) return c < 0;
        if (int c = compare_desc(a.figures.on_time_rate, b.figures.on_time_rate)) return c < 0;
        if (a.figures.counts.received != b.figures.counts.received)
            return a.figures.counts.received > b.figures.counts.received;
        return key_less(a.id, b.id);
    });
}

}  // namespace civic::domain::stats
