// The ledger's rules (API.md §5) on a real migrated SQLite file: daily cap per Asia/Shanghai
// day, once-per-report payment, no overdraft (in code and in the schema), immutability, stars,
// the invariant checker, and a randomized property test of thousands of operations.
// tests/unit/pg/test_pg_ledger.cpp compiles this file again with CIVIC_TEST_ON_POSTGRESQL: the
// same rules on a PostgreSQL database (suites PgLedger, PgLedgerProperty).
#include "common/errors.hpp"
#include "common/time.hpp"
#include "server/domain/ledger.hpp"
#include "server/store/accounts_repo.hpp"
#include "server/store/ledger_repo.hpp"
#include "server/store/migrations.hpp"
#include "server/store/sqlite.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#ifdef CIVIC_TEST_ON_POSTGRESQL
#include "server/store/pg/pg_conn.hpp"
#include "server/store/pg_backend.hpp"
#include "tests/unit/pg/pg_support.hpp"
#define CIVIC_LEDGER PgLedger
#define CIVIC_LEDGER_PROPERTY PgLedgerProperty
#else
#define CIVIC_LEDGER Ledger
#define CIVIC_LEDGER_PROPERTY LedgerProperty
#endif

#include <filesystem>
#include <map>
#include <random>

namespace {

using namespace civic;
namespace ledger = civic::domain::ledger;
using store::Conn;

struct LedgerDb {
#ifdef CIVIC_TEST_ON_POSTGRESQL
    LedgerDb() : pg_db(std::make_unique<test::PgDatabase>(test::pg_cluster())) {
        conn = store::own_postgresql(std::make_unique<store::pg::Conn>(pg_db->conninfo()));
        // One transaction for the whole test, as the daemon's jobs run in one each.
        conn->exec("BEGIN");
    }
    ~LedgerDb() { conn.reset(); }
    std::unique_ptr<test::PgDatabase> pg_db;  // declared first: outlives the connection
#else
    LedgerDb() {
        char tmpl[] = "/tmp/civicsnap-ledger-XXXXXX";
        dir = mkdtemp(tmpl);
        conn = std::make_unique<Conn>(dir + "/test.db", Conn::Mode::read_write);
        store::migrate(*conn);
        // One transaction for the whole test: fsync per statement would make it crawl.
        conn->exec("BEGIN IMMEDIATE");
    }
    ~LedgerDb() {
        conn.reset();
        std::filesystem::remove_all(dir);
    }
#endif
    std::int64_t add_user(const std::string& phone, const std::string& role = "resident") {
        store::UserRow u;
        u.phone = phone;
        u.password_hash = "x";
        u.display_name = "居民" + phone.substr(phone.size() - 2);
        u.role = role;
        return store::insert_user(*conn, u);
    }
    std::string dir;
    std::unique_ptr<Conn> conn;
};

// 2026-11-22 00:00 in Asia/Shanghai.
const std::int64_t kDayStart = timefmt::shanghai_day_start(timefmt::days_from_civil(2026, 11, 22));

TEST(CIVIC_LEDGER, DailyCapFollowsTheShanghaiCalendarDay) {
    LedgerDb db;
    auto& c = *db.conn;
    const auto u = db.add_user("13800000001");
    EXPECT_EQ(ledger::pay_report_points(c, u, 1, "report_accepted", 60, kDayStart + 10, 100), 60);
    EXPECT_EQ(ledger::pay_report_points(c, u, 2, "report_accepted", 60, kDayStart + 20, 100), 40);   // capped
    EXPECT_EQ(ledger::pay_report_points(c, u, 3, "report_closed", 5, kDayStart + 86399, 100), 0);    // 23:59:59
    EXPECT_EQ(ledger::pay_report_points(c, u, 4, "report_closed", 30, kDayStart + 86400, 100), 30);  // next day
    const auto s = ledger::standing(c, u);
    EXPECT_EQ(s.balance, 130);
    EXPECT_EQ(s.lifetime_earned, 130);
    EXPECT_EQ(s.reports_accepted, 2);
    EXPECT_EQ(s.reports_closed, 2);  // merit counts a report even when the cap paid nothing
    // The statement shows what was paid, newest first, with running balances.
    const auto lines = ledger::statement(c, u, INT64_MAX, 10);
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0].amount, 30);
    EXPECT_EQ(lines[0].balance_after, 130);
    EXPECT_EQ(lines[1].amount, 40);
    EXPECT_EQ(lines[1].ref, "report:2");
    EXPECT_EQ(lines[2].balance_after, 60);
    EXPECT_TRUE(ledger::check_invariants(c).empty());
}

