#include "server/store/stats_repo.hpp"
#include "server/store/sqlite.hpp"

#include <map>
#include <tuple>

namespace civic::store {

namespace {

constexpr std::int64_t kHour = 3600;

// The summed columns, in the order of the running-sum tables and report_stat_facts.
constexpr const char* kSumColumns =
    "sum(received), sum(accepted), sum(rejected), sum(duplicate), sum(closed), sum(closed_on_time), "
    "sum(resolved_ever), sum(reworked), sum(extended), sum(close_seconds), sum(rating_sum), sum(rated), "
    "sum(checked), sum(refuted), sum(parked), sum(self_handled), sum(voided)";

StatCounts read_sums(Query& q, int first) {
    StatCounts c;
    c.received = q.int64(first);
    c.accepted = q.int64(first + 1);
    c.rejected = q.int64(first + 2);
    c.duplicate = q.int64(first + 3);
    c.closed = q.int64(first + 4);
    c.closed_on_time = q.int64(first + 5);
    c.resolved_ever = q.int64(first + 6);
    c.reworked = q.int64(first + 7);
    c.extended = q.int64(first + 8);
    c.close_seconds = q.int64(first + 9);
    c.rating_sum = q.int64(first + 10);
    c.rated = q.int64(first + 11);
    c.checked = q.int64(first + 12);
    c.refuted = q.int64(first + 13);
    c.parked = q.int64(first + 14);
    c.self_handled = q.int64(first + 15);
    c.voided = q.int64(first + 16);
    return c;
}

using CellKey = std::tuple<std::int64_t, std::string, std::int64_t>;

// Column 1 of every query below is the split's second key ('' for StatSplit::grid).
CellKey cell_key(Query& q, StatSplit split) {
    const auto grid = q.int64(0);
    switch (split) {
        case StatSplit::grid:
            return {grid, {}, 0};
        case StatSplit::category:
            return {grid, q.text(1), 0};
        case StatSplit::worker:
            break;
    }
    return {grid, {}, q.int64(1)};
}

void add_cells(std::map<CellKey, StatCounts>& cells, Query& q, StatSplit split) {
    while (q.next()) cells[cell_key(q, split)] += read_sums(q, 2);
}

struct SplitSql {
    const char* table;       // the running sums
    const char* second;      // the second key in the sums and in report_stat_facts
    const char* row_second;  // the same, computed from a reports row
};

SplitSql split_sql(StatSplit split) {
    switch (split) {
        case StatSplit::grid:
            return {"stats_hour_grid", "''", "''"};
        case StatSplit::category:
            return {"stats_hour_grid_category", "category", "category"};
        case StatSplit::worker:
            break;
    }
    return {"stats_hour_grid_worker", "worker_key", "coalesce(assignee_id, 0)"};
}

}  // namespace

StatCounts& StatCounts::operator+=(const StatCounts& o) {
    received += o.received;
    accepted += o.accepted;
    rejected += o.rejected;
    duplicate += o.duplicate;
    closed += o.closed;
    closed_on_time += o.closed_on_time;
    resolved_ever += o.resolved_ever;
    reworked += o.reworked;
    extended += o.extended;
    close_seconds += o.close_seconds;
    rating_sum += o.rating_sum;
    rated += o.rated;
    checked += o.checked;
    refuted += o.refuted;
    parked += o.parked;
    self_handled += o.self_handled;
    voided += o.voided;
    overdue_open += o.overdue_open;
    return *this;
}

std::vector<StatCell> closure_counts(Conn& conn, std::int64_t from, std::int64_t to, std::int64_t now,
                                     StatSplit split) {
    std::map<CellKey, StatCounts> cells;
    const auto sql = split_sql(split);
    const std::string second = sql.second;
    const std::string table = sql.table;

    // Whole hours [first_hour, end_hour) from the running sums; the rest from the rows.
    const auto first_hour = (from + kHour - 1) / kHour;
    const auto end_hour = to / kHour;
    auto from_rows = [&](std::int64_t lo, std::int64_t hi) {
        if (lo >= hi) return;
        auto q = conn.query("SELECT grid_key, " + second + ", " + kSumColumns +
                            " FROM report_stat_facts WHERE created_at >= ? AND created_at < ? GROUP BY 1, 2");
        q.args(lo, hi);
        add_cells(cells, q, split);
    };
    if (first_hour < end_hour) {
        auto q = conn.query("SELECT grid_key, " + second + ", " + kSumColumns + " FROM " + table +
                            " WHERE hour >= ? AND hour < ? GROUP BY 1, 2");
        q.args(first_hour, end_hour);
        add_cells(cells, q, split);
        from_rows(from, first_hour * kHour);
        from_rows(end_hour * kHour, to);
    } else {
        from_rows(from, to);
    }

    // overdue_open: accepted, not closed, past its deadline at `now` (the partial index); a parked
    // ticket's clock has stopped and a voided one is nobody's work: neither counts (API.md §4).
    {
        auto q = conn.query(
            std::string("SELECT coalesce(grid_id, 0), ") + sql.row_second +
            ", count(*) FROM reports WHERE accepted_at IS NOT NULL AND closed_at IS NULL "
            "AND created_at >= ? AND created_at < ? AND deadline_at < ? AND status NOT IN ('parked', 'voided') "
            "GROUP BY 1, 2");
        q.args(from, to, now);
        while (q.next()) cells[cell_key(q, split)].overdue_open += q.int64(2);
    }

    std::vector<StatCell> out;
    out.reserve(cells.size());
    for (auto& [key, counts] : cells) {
        if (counts == StatCounts{}) continue;  // keys whose reports all moved elsewhere
        out.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), counts});
    }
    return out;
}

