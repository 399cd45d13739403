#pragma once
// Closure statistics (API.md §8): the figures and their definitions, grouping, the caller's
// scope, and the weekly bulletin's ranking. The counting itself is store/stats_repo's.
#include "server/store/stats_repo.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace civic::domain::stats {

// Longest window /stats/closure accepts: a bit over a year, so a year-on-year comparison fits.
inline constexpr std::int64_t kMaxWindowSeconds = 400LL * 24 * 3600;
// Items in the bulletin's overdue list and its top-reporter table.
inline constexpr int kBulletinOverdueItems = 200;
inline constexpr int kBulletinTopReporters = 10;

// Every figure of §8, derived from the counts; a ratio with a zero denominator is nullopt.
struct Figures {
    store::StatCounts counts;
    std::int64_t due = 0;  // closed + overdue_open (应结案数)
    std::optional<double> closure_rate, on_time_rate, rework_rate, handled_rate, avg_hours_to_close, satisfaction;
};
Figures figures_of(const store::StatCounts& counts);

enum class GroupBy { none, grid, category, worker };
std::optional<GroupBy> parse_group_by(std::string_view text);

// [from, to) from the query's texts (RFC 3339): 400 invalid_field naming `from` or `to` when
// missing, malformed, before 1970, not from < to, or longer than kMaxWindowSeconds.
std::pair<std::int64_t, std::int64_t> parse_window(std::optional<std::string_view> from,
                                                   std::optional<std::string_view> to);

// Which reports the caller's figures cover: every grid and the reports outside all grids
// (dispatcher, admin), or the listed grids only.
struct Scope {
    bool everything = false;
    std::vector<std::int64_t> grid_ids;
    bool covers(std::int64_t grid_key) const;  // grid_key 0: outside every grid
};

struct Group {
    // The key as the API shows it: a grid or worker id, a category code, or null (outside every
    // grid / unassigned).
    std::optional<std::int64_t> id;
    std::optional<std::string> code;
    std::string name;
    Figures figures;
};

struct ClosureReport {
    std::int64_t from = 0, to = 0;
    std::vector<Group> groups;  // empty for GroupBy::none
    Figures total;
};

// Reports created in [from, to) within the scope, overdue judged at `now`. Groups list every
// grid / category / worker in scope (zeros included) and any other key that has reports, in
// ascending id or code order with the null key last.
ClosureReport closure_report(store::Conn& conn, std::int64_t from, std::int64_t to, std::int64_t now, GroupBy group_by,
                             const Scope& scope);

// The bulletin's order: closure_rate descending with null last; ties by on_time_rate
// (descending, null last), then received (descending), then the lower grid id.
void rank_by_closure(std::vector<Group>& groups);

}  // namespace civic::domain::stats