TEST(CIVIC_LEDGER, CapIsPerResidentAndZeroCapPaysNothing) {
    LedgerDb db;
    auto& c = *db.conn;
    const auto a = db.add_user("13800000001");
    const auto b = db.add_user("13800000002");
    EXPECT_EQ(ledger::pay_report_points(c, a, 1, "report_accepted", 100, kDayStart, 100), 100);
    EXPECT_EQ(ledger::pay_report_points(c, b, 2, "report_accepted", 100, kDayStart, 100), 100);
    EXPECT_EQ(ledger::pay_report_points(c, a, 3, "report_accepted", 10, kDayStart, 0), 0);
    EXPECT_EQ(ledger::standing(c, a).reports_accepted, 2);
}

TEST(CIVIC_LEDGER, AReportPaysEachRewardOnce) {
    LedgerDb db;
    auto& c = *db.conn;
    const auto u = db.add_user("13800000001");
    EXPECT_EQ(ledger::pay_report_points(c, u, 7, "report_accepted", 5, kDayStart, 100), 5);
    EXPECT_EQ(ledger::pay_report_points(c, u, 7, "report_accepted", 5, kDayStart, 100), 0);
    EXPECT_EQ(ledger::pay_report_points(c, u, 7, "report_closed", 8, kDayStart, 100), 8);
    EXPECT_EQ(ledger::standing(c, u).balance, 13);
    EXPECT_EQ(ledger::standing(c, u).reports_accepted, 1);
    EXPECT_THROW(ledger::pay_report_points(c, u, 8, "donation", 5, kDayStart, 100), std::invalid_argument);
}

#ifndef CIVIC_TEST_ON_POSTGRESQL  // counted in SQLite's own statement steps
// The paid-once check runs on the writer thread at every accept and close: it must be one index
// lookup, not a walk over every earlier payment of its kind (which `kind = ?` alone gave).
// Counted in SQLite's virtual-machine steps, which do not depend on the machine's speed.
TEST(CIVIC_LEDGER, ThePaidOnceCheckDoesNotGrowWithTheLedger) {
    LedgerDb db;
    auto& c = *db.conn;
    const auto u = db.add_user("13800000009");
    for (std::int64_t report = 1; report <= 3000; ++report)
        ledger::pay_report_points(c, u, report, "report_accepted", 1, kDayStart + report, 1'000'000);
    EXPECT_TRUE(store::report_reward_paid(c, "report_accepted", "report:17"));
    sqlite3_stmt* check = nullptr;
    for (auto* s = sqlite3_next_stmt(c.raw(), nullptr); s; s = sqlite3_next_stmt(c.raw(), s))
        if (std::string_view(sqlite3_sql(s)).find("FROM ledger_transfers WHERE kind IN") != std::string_view::npos)
            check = s;
    ASSERT_NE(check, nullptr) << "the check's statement is cached on the connection";
    sqlite3_stmt_status(check, SQLITE_STMTSTATUS_VM_STEP, 1);  // reset
    EXPECT_FALSE(store::report_reward_paid(c, "report_accepted", "report:4000"));
    EXPECT_TRUE(store::report_reward_paid(c, "report_accepted", "report:2999"));
    EXPECT_LT(sqlite3_stmt_status(check, SQLITE_STMTSTATUS_VM_STEP, 0), 100);  // a scan takes > 3,000
}

#endif

TEST(CIVIC_LEDGER, SpendingMoreThanTheBalanceIsInsufficientPoints) {
    LedgerDb db;
    auto& c = *db.conn;
    const auto u = db.add_user("13800000001");
    const auto stranger = db.add_user("13800000002");
    ledger::pay_report_points(c, u, 1, "report_accepted", 20, kDayStart, 100);
    try {
        ledger::spend(c, u, ledger::kRedemptionSink, 21, "redemption", "redemption:1", kDayStart);
        FAIL() << "overdraft accepted";
    } catch (const ApiError& e) {
        EXPECT_EQ(e.code(), "insufficient_points");
    }
    EXPECT_THROW(ledger::donate(c, stranger, ledger::kCharityFund, 1, kDayStart), ApiError);  // no account yet
    auto p = ledger::spend(c, u, ledger::kRedemptionSink, 20, "redemption", "redemption:1", kDayStart);
    EXPECT_EQ(p.balance_after, 0);
    p = ledger::debit_sink(c, ledger::credit_resident(c, u, 20, kDayStart), ledger::kRedemptionSink, "redemption_void",
                           "redemption:1", kDayStart);
    EXPECT_EQ(p.balance_after, 20);
    p = ledger::donate(c, u, ledger::kCharityFund, 5, kDayStart);
    EXPECT_EQ(p.balance_after, 15);
    EXPECT_EQ(ledger::funds(c).at(0).balance, 5);
    try {
        ledger::donate(c, u, "no_such_fund", 5, kDayStart);
        FAIL();
    } catch (const ApiError& e) {
        EXPECT_EQ(e.field(), "fund");
    }
    p = ledger::exchange_for_credit(c, u, 10, "credit", kDayStart);
    EXPECT_EQ(p.balance_after, 5);
    EXPECT_EQ(ledger::standing(c, u).credit_score, 1);
    EXPECT_THROW(ledger::exchange_for_credit(c, u, 5, "credit", kDayStart), std::invalid_argument);
    EXPECT_TRUE(ledger::check_invariants(c).empty());
}