std::int64_t shanghai_week_key(std::int64_t unix_seconds) {
    // Must match report_reporter_facts in schema/005_stats.sql.
    return (unix_seconds + 28800 + 259200) / 604800;
}

std::vector<ReporterCount> top_reporters(Conn& conn, std::int64_t week_key, int limit) {
    std::vector<ReporterCount> out;
    auto q = conn.query(
        "SELECT s.reporter_id, u.display_name, s.received, s.accepted, s.closed FROM stats_week_reporter s "
        "JOIN users u ON u.id = s.reporter_id WHERE s.week_key = ? AND s.received > 0 "
        "ORDER BY s.accepted DESC, s.closed DESC, s.received DESC, s.reporter_id LIMIT ?");
    q.args(week_key, static_cast<std::int64_t>(limit));
    while (q.next()) out.push_back({q.int64(0), q.text(1), q.int64(2), q.int64(3), q.int64(4)});
    return out;
}

PointsTotals points_totals(Conn& conn) {
    PointsTotals t;
    {
        auto q = conn.query("SELECT balance FROM ledger_accounts WHERE kind = 'issuance' AND code = 'city'");
        if (q.next()) t.issuance_balance = q.int64(0);
    }
    {
        auto q = conn.query("SELECT coalesce(sum(balance), 0) FROM ledger_accounts WHERE kind = 'resident'");
        q.next();
        t.resident_balances = q.int64(0);
    }
    auto sum_of = [&](const char* kind) {
        auto q = conn.query("SELECT coalesce(sum(amount), 0) FROM ledger_transfers WHERE kind = ?");
        q.args(kind);
        q.next();
        return q.int64(0);
    };
    t.report_accepted = sum_of("report_accepted");
    t.report_closed = sum_of("report_closed");
    t.redemption = sum_of("redemption");
    t.redemption_void = sum_of("redemption_void");
    t.donation = sum_of("donation");
    t.honour_exchange = sum_of("honour_exchange");
    t.credit_exchange = sum_of("credit_exchange");
    return t;
}

std::vector<NamedKey> all_grids(Conn& conn) {
    std::vector<NamedKey> out;
    auto q = conn.query("SELECT id, code, name FROM grids ORDER BY id");
    while (q.next()) out.push_back({q.int64(0), q.text(1), q.text(2)});
    return out;
}

std::vector<WorkerInGrid> grid_workers(Conn& conn) {
    std::vector<WorkerInGrid> out;
    auto q = conn.query(
        "SELECT u.id, ug.grid_id, u.display_name FROM users u JOIN user_grids ug ON ug.user_id = u.id "
        "WHERE u.role = 'worker' ORDER BY u.id, ug.grid_id");
    while (q.next()) out.push_back({q.int64(0), q.int64(1), q.text(2)});
    return out;
}

