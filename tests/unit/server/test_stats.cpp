// Closure statistics below HTTP: the figures' definitions, ranking, window and week parsing,
// and the trigger-kept running sums against brute-force counts over random tickets.
#include "common/errors.hpp"
#include "common/time.hpp"
#include "server/domain/stats.hpp"
#include "server/store/bulk_repo.hpp"
#include "server/store/migrations.hpp"
#include "server/store/reports_repo.hpp"
#include "server/store/sqlite.hpp"
#include "server/store/stats_repo.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <random>

namespace {

using namespace civic;
namespace stats = civic::domain::stats;

std::string field_of(const std::function<void()>& fn) {
    try {
        fn();
    } catch (const ApiError& e) {
        EXPECT_EQ(e.status(), 400);
        return e.field();
    }
    return "(no error)";
}

TEST(StatsFigures, RatiosFollowTheDefinitionsAndZeroDenominatorsAreNull) {
    store::StatCounts c;
    auto f = stats::figures_of(c);
    EXPECT_EQ(f.due, 0);
    EXPECT_FALSE(f.closure_rate);
    EXPECT_FALSE(f.on_time_rate);
    EXPECT_FALSE(f.rework_rate);
    EXPECT_FALSE(f.handled_rate);
    EXPECT_FALSE(f.avg_hours_to_close);
    EXPECT_FALSE(f.satisfaction);

    c.received = 10;
    c.closed = 3;
    c.closed_on_time = 2;
    c.overdue_open = 1;
    c.rejected = 2;
    c.duplicate = 1;
    c.resolved_ever = 4;
    c.reworked = 1;
    c.close_seconds = 3 * 3600 + 6 * 3600 + 9 * 3600;
    c.rating_sum = 9;
    c.rated = 2;
    f = stats::figures_of(c);
    EXPECT_EQ(f.due, 4);
    EXPECT_DOUBLE_EQ(*f.closure_rate, 0.75);
    EXPECT_DOUBLE_EQ(*f.on_time_rate, 0.5);
    EXPECT_DOUBLE_EQ(*f.rework_rate, 0.25);
    EXPECT_DOUBLE_EQ(*f.handled_rate, 0.6);
    EXPECT_DOUBLE_EQ(*f.avg_hours_to_close, 6.0);
    EXPECT_DOUBLE_EQ(*f.satisfaction, 4.5);
}

stats::Group group(std::int64_t id, std::optional<double> closure, std::optional<double> on_time,
                   std::int64_t received) {
    stats::Group g;
    g.id = id;
    g.figures.closure_rate = closure;
    g.figures.on_time_rate = on_time;
    g.figures.counts.received = received;
    return g;
}

TEST(StatsRanking, ClosureRateFirstNullLastThenTieBreaks) {
    std::vector<stats::Group> groups = {
        group(1, std::nullopt, std::nullopt, 50),  // nothing due: last
        group(2, 0.5, 0.5, 10),
        group(3, 0.9, 0.1, 10),
        group(4, 0.5, 0.8, 10),  // same closure as 2, better on time
        group(5, 0.5, 0.5, 30),  // same as 2 on both, more received
        group(6, 0.5, 0.5, 10),  // same as 2 in everything: the lower id first
        group(7, 0.5, std::nullopt, 99),
    };
    stats::rank_by_closure(groups);
    std::vector<std::int64_t> order;
    for (const auto& g : groups) order.push_back(*g.id);
    EXPECT_EQ(order, (std::vector<std::int64_t>{3, 4, 5, 2, 6, 7, 1}));
}

TEST(StatsWindow, ParsesAndRefusesWithTheFieldNamed) {
    const auto w = stats::parse_window("2026-11-15T16:00:00Z", "2026-11-22T16:00:00Z");
    EXPECT_EQ(w.first, *timefmt::parse_rfc3339("2026-11-15T16:00:00Z"));
    EXPECT_EQ(w.second - w.first, 7 * 86400);
    EXPECT_EQ(stats::parse_window("2026-11-16T00:00:00+08:00", "2026-11-17T00:00:00+08:00").first, w.first);
    EXPECT_EQ(field_of([] { stats::parse_window(std::nullopt, "2026-11-22T16:00:00Z"); }), "from");
    EXPECT_EQ(field_of([] { stats::parse_window("", "2026-11-22T16:00:00Z"); }), "from");
    EXPECT_EQ(field_of([] { stats::parse_window("2026-11-15", "2026-11-22T16:00:00Z"); }), "from");
    EXPECT_EQ(field_of([] { stats::parse_window("2026-11-15T16:00:00Z", std::nullopt); }), "to");
    EXPECT_EQ(field_of([] { stats::parse_window("2026-11-15T16:00:00Z", "2026-11-15T16:00:00Z"); }), "to");
    EXPECT_EQ(field_of([] { stats::parse_window("2025-01-01T00:00:00Z", "2026-02-05T00:00:01Z"); }), "to");
    EXPECT_EQ(field_of([] { stats::parse_window("1969-01-01T00:00:00Z", "1969-02-01T00:00:00Z"); }), "from");
    EXPECT_NO_THROW(stats::parse_window("2025-01-01T00:00:00Z", "2026-02-05T00:00:00Z"));  // exactly 400 days
}

TEST(StatsWindow, GroupByValues) {
    EXPECT_EQ(stats::parse_group_by("none"), stats::GroupBy::none);
    EXPECT_EQ(stats::parse_group_by("grid"), stats::GroupBy::grid);
    EXPECT_EQ(stats::parse_group_by("category"), stats::GroupBy::category);
    EXPECT_EQ(stats::parse_group_by("worker"), stats::GroupBy::worker);
    EXPECT_FALSE(stats::parse_group_by("Grid"));
    EXPECT_FALSE(stats::parse_group_by(""));
}

TEST(StatsWeek, TheReporterWeekKeyMatchesIsoWeeksInShanghai) {
    for (const char* week : {"2026-W01", "2026-W47", "2026-W53", "2027-W01", "2020-W53", "2021-W01"}) {
        const auto range = timefmt::parse_iso_week(week);
        ASSERT_TRUE(range) << week;
        const auto key = store::shanghai_week_key(range->first);
        EXPECT_EQ(store::shanghai_week_key(range->second - 1), key) << week;
        EXPECT_EQ(store::shanghai_week_key(range->second), key + 1) << week;
        EXPECT_EQ(store::shanghai_week_key(range->first - 1), key - 1) << week;
        EXPECT_EQ(timefmt::iso_week_of(range->first), week);
    }
    // Monday 00:00 in Shanghai is Sunday 16:00 UTC.
    EXPECT_EQ(timefmt::parse_iso_week("2026-W47")->first, *timefmt::parse_rfc3339("2026-11-15T16:00:00Z"));
    EXPECT_FALSE(timefmt::parse_iso_week("2026-W54"));
    EXPECT_FALSE(timefmt::parse_iso_week("2025-W53"));  // 2025 has 52 weeks
    EXPECT_FALSE(timefmt::parse_iso_week("2026-W00"));
    EXPECT_FALSE(timefmt::parse_iso_week("2026-47"));
}

struct TempDir {
    TempDir() {
        char tmpl[] = "/tmp/civicsnap-stats-XXXXXX";
        dir = mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(dir); }
    std::string dir;
};

// Random tickets in random states, written through the reports repository; the running sums
// must match both a recomputation and brute-force counts over the rows for arbitrary windows.
TEST(StatsRunningSums, MatchBruteForceForArbitraryWindows) {
    TempDir tmp;
    store::Conn conn(tmp.dir + "/t.db", store::Conn::Mode::read_write);
    store::migrate(conn);
    conn.exec(
        "INSERT INTO users (id, phone, password_hash, display_name, role, created_at) VALUES "
        "(1, '13000000001', 'x', 'r', 'resident', 0), (2, '13000000002', 'x', 'w', 'worker', 0);"
        "INSERT INTO categories (code, name, sla_hours, points_on_accept, points_on_close, created_at) VALUES "
        "('c1', 'C1', 24, 1, 1, 0), ('c2', 'C2', 4, 1, 1, 0);"
        "INSERT INTO grids (id, code, name, boundary, auto_assign, area_m2, created_at) "
        "VALUES (1, 'G1', 'G1', '{}', 1, 1, 0);");
    std::mt19937_64 rng(42);
    auto uni = [&](std::int64_t lo, std::int64_t hi) {
        return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
    };
    const std::int64_t t0 = 1'790'000'000;
    std::vector<store::ReportRow> rows;
    store::in_transaction(conn, [&] {
        for (int n = 0; n < 400; ++n) {
            store::ReportRow r;
            r.status = std::string("submitted");
            r.category = std::string(uni(0, 1) ? "c1" : "c2");
            r.description = std::string("description");
            r.reporter_id = 1;
            if (uni(0, 4)) r.grid_id = 1;
            r.created_at = r.updated_at = t0 + uni(0, 3 * 86400);
            r.id = store::insert_report(conn, r);
            // Then a few updates through the same path the domain uses.
            for (int step = uni(0, 4); step > 0; --step) {
                if (r.status == "closed" || r.status == "rejected") break;  // final, as in the lifecycle
                const auto kind = uni(0, 5);
                if (kind == 0) r.status = std::string("rejected");
                if (kind == 1 || kind == 2) {
                    r.status = std::string("accepted");
                    r.accepted_at = r.created_at + uni(0, 7200);
                    r.deadline_at = *r.accepted_at + uni(3600, 86400);
                    if (uni(0, 1)) r.assignee_id = 2;
                }
                if (kind == 3 && r.accepted_at) {
                    r.status = std::string("closed");
                    r.resolved_at = r.closed_at = *r.accepted_at + uni(600, 100000);
                    if (uni(0, 1)) r.rating = uni(1, 5);
                }
                if (kind == 4 && r.accepted_at) {
                    ++r.rework_count;
                    r.extension_hours += 2;
                }
                if (kind == 5) r.category = std::string(r.category == "c1" ? "c2" : "c1");
                store::update_report(conn, r);
            }
            rows.push_back(r);
        }
    });
    EXPECT_TRUE(store::stats_sum_mismatches(conn).empty());

    const std::int64_t now = t0 + 2 * 86400;
    for (int trial = 0; trial < 40; ++trial) {
        const auto from = t0 - 3600 + uni(0, 3 * 86400);
        const auto to = from + uni(1, 2 * 86400);
        store::StatCounts want;
        for (const auto& r : rows) {
            if (r.created_at < from || r.created_at >= to) continue;
            ++want.received;
            want.accepted += r.accepted_at ? 1 : 0;
            want.rejected += r.status == "rejected";
            const bool closed = r.status == "closed";
            want.closed += closed;
            want.closed_on_time += closed && *r.closed_at <= *r.deadline_at;
            want.overdue_open += r.accepted_at && !closed && *r.deadline_at < now;
            want.reworked += r.rework_count > 0;
            want.extended += r.extension_hours > 0;
            want.close_seconds += closed ? *r.closed_at - r.created_at : 0;
            want.rating_sum += r.rating.value_or(0);
            want.rated += r.rating ? 1 : 0;
            want.resolved_ever += (r.resolved_at || r.closed_at || r.rework_count > 0) ? 1 : 0;
        }
        for (auto split : {store::StatSplit::grid, store::StatSplit::category, store::StatSplit::worker}) {
            store::StatCounts got;
            for (const auto& cell : store::closure_counts(conn, from, to, now, split)) got += cell.counts;
            EXPECT_EQ(got, want) << "window [" << from << ", " << to << ") received " << got.received << " vs "
                                 << want.received;
        }
    }

    // A tampered sum is found.
    // A tampered sum is found, in each table.
    for (const char* tamper :
         {"UPDATE stats_hour_grid SET closed = closed + 1 WHERE (hour, grid_key) = "
          "(SELECT hour, grid_key FROM stats_hour_grid LIMIT 1)",
          "UPDATE stats_hour_grid_category SET rated = rated + 1 WHERE (hour, grid_key, category) = "
          "(SELECT hour, grid_key, category FROM stats_hour_grid_category LIMIT 1)",
          "UPDATE stats_hour_grid_worker SET received = received - 1 WHERE (hour, grid_key, worker_key) = "
          "(SELECT hour, grid_key, worker_key FROM stats_hour_grid_worker LIMIT 1)",
          "DELETE FROM stats_week_reporter WHERE (week_key, reporter_id) = "
          "(SELECT week_key, reporter_id FROM stats_week_reporter LIMIT 1)"}) {
        conn.exec("SAVEPOINT tamper");
        conn.exec(tamper);
        EXPECT_FALSE(store::stats_sum_mismatches(conn).empty()) << tamper;
        conn.exec("ROLLBACK TO tamper");
        conn.exec("RELEASE tamper");
        EXPECT_TRUE(store::stats_sum_mismatches(conn).empty());
    }
}

// The rest of the standard's workflow (API.md §4 "Statistics"): checked, refuted, parked,
// self_handled and voided, from the columns and statuses of migration 009, kept by the same
// triggers; parked and voided tickets are never overdue_open, so in neither side of the rates.
// Rows are written directly: the actions that produce them are built on another branch.
TEST(StatsWorkflowBranches, NewFiguresAreCountedAndParkedOrVoidedAreOutOfTheRates) {
    TempDir tmp;
    store::Conn conn(tmp.dir + "/t.db", store::Conn::Mode::read_write);
    store::migrate(conn);
    conn.exec(
        "INSERT INTO users (id, phone, password_hash, display_name, role, created_at) VALUES "
        "(1, '13000000001', 'x', 'r', 'resident', 0), (2, '13000000002', 'x', 'w', 'worker', 0);"
        "INSERT INTO categories (code, name, sla_hours, points_on_accept, points_on_close, created_at) VALUES "
        "('c1', 'C1', 24, 1, 1, 0);"
        "INSERT INTO grids (id, code, name, boundary, auto_assign, area_m2, created_at) "
        "VALUES (1, 'G1', 'G1', '{}', 1, 1, 0);");
    const std::int64_t t0 = 1'790'000'000;
    // One overdue ticket of each open kind: accepted (counts), parked and voided (do not).
    auto add = [&](const char* status, std::int64_t offset) {
        store::ReportRow r;
        r.status = std::string("submitted");
        r.category = std::string("c1");
        r.description = std::string("d");
        r.reporter_id = 1;
        r.grid_id = 1;
        r.created_at = r.updated_at = t0 + offset;
        r.id = store::insert_report(conn, r);
        r.status = std::string(status);
        r.accepted_at = r.created_at;
        r.deadline_at = r.created_at + 3600;
        r.assignee_id = 2;
        if (r.status == "closed") r.resolved_at = r.closed_at = r.created_at;
        store::update_report(conn, r);
        return r.id;
    };
    store::in_transaction(conn, [&] {
        add("accepted", 0);
        const auto parked = add("parked", 10);
        const auto voided = add("voided", 20);
        const auto self_handled = add("closed", 30);
        const auto refuted = add("rejected", 40);
        const auto confirmed = add("accepted", 50);
        const auto checking = add("checking", 60);
        conn.exec("UPDATE reports SET parked_until = " + std::to_string(t0 + 86400) +
                  " WHERE id = " + std::to_string(parked));
        conn.exec("UPDATE reports SET self_handled = 1 WHERE id = " +
                  std::to_string(self_handled));
        conn.exec(
            "UPDATE reports SET check_deadline_at = created_at + 7200, accepted_at = NULL, deadline_at = NULL "
            "WHERE id IN (" +
            std::to_string(refuted) + ", " + std::to_string(checking) + ")");
        conn.exec("UPDATE reports SET check_deadline_at = created_at + 7200, verified = 1 WHERE id = " +
                  std::to_string(confirmed));
        (void)voided;
    });
    EXPECT_TRUE(store::stats_sum_mismatches(conn).empty());
    const auto now = t0 + 86400;
    // Windows of whole hours (the running sums) and of a few seconds (the rows) agree.
    for (auto [from, to] : {std::pair{t0 - t0 % 3600, t0 - t0 % 3600 + 7200}, std::pair{t0, t0 + 61}}) {
        store::StatCounts got;
        for (const auto& cell : store::closure_counts(conn, from, to, now, store::StatSplit::grid)) got += cell.counts;
        EXPECT_EQ(got.received, 7);
        EXPECT_EQ(got.checked, 3);  // refuted, confirmed, still checking
        EXPECT_EQ(got.refuted, 1);
        EXPECT_EQ(got.parked, 1);
        EXPECT_EQ(got.self_handled, 1);
        EXPECT_EQ(got.voided, 1);
        // Overdue and open: the accepted one and the confirmed one; not parked, not voided.
        EXPECT_EQ(got.overdue_open, 2);
        const auto f = stats::figures_of(got);
        EXPECT_EQ(f.due, 3);  // + the closed one
    }
    // A tampered new sum is found.
    conn.exec("UPDATE stats_hour_grid SET voided = voided + 1");
    EXPECT_FALSE(store::stats_sum_mismatches(conn).empty());
}

std::int64_t count_of(store::Conn& conn, const std::string& sql) {
    auto q = conn.query(sql);
    q.next();
    return q.int64(0);
}

// The generator's load mode: triggers and secondary indexes set aside, then the sums rebuilt
// and everything re-created as it was.
TEST(StatsBulkLoad, SetsTriggersAndIndexesAsideAndRestoresThem) {
    TempDir tmp;
    store::Conn conn(tmp.dir + "/t.db", store::Conn::Mode::read_write);
    store::migrate(conn);
    conn.exec(
        "INSERT INTO users (id, phone, password_hash, display_name, role, created_at) VALUES "
        "(1, '13000000001', 'x', 'r', 'resident', 0);"
        "INSERT INTO categories (code, name, sla_hours, points_on_accept, points_on_close, created_at) VALUES "
        "('c1', 'C1', 24, 1, 1, 0);");
    const std::string schema_sql =
        "SELECT group_concat(name || ':' || sql, '|') FROM "
        "(SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name)";
    std::string before;
    {
        auto q = conn.query(schema_sql);
        q.next();
        before = q.text(0);
    }
    store::begin_bulk_load(conn);
    EXPECT_EQ(
        count_of(conn, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'reports_stats_%'"), 0);
    EXPECT_EQ(count_of(conn,
                       "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'reports' "
                       "AND sql IS NOT NULL"),
              0);
    store::begin_bulk_load(conn);  // again (an interrupted run resumed): nothing more to set aside
    store::in_transaction(conn, [&] {
        for (int n = 0; n < 50; ++n) {
            store::ReportRow r;
            r.status = std::string(n % 2 ? "closed" : "accepted");
            r.category = std::string("c1");
            r.description = std::string("description");
            r.reporter_id = 1;
            r.created_at = r.updated_at = 1'790'000'000 + n * 1000;
            r.accepted_at = r.created_at + 60;
            r.deadline_at = r.created_at + 86400;
            if (n % 2) r.closed_at = r.created_at + 3600;
            store::insert_report_with_state(conn, r);
        }
    });
    EXPECT_EQ(count_of(conn, "SELECT count(*) FROM stats_hour_grid"), 0);  // no triggers while loading
    store::finish_bulk_load(conn);
    std::string after;
    {
        auto q = conn.query(schema_sql);
        q.next();
        after = q.text(0);
    }
    EXPECT_EQ(after, before);
    EXPECT_EQ(count_of(conn, "SELECT sum(received) FROM stats_hour_grid"), 50);
    EXPECT_EQ(count_of(conn, "SELECT sum(closed) FROM stats_hour_grid_category"), 25);
    EXPECT_TRUE(store::stats_sum_mismatches(conn).empty());
}

}  // namespace