TEST(CIVIC_LEDGER, TheSchemaRefusesNegativeResidentBalancesAndEditedTransfers) {
    LedgerDb db;
    auto& c = *db.conn;
    const auto u = db.add_user("13800000001");
    ledger::pay_report_points(c, u, 1, "report_accepted", 3, kDayStart, 100);
    // Each statement in a savepoint of its own: on PostgreSQL a refused statement leaves the
    // transaction failed, and every later one would be refused for that reason alone.
    auto refused = [&](const std::string& sql) {
        store::Savepoint sp(c);
        try {
            c.exec(sql);
        } catch (const store::DbError& e) {
            return e.constraint();
        }
        return false;
    };
    EXPECT_TRUE(refused("UPDATE ledger_accounts SET balance = -1 WHERE kind = 'resident'"));
    EXPECT_TRUE(refused("UPDATE ledger_accounts SET balance = -1 WHERE kind = 'fund'"));
    EXPECT_TRUE(refused("UPDATE ledger_transfers SET amount = 1000"));
    EXPECT_TRUE(refused("DELETE FROM ledger_transfers"));
    EXPECT_TRUE(
        refused("INSERT INTO ledger_transfers (debit_account, credit_account, amount, kind, ref, "
                "debit_balance_after, credit_balance_after, at) VALUES (1, 2, 0, 'adjustment', 'x', 0, 0, 0)"));
    EXPECT_TRUE(ledger::check_invariants(c).empty()) << "nothing refused was kept";
}

TEST(CIVIC_LEDGER, TheCheckerFindsTampering) {
    LedgerDb db;
    auto& c = *db.conn;
    const auto u = db.add_user("13800000001");
    ledger::pay_report_points(c, u, 1, "report_accepted", 30, kDayStart, 100);
    EXPECT_TRUE(ledger::check_invariants(c).empty());
    c.exec("UPDATE ledger_accounts SET balance = balance + 5 WHERE kind = 'resident'");
    const auto problems = ledger::check_invariants(c);
    ASSERT_EQ(problems.size(), 2u);  // the account disagrees with its transfers; the sum is 5
    EXPECT_NE(problems[0].find("transfers sum to 30"), std::string::npos) << problems[0];
    EXPECT_NE(problems[1].find("sum to 5"), std::string::npos) << problems[1];
}

TEST(CIVIC_LEDGER, StarsAtTheThresholds) {
    const std::vector<std::pair<std::int64_t, int>> cases = {
        {0, 0},   {9, 0},   {10, 1},  {29, 1},   {30, 2},   {60, 3},   {100, 4},   {199, 4},
        {200, 5}, {400, 6}, {700, 7}, {1000, 8}, {1500, 9}, {1999, 9}, {2000, 10}, {1'000'000, 10}};
    for (const auto& [earned, stars] : cases) EXPECT_EQ(ledger::honour_for(earned).stars, stars) << earned;
    EXPECT_EQ(ledger::honour_for(0).next_stars_at, 10);
    EXPECT_EQ(ledger::honour_for(1600).next_stars_at, 2000);
    EXPECT_FALSE(ledger::honour_for(2000).next_stars_at.has_value());
    EXPECT_EQ(ledger::honour_for(2000).title, "十星文明市民");
}

TEST(CIVIC_LEDGER, AdjustmentsBothWays) {
    LedgerDb db;
    auto& c = *db.conn;
    const auto u = db.add_user("13800000001");
    EXPECT_EQ(ledger::adjust(c, u, 50, "compensation", 1, kDayStart).balance_after, 50);
    EXPECT_EQ(ledger::adjust(c, u, -20, "correction", 1, kDayStart).balance_after, 30);
    EXPECT_THROW(ledger::adjust(c, u, -31, "too much", 1, kDayStart), ApiError);
    EXPECT_EQ(ledger::standing(c, u).lifetime_earned, 50);
    EXPECT_TRUE(ledger::check_invariants(c).empty());
}