std::optional<std::string> user_display_name(Conn& conn, std::int64_t user_id) {
    auto q = conn.query("SELECT display_name FROM users WHERE id = ?");
    q.args(user_id);
    if (!q.next()) return std::nullopt;
    return q.text(0);
}

namespace {

// " AND r.grid_id IN (…)" for a scope of grids (ids are integers: formatted, never spliced text).
std::string grid_filter(const std::optional<std::vector<std::int64_t>>& grid_ids) {
    if (!grid_ids) return {};
    std::string out = " AND r.grid_id IN (";
    if (grid_ids->empty()) return " AND 1 = 0";
    for (std::size_t i = 0; i < grid_ids->size(); ++i) out += (i ? "," : "") + std::to_string((*grid_ids)[i]);
    return out + ")";
}

constexpr const char* kWindow = " r.created_at >= ? AND r.created_at < ?";

}  // namespace

std::map<std::int64_t, WorkerScore> worker_scores(Conn& conn, std::int64_t from, std::int64_t to, std::int64_t now,
                                                  const std::optional<std::vector<std::int64_t>>& grid_ids) {
    std::map<std::int64_t, WorkerScore> out;
    const auto scope = grid_filter(grid_ids);
    {
        auto q = conn.query(
            "SELECT r.assignee_id, count(*), "
            "sum(CASE WHEN r.status = 'closed' THEN 1 ELSE 0 END), "
            "sum(CASE WHEN r.status = 'closed' AND r.closed_at <= r.deadline_at THEN 1 ELSE 0 END), "
            "sum(CASE WHEN r.accepted_at IS NOT NULL AND r.closed_at IS NULL AND r.deadline_at < ? "
            "AND r.status NOT IN ('parked', 'voided') THEN 1 ELSE 0 END), "
            "sum(CASE WHEN r.rework_count > 0 THEN 1 ELSE 0 END), "
            "sum(CASE WHEN r.self_handled = 1 THEN 1 ELSE 0 END) "
            "FROM reports r WHERE r.assignee_id IS NOT NULL AND" +
            std::string(kWindow) + scope + " GROUP BY r.assignee_id");
        q.args(now, from, to);
        while (q.next()) {
            auto& w = out[q.int64(0)];
            w.assigned = q.int64(1);
            w.closed = q.int64(2);
            w.closed_on_time = q.int64(3);
            w.overdue_open = q.int64(4);
            w.reworked = q.int64(5);
            w.self_handled = q.int64(6);
        }
    }
    auto q = conn.query(
        "SELECT e.actor_id, count(*) FROM report_events e JOIN reports r ON r.id = e.report_id "
        "WHERE e.action = 'return' AND" +
        std::string(kWindow) + scope + " GROUP BY e.actor_id");
    q.args(from, to);
    while (q.next()) out[q.int64(0)].returned = q.int64(1);
    return out;
}

std::map<std::int64_t, ManagerScore> manager_scores(Conn& conn, std::int64_t from, std::int64_t to,
                                                    const std::optional<std::vector<std::int64_t>>& grid_ids) {
    std::map<std::int64_t, ManagerScore> out;
    const auto scope = grid_filter(grid_ids);
    {
        auto q = conn.query(
            "SELECT e.actor_id, count(*) FROM report_events e JOIN reports r ON r.id = e.report_id "
            "WHERE e.action = 'assign' AND" +
            std::string(kWindow) + scope + " GROUP BY e.actor_id");
        q.args(from, to);
        while (q.next()) out[q.int64(0)].dispatched = q.int64(1);
    }
    // A return is charged to whoever made the dispatch it undoes: the latest assign before it.
    auto q = conn.query(
        "SELECT d.dispatcher, count(*) FROM (SELECT (SELECT a.actor_id FROM report_events a "
        "WHERE a.report_id = e.report_id AND a.action = 'assign' AND a.id < e.id ORDER BY a.id DESC LIMIT 1) "
        "AS dispatcher FROM report_events e JOIN reports r ON r.id = e.report_id WHERE e.action = 'return' AND" +
        std::string(kWindow) + scope + ") d WHERE d.dispatcher IS NOT NULL GROUP BY d.dispatcher");
    q.args(from, to);
    while (q.next()) out[q.int64(0)].returned = q.int64(1);
    return out;
}

