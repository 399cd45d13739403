// The PostgreSQL migrator: applies schema/postgresql/*.sql once, under an advisory lock, and
// refuses databases it does not understand.
#include "server/store/pg/pg_migrate.hpp"
#include "server/store/pg_backend.hpp"
#include "server/store/reports_repo.hpp"
#include "server/store/sqlite.hpp"
#include "tests/support/one_open_report.hpp"
#include "tests/unit/pg/pg_support.hpp"

#include <algorithm>
#include <latch>
#include <string_view>
#include <thread>

using namespace civic::store::pg;
using civic::test::PgEmptyTest;
using civic::test::scalar;

class PgMigrate : public PgEmptyTest {};

// Applies the migrations named before `first_skipped`, as an older binary would have left the
// database; returns how many the current binary still has to apply.
int migrate_before(Conn& c, std::string_view first_skipped) {
    const auto& all = migrations();
    const auto first =
        std::find_if(all.begin(), all.end(), [&](const Migration& m) { return m.name >= first_skipped; });
    migrate(c, std::vector<Migration>(all.begin(), first));
    return static_cast<int>(all.end() - first);
}

TEST_F(PgMigrate, MigrationsApplyOnAFreshDatabaseAndTwiceIsANoOp) {
    auto c = connect();
    EXPECT_EQ(schema_version(*c), 0);
    const auto known = static_cast<int>(migrations().size());
    ASSERT_GE(known, 7);
    const auto first = migrate(*c);
    EXPECT_EQ(first.applied, known);
    EXPECT_EQ(first.version, known);
    EXPECT_EQ(schema_version(*c), known);
    EXPECT_EQ(scalar(*c, "SELECT count(*) FROM schema_migrations"), known);
    EXPECT_EQ(scalar(*c, "SELECT count(*) FROM ledger_accounts"), 5);  // 004's seed rows
    EXPECT_EQ(scalar(*c, "SELECT count(*) FROM epochs"), 3);           // auth, open_reports (007), categories (012)

    const auto second = migrate(*c);
    EXPECT_EQ(second.applied, 0);
    EXPECT_EQ(second.version, known);
    EXPECT_EQ(scalar(*c, "SELECT count(*) FROM schema_migrations"), known);
    EXPECT_EQ(scalar(*c, "SELECT count(*) FROM ledger_accounts"), 5);
    // The lock is given back and lock_timeout restored (5000 ms, from Conn::Options).
    EXPECT_EQ(scalar(*c, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"), 0);
    auto q = c->query("SELECT current_setting('lock_timeout')");
    q.next();
    EXPECT_EQ(q.text(0), "5s");
}

TEST_F(PgMigrate, NodesStartingAtOnceMigrateOnce) {
    constexpr int kNodes = 4;
    std::vector<std::unique_ptr<Conn>> conns;
    for (int i = 0; i < kNodes; ++i) conns.push_back(connect());
    std::latch go(kNodes);
    std::vector<MigrateResult> results(kNodes);
    std::vector<std::string> errors(kNodes);
    std::vector<std::thread> threads;
    for (int i = 0; i < kNodes; ++i) {
        threads.emplace_back([&, i] {
            go.arrive_and_wait();
            try {
                results[static_cast<std::size_t>(i)] = migrate(*conns[static_cast<std::size_t>(i)]);
            } catch (const std::exception& e) {
                errors[static_cast<std::size_t>(i)] = e.what();
            }
        });
    }
    for (auto& t : threads) t.join();
    const auto known = static_cast<int>(migrations().size());
    int applied = 0;
    for (int i = 0; i < kNodes; ++i) {
        EXPECT_EQ(errors[static_cast<std::size_t>(i)], "") << "node " << i;
        EXPECT_EQ(results[static_cast<std::size_t>(i)].version, known);
        applied += results[static_cast<std::size_t>(i)].applied;
    }
    EXPECT_EQ(applied, known) << "every migration applied by exactly one node";
    EXPECT_EQ(scalar(*conns[0], "SELECT count(*) FROM schema_migrations"), known);
    EXPECT_EQ(scalar(*conns[0], "SELECT count(*) FROM ledger_accounts"), 5);
}

TEST_F(PgMigrate, RefusesADatabaseNewerThanTheBinary) {
    auto c = connect();
    migrate(*c);
    const auto known = static_cast<int>(migrations().size());
    c->query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, 0)")
        .args(known + 1, "999_from_the_future.sql")
        .run();
    try {
        migrate(*c);
        FAIL() << "migrated a newer database";
    } catch (const PgError& e) {
        EXPECT_NE(std::string(e.what()).find("newer than this binary"), std::string::npos) << e.what();
    }
    // Nothing held afterwards: the refusal released the advisory lock.
    EXPECT_EQ(scalar(*c, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"), 0);
}

TEST_F(PgMigrate, RefusesAnotherLineage) {
    auto c = connect();
    std::vector<Migration> mine = {{"001_a.sql", "CREATE TABLE a (x BIGINT)"},
                                   {"002_b.sql", "CREATE TABLE b (x BIGINT)"}};
    EXPECT_EQ(migrate(*c, mine).applied, 2);
    std::vector<Migration> theirs = {{"001_a.sql", "CREATE TABLE a (x BIGINT)"},
                                     {"002_c.sql", "CREATE TABLE c (x BIGINT)"},
                                     {"003_d.sql", "CREATE TABLE d (x BIGINT)"}};
    EXPECT_THROW(migrate(*c, theirs), PgError);
    // A newer binary of the same lineage goes on from where it stopped.
    mine.push_back({"003_e.sql", "CREATE TABLE e (x BIGINT)"});
    const auto r = migrate(*c, mine);
    EXPECT_EQ(r.applied, 1);
    EXPECT_EQ(r.version, 3);
}

TEST_F(PgMigrate, AFailedMigrationLeavesNothingBehind) {
    auto c = connect();
    std::vector<Migration> all = {{"001_ok.sql", "CREATE TABLE ok (x BIGINT)"},
                                  {"002_bad.sql", "CREATE TABLE half (x BIGINT); SELECT no_such_function()"}};
    EXPECT_THROW(migrate(*c, all), PgError);
    EXPECT_EQ(schema_version(*c), 1);
    EXPECT_EQ(scalar(*c, "SELECT count(*) FROM pg_tables WHERE tablename = 'half'"), 0);
    // The failure gave the lock back and restored lock_timeout too.
    EXPECT_EQ(scalar(*c, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"), 0);
    {
        auto q = c->query("SELECT current_setting('lock_timeout')");
        q.next();
        EXPECT_EQ(q.text(0), "5s");
    }
    all[1].sql = "CREATE TABLE half (x BIGINT)";
    EXPECT_EQ(migrate(*c, all).applied, 1);
}

TEST(PgServerVersion, RefusesOlderThan15) {
    EXPECT_THROW(check_server_version(140010), PgError);
    EXPECT_THROW(check_server_version(90624), PgError);
    EXPECT_NO_THROW(check_server_version(150000));
    EXPECT_NO_THROW(check_server_version(160002));
    try {
        check_server_version(140010);
    } catch (const PgError& e) {
        EXPECT_NE(std::string(e.what()).find("older than 15"), std::string::npos) << e.what();
    }
}

TEST_F(PgMigrate, TheServerHereIsNewEnough) {
    auto c = connect();
    EXPECT_GE(c->server_version(), kMinServerVersion);
}

// 022 converts the open reports' points, kept in seconds since 016, to the units the store
// searches in (store::open_point_time), so a city migrated here finds its open reports as before.
TEST_F(PgMigrate, OpenReportPointsMoveToTheStoresTimeUnits) {
    auto c = connect();
    const auto later = migrate_before(*c, "022");
    ASSERT_GT(later, 0);
    constexpr std::int64_t kCreated = 1'767'225'600;  // 2026-01-01
    c->exec(civic::test::one_open_report_sql(5, kCreated) +
            "INSERT INTO open_report_points (id, min_lon, max_lon, min_lat, max_lat, min_created, max_created) "
            "VALUES (5, 103.3, 103.3, 23.3, 23.3, " +
            std::to_string(kCreated) + ", " + std::to_string(kCreated) + ")");
    EXPECT_EQ(migrate(*c).applied, later);
    auto q = c->query("SELECT min_created, max_created FROM open_report_points WHERE id = 5");
    ASSERT_TRUE(q.next());
    EXPECT_EQ(q.real(0), civic::store::open_point_time(kCreated));  // the same IEEE division
    EXPECT_EQ(q.real(1), civic::store::open_point_time(kCreated));
}

// 023 gives each point its report's category, exact time and place, and the category's key,
// hashed in SQL as store::category_point_key hashes it (the SQLite twin is tested alongside).
TEST_F(PgMigrate, OpenReportPointsCarryTheirCategoryUnderTheStoresKey) {
    auto c = connect();
    const auto later = migrate_before(*c, "023");
    ASSERT_GT(later, 0);
    constexpr std::int64_t kCreated = 1'767'225'600;
    const auto t = civic::store::open_point_time(kCreated);
    c->exec(civic::test::one_open_report_sql(5, kCreated) + civic::test::open_point_sql(5, t) +
            civic::test::varied_category_reports_sql(kCreated, t));
    EXPECT_EQ(migrate(*c).applied, later);

    const auto store = civic::store::own_postgresql(connect());
    EXPECT_EQ(civic::store::open_point_mismatches(*store), std::vector<std::string>{});
    const auto& codes = civic::test::varied_category_codes();
    for (std::size_t i = 0; i < codes.size(); ++i) {
        const auto found =
            civic::store::open_reports_in_box(*store, codes[i], 103.29, 23.29, 103.31, 23.31, kCreated, kCreated);
        ASSERT_EQ(found.size(), 1u) << codes[i];
        EXPECT_EQ(found[0].id, static_cast<std::int64_t>(100 + i));
    }
    EXPECT_EQ(scalar(*c, "SELECT count(*) FROM open_report_points WHERE id = 100 AND category = 'a' AND lon = 103.3"),
              1);
    c->exec("DELETE FROM open_report_points WHERE id = 102");  // an open report nobody can find now
    EXPECT_EQ(civic::store::open_point_mismatches(*store),
              std::vector<std::string>{"open_report_points: open report 102 has no point"});
}