// Thousands of random operations, each in its own savepoint as the writer runs them; a model
// of every balance is kept alongside. Afterwards the invariants hold, every balance matches the
// model, and every resident's statement replays to its balance.
TEST(CIVIC_LEDGER_PROPERTY, RandomOperationsKeepEveryInvariant) {
    LedgerDb db;
    auto& c = *db.conn;
    std::mt19937_64 rng(20261122);
    auto pick = [&](std::int64_t lo, std::int64_t hi) {
        return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
    };
    std::vector<std::int64_t> users;
    for (int i = 0; i < 8; ++i) users.push_back(db.add_user("1380000000" + std::to_string(i)));
    std::map<std::int64_t, std::int64_t> model;                               // user → balance
    std::map<std::pair<std::int64_t, std::int64_t>, std::int64_t> earned_on;  // (user, day) → paid
    std::vector<std::pair<std::int64_t, std::int64_t>> refundable;            // (user, amount) spent at kiosks
    std::int64_t report = 0, rejected = 0, sink_total = 0;
    constexpr int kOperations = 6000;
    for (int i = 0; i < kOperations; ++i) {
        const auto u = users[static_cast<std::size_t>(pick(0, static_cast<std::int64_t>(users.size()) - 1))];
        const auto now = kDayStart + pick(0, 5 * 86400);
        const auto op = pick(0, 6);
        c.exec("SAVEPOINT op");
        try {
            if (op <= 1) {
                const auto points = pick(0, 40);
                const auto day = timefmt::shanghai_day(now);
                const auto expect = std::min(points, 100 - earned_on[{u, day}]);
                const auto paid = ledger::pay_report_points(
                    c, u, ++report, op == 0 ? "report_accepted" : "report_closed", points, now, 100);
                ASSERT_EQ(paid, expect);
                earned_on[{u, day}] += paid;
                model[u] += paid;
            } else if (op == 2) {
                const auto amount = pick(1, 60);
                const auto p = ledger::spend(c, u, ledger::kRedemptionSink, amount, "redemption", "r", now);
                model[u] -= amount;
                ASSERT_EQ(p.balance_after, model[u]);
                refundable.emplace_back(u, amount);
                sink_total += amount;
            } else if (op == 3 && !refundable.empty()) {
                const auto k = static_cast<std::size_t>(pick(0, static_cast<std::int64_t>(refundable.size()) - 1));
                const auto [who, amount] = refundable[k];
                refundable.erase(refundable.begin() + static_cast<std::ptrdiff_t>(k));
                ledger::debit_sink(c, ledger::credit_resident(c, who, amount, now), ledger::kRedemptionSink,
                                   "redemption_void", "r", now);
                model[who] += amount;
                sink_total -= amount;
            } else if (op == 4) {
                const auto amount = pick(1, 30);
                ledger::donate(c, u, ledger::kCharityFund, amount, now);
                model[u] -= amount;
            } else if (op == 5) {
                const auto amount = 10 * pick(1, 5);
                ledger::exchange_for_credit(c, u, amount, "credit", now);
                model[u] -= amount;
            } else {
                const auto amount = pick(-30, 30);
                if (amount != 0) {
                    ledger::adjust(c, u, amount, "random", 1, now);
                    model[u] += amount;
                }
            }
            c.exec("RELEASE op");
        } catch (const ApiError& e) {
            c.exec("ROLLBACK TO op; RELEASE op");
            ASSERT_EQ(e.code(), "insufficient_points");
            ++rejected;
        }
    }
    EXPECT_GT(rejected, 100);  // the test did push against empty balances
    const auto problems = ledger::check_invariants(c);
    EXPECT_TRUE(problems.empty()) << problems.front();
    for (const auto u : users) {
        const auto s = ledger::standing(c, u);
        EXPECT_EQ(s.balance, model[u]) << "user " << u;
        EXPECT_GE(s.balance, 0);
        // Recompute from the statement: signed amounts sum to the balance, and balance_after runs.
        const auto lines = ledger::statement(c, u, INT64_MAX, 1'000'000);
        std::int64_t running = 0;
        for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
            running += it->amount;
            ASSERT_EQ(it->balance_after, running);
        }
        EXPECT_EQ(running, s.balance);
    }
    std::int64_t sink = 0;
    {
        auto q = c.query("SELECT balance FROM ledger_accounts WHERE kind = 'sink' AND code = 'redemption'");
        ASSERT_TRUE(q.next());
        sink = q.int64(0);
    }
    EXPECT_EQ(sink, sink_total);
}

}  // namespace