std::map<std::int64_t, ResidentScore> resident_scores(Conn& conn, std::int64_t from, std::int64_t to,
                                                      const std::optional<std::vector<std::int64_t>>& grid_ids) {
    std::map<std::int64_t, ResidentScore> out;
    auto q = conn.query(
        "SELECT r.reporter_id, count(*), sum(CASE WHEN r.accepted_at IS NOT NULL THEN 1 ELSE 0 END), "
        "sum(CASE WHEN r.status = 'rejected' THEN 1 ELSE 0 END), "
        "sum(CASE WHEN r.status = 'duplicate' THEN 1 ELSE 0 END) FROM reports r WHERE" +
        std::string(kWindow) + grid_filter(grid_ids) + " GROUP BY r.reporter_id");
    q.args(from, to);
    while (q.next()) out[q.int64(0)] = {q.int64(1), q.int64(2), q.int64(3), q.int64(4)};
    return out;
}

std::map<std::int64_t, std::string> users_of_role(Conn& conn, std::string_view role) {
    std::map<std::int64_t, std::string> out;
    auto q = conn.query("SELECT id, display_name FROM users WHERE role = ?");
    q.args(role);
    while (q.next()) out[q.int64(0)] = q.text(1);
    return out;
}

std::vector<std::string> stats_sum_mismatches(Conn& conn) {
    std::vector<std::string> problems;
    const std::string nonzero =
        " WHERE received <> 0 OR accepted <> 0 OR rejected <> 0 OR duplicate <> 0 OR closed <> 0 OR "
        "closed_on_time <> 0 OR resolved_ever <> 0 OR reworked <> 0 OR extended <> 0 OR close_seconds <> 0 OR "
        "rating_sum <> 0 OR rated <> 0 OR checked <> 0 OR refuted <> 0 OR parked <> 0 OR self_handled <> 0 OR "
        "voided <> 0";
    const std::string cols =
        "received, accepted, rejected, duplicate, closed, closed_on_time, resolved_ever, reworked, extended, "
        "close_seconds, rating_sum, rated, checked, refuted, parked, self_handled, voided";
    auto compare = [&](const std::string& table, const std::string& key) {
        // key "''": the (hour, grid) table, whose rows have no third key.
        const std::string kept_key = key == "''" ? "''" : key;
        const std::string kept = "SELECT hour, grid_key, " + kept_key + ", " + cols + " FROM " + table + nonzero;
        const std::string recomputed = "SELECT hour, grid_key, " + key + ", " + kSumColumns +
                                       " FROM report_stat_facts GROUP BY hour, grid_key" +
                                       (key == "''" ? std::string() : ", " + key);
        for (const auto& [a, b, what] : {std::tuple{kept, recomputed, "kept but not recomputed"},
                                         std::tuple{recomputed, kept, "recomputed but not kept"}}) {
            auto q = conn.query("SELECT hour, grid_key, " + key + " FROM (" + a + " EXCEPT " + b +
                                ") AS differing LIMIT 20");
            while (q.next())
                problems.push_back(table + ": row (hour " + std::to_string(q.int64(0)) + ", grid " +
                                   std::to_string(q.int64(1)) + ", " + key + " " + q.text(2) + ") " + what);
        }
    };
    compare("stats_hour_grid", "''");
    compare("stats_hour_grid_category", "category");
    compare("stats_hour_grid_worker", "worker_key");
    {
        const std::string kept =
            "SELECT week_key, reporter_id, received, accepted, closed FROM stats_week_reporter "
            "WHERE received <> 0 OR accepted <> 0 OR closed <> 0";
        const std::string recomputed =
            "SELECT week_key, reporter_id, sum(received), sum(accepted), sum(closed) FROM report_reporter_facts "
            "GROUP BY week_key, reporter_id";
        for (const auto& [a, b] : {std::pair{kept, recomputed}, std::pair{recomputed, kept}}) {
            auto q = conn.query("SELECT week_key, reporter_id FROM (" + a + " EXCEPT " + b + ") AS differing LIMIT 20");
            while (q.next())
                problems.push_back("stats_week_reporter: row (week " + std::to_string(q.int64(0)) + ", reporter " +
                                   std::to_string(q.int64(1)) + ") differs from a recomputation");
        }
    }
    return problems;
}

}  // namespace civic::store
