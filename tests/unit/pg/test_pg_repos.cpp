// The repositories (server/store/*_repo.cpp) run unchanged on both engines: every test here runs
// once on SQLite (in memory, migrated by store::migrate) and once on PostgreSQL (a fresh database
// copied from the run's migrated template), through the same store::Conn front.
#include "server/store/accounts_repo.hpp"
#include "server/store/city_repo.hpp"
#include "server/store/exchange_repo.hpp"
#include "server/store/idempotency_repo.hpp"
#include "server/store/kiosk_repo.hpp"
#include "server/store/ledger_repo.hpp"
#include "server/store/migrations.hpp"
#include "server/store/open311_repo.hpp"
#include "server/store/pg_backend.hpp"
#include "server/store/pg_jobs.hpp"
#include "server/store/rate_limit_repo.hpp"
#include "server/store/redemption_repo.hpp"
#include "server/store/reports_repo.hpp"
#include "server/store/sqlite.hpp"
#include "server/store/stats_repo.hpp"
#include "server/store/stock_repo.hpp"
#include "server/store/worker_loads_repo.hpp"
#include "tests/unit/pg/pg_support.hpp"

#include <chrono>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace store = civic::store;
namespace pg = civic::store::pg;
using store::Engine;

namespace {

constexpr std::int64_t kNow = 1'750'000'000;  // a fixed instant; nothing here reads the clock

class Repos : public ::testing::TestWithParam<Engine> {
protected:
    void SetUp() override {
        if (GetParam() == Engine::sqlite) {
            conn_ = std::make_unique<store::Conn>(":memory:", store::Conn::Mode::read_write);
            store::migrate(*conn_);
        } else {
            db_ = std::make_unique<civic::test::PgDatabase>(civic::test::pg_cluster());
            conn_ = store::own_postgresql(std::make_unique<pg::Conn>(db_->conninfo()));
        }
    }
    store::Conn& c() { return *conn_; }

    std::int64_t user(const std::string& phone, const std::string& role = "resident") {
        return store::insert_user(c(), store::UserRow{0, phone, "hash", "name " + phone, role, kNow, {}});
    }
    std::int64_t grid(const std::string& code, store::Box box) {
        return store::insert_grid(c(), store::GridRow{0, code, "Grid " + code, "{}", true, 2.5, {}, {}}, box, kNow);
    }
    std::int64_t report(std::int64_t reporter, std::optional<std::int64_t> grid_id, std::int64_t created_at) {
        store::ReportRow r;
        r.status = "submitted";
        r.category = "road";
        r.description = "pothole";
        r.lat = 31.2;
        r.lon = 121.5;
        r.grid_id = grid_id;
        r.reporter_id = reporter;
        r.created_at = created_at;
        r.updated_at = created_at;
        return store::insert_report(c(), r);
    }
    void category() { store::insert_category(c(), store::CategoryRow{"road", "Road", 24, 5, 10}, kNow); }

private:
    std::unique_ptr<civic::test::PgDatabase> db_;  // declared first: outlives the connection
    std::unique_ptr<store::Conn> conn_;
};

}  // namespace

namespace civic::store {
// Test names and failure messages say the engine, not its bytes.
void PrintTo(Engine engine, std::ostream* out) { *out << (engine == Engine::sqlite ? "sqlite" : "postgresql"); }
}  // namespace civic::store

namespace {

std::string engine_name(const ::testing::TestParamInfo<Engine>& info) {
    return info.param == Engine::sqlite ? "sqlite" : "postgresql";
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(BothEngines, Repos, ::testing::Values(Engine::sqlite, Engine::postgresql), engine_name);

TEST_P(Repos, ReportsItsEngine) { EXPECT_EQ(c().engine(), GetParam()); }

TEST_P(Repos, UsersSessionsAndLockouts) {
    const auto a = user("13800000001");
    const auto b = user("13800000002", "worker");
    EXPECT_EQ(b, a + 1);  // ids from RETURNING id, in order on both engines
    try {
        user("13800000001");
        ADD_FAILURE() << "a taken phone was accepted";
    } catch (const store::DbError& e) {
        EXPECT_TRUE(e.constraint_unique()) << e.what();
        EXPECT_TRUE(e.constraint());
    }
    const auto g = grid("g1", {121.0, 31.0, 122.0, 32.0});
    store::insert_user_grid(c(), b, g);
    store::insert_user_grid(c(), b, g);  // a second time: nothing, no error
    const auto found = store::find_user_by_phone(c(), "13800000002");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->id, b);
    EXPECT_EQ(found->role, "worker");
    EXPECT_EQ(found->grid_ids, std::vector<std::int64_t>{g});
    EXPECT_FALSE(store::find_user(c(), 999));
    EXPECT_TRUE(store::any_user_with_role(c(), "worker"));
    EXPECT_FALSE(store::any_user_with_role(c(), "admin"));
    EXPECT_EQ(store::first_user_with_role(c(), "resident"), a);
    EXPECT_EQ(store::count_users(c()), 2);

    const std::string token("\x00\xff\x01token", 8);  // a hash: any bytes
    store::insert_session(c(), token, a, kNow, kNow + 60);
    EXPECT_EQ(store::find_session_user(c(), token, kNow)->user.id, a);
    EXPECT_FALSE(store::find_session_user(c(), token, kNow + 60));  // expired
    store::delete_session(c(), token);
    EXPECT_FALSE(store::find_session_user(c(), token, kNow));

    store::save_lockout(c(), "13800000001", {1, kNow, 0});
    store::save_lockout(c(), "13800000001", {2, kNow, kNow + 900});  // the upsert replaces
    const auto lockout = store::find_lockout(c(), "13800000001");
    ASSERT_TRUE(lockout);
    EXPECT_EQ(lockout->failures, 2);
    EXPECT_EQ(lockout->locked_until, kNow + 900);
    store::delete_lockout(c(), "13800000001");
    EXPECT_FALSE(store::find_lockout(c(), "13800000001"));
}

TEST_P(Repos, GridsCategoriesKiosksRewards) {
    const auto g1 = grid("g1", {121.0, 31.0, 121.5, 31.5});
    const auto g2 = grid("g2", {121.4, 31.4, 122.0, 32.0});
    EXPECT_EQ(store::list_grids(c()).size(), 2u);
    EXPECT_EQ(store::find_grid_id_by_code(c(), "g2"), g2);
    EXPECT_EQ(store::find_grid(c(), g1)->area_m2, 2.5);
    EXPECT_EQ(store::existing_grid_ids(c(), {g1, 999, g2}), (std::vector<std::int64_t>{g1, g2}));
    const auto both = store::grids_with_box_containing(c(), 121.45, 31.45);
    EXPECT_EQ(both.size(), 2u);
    const auto one = store::grids_with_box_containing(c(), 121.1, 31.1);
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(one[0].id, g1);
    EXPECT_TRUE(store::grids_with_box_containing(c(), 100.0, 10.0).empty());

    category();
    EXPECT_EQ(store::find_category(c(), "road")->sla_hours, 24);
    EXPECT_EQ(store::list_categories(c()).size(), 1u);

    const std::string secret("\x00secret\xfe", 8);
    const auto kiosk = store::insert_kiosk(c(), "K1", "Shop", "kid-1", secret, kNow);
    const auto k = store::find_kiosk_by_key(c(), "kid-1");
    ASSERT_TRUE(k);
    EXPECT_EQ(k->id, kiosk);
    EXPECT_EQ(store::first_kiosk(c())->id, kiosk);
    // Deferred: the verdict arrives with the next statement (or the commit) on PostgreSQL.
    int replays = 0;
    const auto remember = [&] {
        store::in_transaction(c(), [&] { store::remember_signature(c(), kiosk, "sig", kNow, [&] { ++replays; }); });
    };
    remember();
    EXPECT_EQ(replays, 0);
    remember();
    EXPECT_EQ(replays, 1);  // a replay
    store::forget_signatures_before(c(), kNow + 1);
    remember();
    EXPECT_EQ(replays, 1);

    store::insert_reward(c(), store::RewardRow{"soap", "Soap", 10, 3, "goods"}, kNow);
    store::insert_reward(c(), store::RewardRow{"medal", "Medal", 50, 1, "honour"}, kNow);
    EXPECT_EQ(store::list_rewards(c(), std::nullopt).size(), 2u);  // a NULL text parameter
    const auto honour = store::list_rewards(c(), std::string_view("honour"));
    ASSERT_EQ(honour.size(), 1u);
    EXPECT_EQ(honour[0].sku, "medal");
    struct Short {};
    const auto take = [&](std::int64_t qty) {
        store::in_transaction(c(), [&] { store::take_stock(c(), "soap", qty, [] { throw Short{}; }); });
    };
    take(3);
    // Taken since it was read: SQLite's writer calls the caller's check; on PostgreSQL the
    // statement fails as a serialization failure (its job would run again).
    if (GetParam() == Engine::sqlite) {
        EXPECT_THROW(take(1), Short);
    } else {
        try {
            take(1);
            FAIL() << "a stock taken below zero";
        } catch (const store::DbError& e) {
            EXPECT_TRUE(e.retryable()) << e.what();
            EXPECT_EQ(e.engine_code(), "40001");
        }
    }
    EXPECT_EQ(store::find_reward(c(), "soap")->stock, 0);
    store::return_stock(c(), "soap", 2);
    EXPECT_EQ(store::find_reward(c(), "soap")->stock, 2);
}

TEST_P(Repos, ReportsEventsPhotosAndTheirIndexes) {
    category();
    const auto resident = user("13800000001");
    const auto worker = user("13800000002", "worker");
    const auto g = grid("g1", {121.0, 31.0, 122.0, 32.0});
    store::insert_user_grid(c(), worker, g);
    const auto r1 = report(resident, g, kNow);
    const auto r2 = report(resident, std::nullopt, kNow + 10);

    auto row = *store::find_report(c(), r1);
    EXPECT_EQ(row.status, "submitted");
    EXPECT_FALSE(row.address);
    row.status = "assigned";
    row.assignee_id = worker;
    row.accepted_at = kNow + 5;
    row.deadline_at = kNow + 100;
    row.updated_at = kNow + 5;
    store::update_report(c(), row);
    EXPECT_EQ(store::find_report(c(), r1)->assignee_id, worker);
    EXPECT_EQ(store::lock_grid_worker_loads(c(), g), (std::vector<store::WorkerLoad>{{worker, 1}}));
    EXPECT_TRUE(store::user_in_grid(c(), worker, g));

    store::insert_event(c(), r1, {kNow, resident, "submit", std::nullopt, "submitted", std::nullopt});
    const auto e2 = store::insert_event(c(), r1, {kNow + 5, worker, "assign", "submitted", "assigned", "note"});
    const auto events = store::list_events(c(), r1);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[1].note, "note");
    EXPECT_FALSE(events[0].from_status);
    EXPECT_GT(e2, 0);

    const store::PhotoBlobRow blob{"ab12", "jpeg", 640, 480, 1234, -42};
    store::upsert_photo_blob(c(), blob);
    store::upsert_photo_blob(c(), blob);  // the same content again: kept once
    const auto p = store::insert_photo(c(), r1, "report", "ab12", kNow);
    const auto photos = store::list_photos(c(), r1);
    ASSERT_EQ(photos.size(), 1u);
    EXPECT_EQ(photos[0].id, p);
    EXPECT_EQ(photos[0].blob.dhash, -42);
    EXPECT_EQ(store::find_photo(c(), p)->blob.width, 640);
    EXPECT_EQ(store::reports_with_photo(c(), "ab12", r2 + 1, 10), std::vector<std::int64_t>{r1});

    store::index_open_report(c(), *store::find_report(c(), r1));
    const auto near = store::open_reports_in_box(c(), "road", 121.4, 31.1, 121.6, 31.3, 0, kNow + 100);
    ASSERT_EQ(near.size(), 1u);
    EXPECT_EQ(near[0].id, r1);
    EXPECT_EQ(near[0].lon, 121.5);
    EXPECT_TRUE(store::open_reports_in_box(c(), "lamp", 121.4, 31.1, 121.6, 31.3, 0, kNow + 100).empty());
    store::recategorise_open_report(c(), r1, "lamp");
    EXPECT_TRUE(store::open_reports_in_box(c(), "road", 121.4, 31.1, 121.6, 31.3, 0, kNow + 100).empty());
    EXPECT_EQ(store::open_reports_in_box(c(), "lamp", 121.4, 31.1, 121.6, 31.3, 0, kNow + 100).size(), 1u);
    store::unindex_open_report(c(), r1);
    EXPECT_TRUE(store::open_reports_in_box(c(), "road", 121.4, 31.1, 121.6, 31.3, 0, kNow + 100).empty());

    store::insert_hash_band(c(), 7, r1, -42);
    store::insert_hash_band(c(), 7, r1, -42);
    const auto candidates = store::hash_band_candidates(c(), 7, r2, 10);
    ASSERT_EQ(candidates.size(), 1u);
    EXPECT_EQ(candidates[0].dhash, -42);
    store::insert_photo_reuse(c(), r2, r1);
    store::insert_photo_reuse(c(), r2, r1);
    EXPECT_EQ(store::list_photo_reuse(c(), r2), std::vector<std::int64_t>{r1});

    store::ReportFilter all;
    EXPECT_EQ(store::list_reports(c(), all).size(), 2u);
    store::ReportFilter scoped;
    scoped.manager_id = worker;  // the grids this user belongs to
    scoped.status = "assigned";
    scoped.category = "road";
    scoped.grid_id = g;
    scoped.overdue_at = kNow + 101;
    scoped.before_id = r2 + 1;
    scoped.limit = 5;
    const auto listed = store::list_reports(c(), scoped);
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].id, r1);
    store::ReportFilter mine;
    mine.reporter_id = resident;
    mine.before_id = r2;
    EXPECT_EQ(store::list_reports(c(), mine).size(), 1u);

    store::OverdueFilter overdue;
    overdue.now = kNow + 101;
    overdue.manager_id = worker;
    overdue.created_in = std::pair<std::int64_t, std::int64_t>{kNow, kNow + 1};
    EXPECT_EQ(store::list_overdue(c(), overdue).size(), 1u);
    overdue.after = std::pair<std::int64_t, std::int64_t>{kNow + 100, r1};
    EXPECT_TRUE(store::list_overdue(c(), overdue).empty());
}

TEST_P(Repos, LedgerTransfersStandingAndDailyCap) {
    const auto resident = user("13800000001");
    const auto account = store::insert_resident_account(c(), resident, kNow);
    EXPECT_EQ(store::find_resident_account(c(), resident)->id, account);
    const auto city = store::find_named_account(c(), "issuance", "city");
    ASSERT_TRUE(city);
    EXPECT_EQ(store::list_accounts(c(), std::string_view("resident")).size(), 1u);
    EXPECT_EQ(store::list_accounts(c(), std::nullopt).size(), 6u);

    const auto debit_after = store::add_to_balance(c(), city->id, -5);
    const auto credit_after = store::add_to_balance(c(), account, 5);
    EXPECT_EQ(credit_after, 5);
    const auto t = store::insert_transfer(c(), store::TransferRow{0, city->id, account, 5, "report_accepted", "r:1",
                                                                  std::nullopt, debit_after, credit_after, kNow});
    EXPECT_TRUE(store::report_reward_paid(c(), "report_accepted", "r:1"));
    EXPECT_FALSE(store::report_reward_paid(c(), "report_closed", "r:1"));
    const auto statement = store::account_transfers(c(), account, t + 1, 10);
    ASSERT_EQ(statement.size(), 1u);
    EXPECT_EQ(statement[0].credit_balance_after, 5);
    int seen = 0;
    store::for_each_transfer(c(), [&](const store::TransferRow&) { ++seen; });
    EXPECT_EQ(seen, 1);
    try {
        store::add_to_balance(c(), account, -6);  // below zero: the CHECK refuses
        ADD_FAILURE() << "a negative balance was accepted";
    } catch (const store::DbError& e) {
        EXPECT_TRUE(e.constraint()) << e.what();
        EXPECT_FALSE(e.constraint_unique());
    }

    store::add_to_standing(c(), resident, {5, 1, 0, 2});
    store::add_to_standing(c(), resident, {10, 0, 1, 1});
    const auto standing = store::find_standing(c(), resident);
    EXPECT_EQ(standing.lifetime_earned, 15);
    EXPECT_EQ(standing.reports_closed, 1);
    EXPECT_EQ(standing.credit_score, 3);

    const auto day = kNow / 86400;
    EXPECT_EQ(store::daily_earned(c(), resident, day), 0);
    store::add_daily_earned(c(), resident, day, 5);
    store::add_daily_earned(c(), resident, day, 7);
    EXPECT_EQ(store::daily_earned(c(), resident, day), 12);
}

TEST_P(Repos, HonourRollAndRedemptions) {
    const auto a = user("13800000001");
    const auto b = user("13800000002");
    store::insert_reward(c(), store::RewardRow{"medal", "Medal", 5, 10, "honour"}, kNow);
    const auto city = store::find_named_account(c(), "issuance", "city")->id;
    const auto sink = store::find_named_account(c(), "sink", "honour_exchange")->id;
    int n = 0;
    for (const auto who : {a, b, a}) {
        ++n;
        const auto account = store::find_resident_account(c(), who) ? store::find_resident_account(c(), who)->id
                                                                    : store::insert_resident_account(c(), who, kNow);
        const auto t1 =
            store::insert_transfer(c(), store::TransferRow{0, city, account, 5, "report_accepted",
                                                           "r" + std::to_string(n), std::nullopt, 0, 0, kNow});
        const auto t2 = store::insert_transfer(
            c(), store::TransferRow{0, account, sink, 5, "honour_exchange", "x", std::nullopt, 0, 0, kNow});
        EXPECT_GT(t2, t1);
        store::insert_exchange(c(), who, "honour", std::string_view("medal"), 5, t2, kNow);
    }
    store::add_to_standing(c(), a, {20, 0, 0, 0});
    const auto roll = store::honour_holders(c(), 1'000'000, 10);
    ASSERT_EQ(roll.size(), 2u);
    EXPECT_EQ(roll[0].user_id, a);  // a's latest exchange is the newest
    EXPECT_EQ(roll[0].lifetime_earned, 20);
    EXPECT_EQ(roll[1].lifetime_earned, 0);  // no standing row: 0
    EXPECT_EQ(store::honour_holders(c(), roll[0].latest_exchange_id, 10).size(), 1u);
    EXPECT_EQ(store::honour_awards(c(), a, 10).size(), 2u);

    const std::string token("tok\x00en", 6);
    store::insert_redeem_token(c(), token, a, kNow, kNow + 60);
    EXPECT_FALSE(store::find_redeem_token(c(), token)->used_at);
    const auto without_account = user("13800000003");
    store::insert_redeem_token(c(), "no account", without_account, kNow, kNow + 60);
    const auto account_of_a = store::find_resident_account(c(), a);
    ASSERT_TRUE(account_of_a);
    // The code's use, then its holder's balance locked, sent together (one round trip on PostgreSQL).
    store::in_transaction(c(), [&] {
        auto used = store::send_use_redeem_token(c(), token, kNow + 1);
        auto locked = store::send_lock_balance_of_code_just_used(c(), token, kNow + 1);
        EXPECT_EQ(used.get(), std::optional<std::int64_t>(a));  // its holder
        const auto balance = locked.get();
        ASSERT_TRUE(balance);
        EXPECT_EQ(balance->id, account_of_a->id);
        EXPECT_EQ(balance->balance, account_of_a->balance);
        EXPECT_FALSE(store::send_lock_balance_of_code_just_used(c(), "no account", kNow + 1).get()) << "not used";
        EXPECT_EQ(store::send_use_redeem_token(c(), "no account", kNow + 1).get(), std::optional(without_account));
        EXPECT_FALSE(store::send_lock_balance_of_code_just_used(c(), "no account", kNow + 1).get()) << "no account";
    });
    store::in_transaction(c(), [&] {
        EXPECT_FALSE(store::send_use_redeem_token(c(), token, kNow + 2).get().has_value()) << "once only";
        EXPECT_FALSE(store::send_lock_balance_of_code_just_used(c(), token, kNow + 2).get()) << "used before now";
    });
    EXPECT_EQ(store::find_redeem_token(c(), token)->used_at, kNow + 1);
    store::delete_redeem_tokens_expired_before(c(), kNow + 61);
    EXPECT_FALSE(store::find_redeem_token(c(), token));

    const auto kiosk = store::insert_kiosk(c(), "K1", "Shop", "kid-1", "secret", kNow);
    store::insert_reward(c(), store::RewardRow{"soap", "Soap", 5, 10, "goods"}, kNow);
    store::insert_reward(c(), store::RewardRow{"tea", "Tea", 5, 10, "goods"}, kNow);
    store::RedemptionRow r{0, kiosk, a, 15, kNow, std::nullopt, {{"soap", "Soap", 1, 5}, {"tea", "Tea", 2, 5}}};
    std::int64_t id = 0;
    const auto insert = [&] {
        store::in_transaction(c(), [&] {  // the row and its lines are deferred: inside a transaction
            r.id = store::send_next_redemption_id(c()).get();
            store::insert_redemption(c(), r);
            store::insert_redemption_lines(c(), r.id, r.lines);
        });
        return r.id;
    };
    id = insert();
    EXPECT_GT(insert(), id) << "each redemption its own id";
    const auto back = store::find_redemption(c(), id);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->lines.size(), 2u);
    EXPECT_FALSE(back->voided_at);
    store::mark_redemption_voided(c(), id, kNow + 5);
    store::mark_redemption_voided(c(), id, kNow + 9);  // already voided: kept
    EXPECT_EQ(store::find_redemption(c(), id)->voided_at, kNow + 5);
}

TEST_P(Repos, IdempotencyKeysAreReplaced) {
    const std::string body("{\"a\":1}\x00", 8);
    // Claimed, then answered, in one transaction (the answer is deferred): true when the key was
    // free or its answer older than `not_before`.
    const auto claim_and_save = [&](const store::StoredResponse& r, std::int64_t now, std::int64_t not_before) {
        bool claimed = false;
        store::in_transaction(c(), [&] {
            claimed = store::claim_idempotent(c(), "user:1", "k1", r.fingerprint, now, not_before);
            if (claimed) store::save_idempotent(c(), "user:1", "k1", r, now);
        });
        return claimed;
    };
    EXPECT_TRUE(claim_and_save({"fp1", 201, "application/json", body}, kNow, kNow - 10));
    auto found = store::find_idempotent(c(), "user:1", "k1", kNow);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->status, 201);
    EXPECT_EQ(found->body, body);
    EXPECT_FALSE(store::find_idempotent(c(), "user:1", "k1", kNow + 1));                  // older than allowed
    EXPECT_FALSE(claim_and_save({"fp2", 200, "text/plain", "x"}, kNow + 50, kNow - 10));  // live: not claimed
    EXPECT_EQ(store::find_idempotent(c(), "user:1", "k1", kNow)->fingerprint, "fp1");
    EXPECT_TRUE(claim_and_save({"fp2", 200, "text/plain", "x"}, kNow + 100, kNow + 1));  // expired: replaced
    found = store::find_idempotent(c(), "user:1", "k1", kNow + 50);
    ASSERT_TRUE(found);
    EXPECT_EQ(found->fingerprint, "fp2");
    EXPECT_EQ(found->status, 200);
    store::purge_idempotent_before(c(), kNow + 101);
    EXPECT_FALSE(store::find_idempotent(c(), "user:1", "k1", 0));
}

// The token bucket's one-statement take (schema/012): full at first, refilled by the hour up to
// the allowance, never by a clock set back; a refused take leaves the row as it was; the sweep
// deletes what is untouched since the cutoff.
TEST_P(Repos, RateLimitBucketsTakeRefillAndSweep) {
    const auto take = [&](const char* key, std::int64_t now) {
        return store::take_rate_token(c(), "reports", key, 2, now);
    };
    EXPECT_FALSE(take("7", kNow));
    EXPECT_FALSE(take("7", kNow));
    auto refused = take("7", kNow + 1799);  // 2 an hour: a token every 1800 s
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->at, kNow);
    EXPECT_EQ(refused->tokens, 0.0);
    EXPECT_FALSE(take("8", kNow)) << "another key, another bucket";
    EXPECT_FALSE(take("7", kNow + 1800));
    EXPECT_TRUE(take("7", kNow)) << "a clock set back refills nothing";
    EXPECT_FALSE(take("7", kNow + 1800 + 100 * 3600)) << "refilled, capped at the allowance";
    EXPECT_FALSE(take("7", kNow + 1800 + 100 * 3600));
    EXPECT_TRUE(take("7", kNow + 1800 + 100 * 3600));
    store::sweep_rate_buckets(c(), kNow + 1);  // "8" untouched since kNow
    auto q = c().query("SELECT key FROM rate_limit_buckets ORDER BY key");
    ASSERT_TRUE(q.next());
    EXPECT_EQ(q.text(0), "7");
    EXPECT_FALSE(q.next());
}

TEST_P(Repos, Open311PartnersMediaAndUpdates) {
    category();
    const auto partner_user = user("13800000009", "dispatcher");
    const auto resident = user("13800000001");
    const auto g = grid("g1", {121.0, 31.0, 122.0, 32.0});
    const auto partner = store::insert_partner(c(), "FixIt", std::string("\x01\x02hash", 6), partner_user, true, kNow);
    const auto found = store::find_partner_by_key_hash(c(), std::string("\x01\x02hash", 6));
    ASSERT_TRUE(found);
    EXPECT_EQ(found->id, partner);
    EXPECT_TRUE(found->extended_statuses);
    EXPECT_TRUE(store::is_partner_user(c(), partner_user));
    EXPECT_FALSE(store::is_partner_user(c(), resident));

    const auto r1 = report(resident, g, kNow);
    const auto r2 = report(resident, g, kNow + 10);
    store::insert_media_url(c(), r1, 1, "https://b");
    store::insert_media_url(c(), r1, 0, "https://a");
    EXPECT_EQ(store::find_media_url(c(), r1), "https://a");
    EXPECT_EQ(store::list_media_urls(c(), r1), (std::vector<std::string>{"https://a", "https://b"}));
    store::insert_address_id(c(), r1, "addr-1");
    EXPECT_EQ(store::find_address_id(c(), r1), "addr-1");
    EXPECT_FALSE(store::find_address_id(c(), r2));

    const auto e = store::insert_event(c(), r1, {kNow + 1, partner_user, "accept", "submitted", "accepted", {}});
    store::insert_partner_update(c(), partner, "u-1", e);
    EXPECT_EQ(store::find_partner_update(c(), partner, "u-1"), e);
    const auto updates = store::list_updates(c(), kNow, kNow + 5, 10);
    ASSERT_EQ(updates.size(), 1u);
    EXPECT_EQ(updates[0].event_id, e);
    EXPECT_FALSE(updates[0].duplicate_of);
    EXPECT_EQ(store::grid_names(c()).at(g), "Grid g1");

    store::RequestFilter filter;
    filter.from = kNow;
    filter.to = kNow + 10;
    filter.categories = {"road", "waste"};
    filter.closed = false;
    EXPECT_EQ(store::list_request_ids(c(), filter), (std::vector<std::int64_t>{r2, r1}));
    filter.closed = true;
    EXPECT_TRUE(store::list_request_ids(c(), filter).empty());
    EXPECT_FALSE(store::first_report_photo_id(c(), r1));
}

// report_details reads in one statement what the four single-list readers read, each list in
// their order, and leaves out what it is not asked for.
TEST_P(Repos, ReportDetailsInOneStatementEqualTheFourLists) {
    category();
    const auto resident = user("13800000001");
    const auto worker = user("13800000002", "worker");
    const auto g = grid("g1", {121.0, 31.0, 122.0, 32.0});
    const auto r0 = report(resident, g, kNow - 20);
    const auto r1 = report(resident, g, kNow);
    const auto r2 = report(resident, g, kNow + 10);
    const auto empty = report(resident, g, kNow + 20);

    store::upsert_photo_blob(c(), {"bb", "png", 10, 20, 300, 7});
    store::upsert_photo_blob(c(), {"aa", "jpeg", 640, 480, 1234, -42});
    store::insert_photo(c(), r2, "report", "bb", kNow);
    store::insert_photo(c(), r2, "report", "aa", kNow);
    store::insert_photo(c(), r2, "resolution", "bb", kNow + 5);
    store::insert_photo(c(), r1, "report", "aa", kNow);  // another report's: not listed
    store::insert_photo_reuse(c(), r2, r1);
    store::insert_photo_reuse(c(), r2, r0);
    store::insert_media_url(c(), r2, 1, "https://b/路");
    store::insert_media_url(c(), r2, 0, "https://a");
    store::insert_event(c(), r2, {kNow + 10, resident, "submit", std::nullopt, "submitted", std::nullopt});
    store::insert_event(c(), r2, {kNow + 11, worker, "comment", "submitted", "submitted", "a \"note\" 🚧"});
    store::insert_event(c(), r1, {kNow, resident, "submit", std::nullopt, "submitted", std::nullopt});

    const auto all = store::report_details(c(), r2, true, true);
    const auto photos = store::list_photos(c(), r2);
    ASSERT_EQ(all.photos.size(), 3u);
    ASSERT_EQ(all.photos.size(), photos.size());
    for (std::size_t i = 0; i < photos.size(); ++i) {
        EXPECT_EQ(all.photos[i].id, photos[i].id);
        EXPECT_EQ(all.photos[i].report_id, r2);
        EXPECT_EQ(all.photos[i].stage, photos[i].stage);
        EXPECT_EQ(all.photos[i].blob.sha256, photos[i].blob.sha256);
        EXPECT_EQ(all.photos[i].blob.format, photos[i].blob.format);
        EXPECT_EQ(all.photos[i].blob.width, photos[i].blob.width);
        EXPECT_EQ(all.photos[i].blob.height, photos[i].blob.height);
        EXPECT_EQ(all.photos[i].blob.bytes, photos[i].blob.bytes);
        EXPECT_EQ(all.photos[i].blob.dhash, photos[i].blob.dhash);
    }
    EXPECT_EQ(all.photo_reused_from, store::list_photo_reuse(c(), r2));
    EXPECT_EQ(all.photo_reused_from, (std::vector<std::int64_t>{r0, r1}));
    EXPECT_EQ(all.media_urls, store::list_media_urls(c(), r2));
    EXPECT_EQ(all.media_urls, (std::vector<std::string>{"https://a", "https://b/路"}));
    const auto events = store::list_events(c(), r2);
    ASSERT_EQ(all.events.size(), 2u);
    for (std::size_t i = 0; i < events.size(); ++i) {
        EXPECT_EQ(all.events[i].at, events[i].at);
        EXPECT_EQ(all.events[i].actor_id, events[i].actor_id);
        EXPECT_EQ(all.events[i].action, events[i].action);
        EXPECT_EQ(all.events[i].from_status, events[i].from_status);
        EXPECT_EQ(all.events[i].to_status, events[i].to_status);
        EXPECT_EQ(all.events[i].note, events[i].note);
    }

    const auto resident_view = store::report_details(c(), r2, false, false);
    EXPECT_EQ(resident_view.photos.size(), 3u);
    EXPECT_TRUE(resident_view.photo_reused_from.empty());
    EXPECT_TRUE(resident_view.media_urls.empty());
    EXPECT_TRUE(resident_view.events.empty());
    EXPECT_EQ(store::report_details(c(), r2, false, true).events.size(), 2u);
    EXPECT_EQ(store::report_details(c(), r2, true, false).media_urls.size(), 2u);

    const auto none = store::report_details(c(), empty, true, true);
    EXPECT_TRUE(none.photos.empty() && none.photo_reused_from.empty() && none.media_urls.empty() &&
                none.events.empty());
}

TEST_P(Repos, StatisticsFromTheRunningSums) {
    category();
    const auto resident = user("13800000001");
    const auto g = grid("g1", {121.0, 31.0, 122.0, 32.0});
    report(resident, g, kNow);
    report(resident, g, kNow + 600);  // the same Shanghai week (it ends at kNow + 3200)
    const auto cells = store::closure_counts(c(), kNow - 7200, kNow + 7200, kNow + 7200, store::StatSplit::grid);
    std::int64_t received = 0;
    for (const auto& cell : cells) received += cell.counts.received;
    EXPECT_EQ(received, 2);
    const auto by_category =
        store::closure_counts(c(), kNow - 7200, kNow + 7200, kNow + 7200, store::StatSplit::category);
    EXPECT_FALSE(by_category.empty());
    const auto top = store::top_reporters(c(), store::shanghai_week_key(kNow), 5);
    ASSERT_FALSE(top.empty());
    EXPECT_EQ(top[0].received + (top.size() > 1 ? top[1].received : 0), 2);
    EXPECT_EQ(store::all_grids(c()).size(), 1u);
    EXPECT_EQ(store::user_display_name(c(), resident), "name 13800000001");
    EXPECT_TRUE(store::stats_sum_mismatches(c()).empty());
    const auto totals = store::points_totals(c());
    EXPECT_EQ(totals.issuance_balance, 0);
    EXPECT_EQ(totals.resident_balances, 0);  // a sum over no rows: 0, not NULL
}

TEST_P(Repos, TransactionsAndSavepoints) {
    store::in_transaction(c(), [&] { user("13800000001"); });
    EXPECT_THROW(store::in_transaction(c(),
                                       [&] {
                                           user("13800000002");
                                           user("13800000001");  // taken: the whole transaction goes
                                       }),
                 store::DbError);
    EXPECT_EQ(store::count_users(c()), 1);
    store::in_transaction(c(), [&] {
        {
            store::Savepoint sp(c());
            user("13800000003");
            sp.release();
        }
        {
            store::Savepoint sp(c());
            try {
                user("13800000001");  // fails; on PostgreSQL the savepoint's rollback clears the error
            } catch (const store::DbError&) {
            }
        }
        user("13800000004");
    });
    EXPECT_EQ(store::count_users(c()), 3);
    store::in_snapshot(c(), [&] { EXPECT_EQ(store::count_users(c()), 3); });
}

// store::Query::send and run_deferred, the same on both engines: a read sent after a write sees
// it; a deferred statement's refusal comes out no later than the end of its savepoint, which then
// rolls back (on SQLite at once, on PostgreSQL from keep()).
TEST_P(Repos, SentAndDeferredStatementsKeepTheirOrderAndVerdicts) {
    struct Refused {};
    store::insert_reward(c(), store::RewardRow{"soap", "Soap", 10, 3, "goods"}, kNow);
    const auto take = [&](std::int64_t qty) {
        c().query("UPDATE rewards SET stock = stock - ?1 WHERE sku = ?2 AND stock >= ?1")
            .args(qty, "soap")
            .run_deferred([](int changes) {
                if (changes != 1) throw Refused{};
            });
    };
    store::in_transaction(c(), [&] {
        take(1);
        auto read = store::send_find_reward(c(), "soap");
        EXPECT_EQ(read.get()->stock, 2);
        {
            store::Savepoint sp(c());
            EXPECT_THROW(
                {
                    take(1);
                    take(5);  // refused
                    sp.keep();
                },
                Refused);
        }  // rolled back: both takes
        store::Savepoint sp(c());
        take(2);
        sp.keep();
    });
    EXPECT_EQ(store::find_reward(c(), "soap")->stock, 0);
}

// The sink's credit (sent on PostgreSQL, so no row count is left to check): its transfer names
// the account it credited, and an account that does not exist fails the statement — the
// transaction, with it — on both engines instead of recording a transfer to nobody.
TEST_P(Repos, ACreditToANamedAccountThatDoesNotExistFails) {
    const auto resident = user("13800000001");
    const auto account = store::insert_resident_account(c(), resident, kNow);
    const auto transfer = [&](std::string_view sink, bool read_id) {
        store::TransferRow t;
        t.debit_account = account;
        t.amount = 5;
        t.kind = "redemption";
        t.ref = "redemption:1";
        t.debit_balance_after = 0;  // not checked by the repository
        t.at = kNow;
        std::int64_t id = 0;
        store::in_transaction(c(), [&] {
            auto pending = store::credit_named_and_insert_transfer(c(), "sink", sink, t);
            if (read_id) id = pending.get();  // a redemption leaves it unread
        });
        return id;
    };
    const auto sink = store::find_named_account(c(), "sink", "redemption");
    ASSERT_TRUE(sink);
    EXPECT_GT(transfer("redemption", true), 0);
    EXPECT_EQ(store::find_named_account(c(), "sink", "redemption")->balance, sink->balance + 5);
    EXPECT_THROW(transfer("no-such-sink", false), store::DbError);
    EXPECT_THROW(transfer("no-such-sink", true), store::DbError);
    EXPECT_EQ(store::find_named_account(c(), "sink", "redemption")->balance, sink->balance + 5);
}

// Repository code run as pool jobs (store::run_pg_job): PostgreSQL's verdicts reach the pool
// through the DbError the front throws, so a serialization failure inside a repository call is
// retried, and what the pool gives up on comes out as a classified DbError.
class PgJobs : public civic::test::PgTest {
protected:
    pg::PoolOptions options() const {
        pg::PoolOptions o;
        o.conninfo = conninfo();
        o.max_connections = 2;
        o.acquire_timeout = std::chrono::milliseconds(500);
        return o;
    }
};

TEST_F(PgJobs, ASerializationFailureInsideRepositoryCodeIsRunAgain) {
    pg::Pool pool(options());
    int runs = 0;
    const auto id = store::run_pg_job(pool, [&](store::Conn& c) {
        const auto user = store::insert_user(c, store::UserRow{0, "13800000001", "h", "n", "resident", kNow, {}});
        if (++runs == 1) c.exec("DO $$ BEGIN RAISE EXCEPTION 'forced' USING ERRCODE = 'serialization_failure'; END $$");
        return user;
    });
    EXPECT_EQ(runs, 2);
    EXPECT_EQ(pool.stats().retries.load(), 1);
    auto check = store::own_postgresql(connect());
    EXPECT_EQ(store::count_users(*check), 1) << "the first run was rolled back";
    EXPECT_EQ(store::find_user(*check, id)->phone, "13800000001");
}

// A savepoint expected to be kept (store::Savepoint::Expect::kept) is not taken in a pool job:
// PostgreSQL would give it an XID of its own once it writes, seen here as a second transaction-id
// lock held by the backend. Undone, it runs the job once more with its savepoints taken, and only
// what the savepoint covered is undone; not a retry of the database's.
class PgDeferredSavepoints : public PgJobs {
protected:
    static std::int64_t xids_held(store::Conn& c) {
        auto q = c.query("SELECT count(*) FROM pg_locks WHERE locktype = 'transactionid' AND pid = pg_backend_pid()");
        q.next();
        return q.int64(0);
    }
    static std::int64_t insert(store::Conn& c, const std::string& phone) {
        return store::insert_user(c, store::UserRow{0, phone, "h", "n", "resident", kNow, {}});
    }
};

TEST_F(PgDeferredSavepoints, KeptIsNotTaken) {
    pg::Pool pool(options());
    std::int64_t xids = 0;
    store::run_pg_job(pool, [&](store::Conn& c) {
        insert(c, "13800000001");
        store::Savepoint kept(c, store::Savepoint::Expect::kept);
        insert(c, "13800000002");
        xids = xids_held(c);
        kept.keep();
    });
    EXPECT_EQ(xids, 1) << "no subtransaction";
    EXPECT_EQ(store::count_users(*store::own_postgresql(connect())), 2);

    // One that may be rolled back is taken, as everywhere outside a pool job.
    store::run_pg_job(pool, [&](store::Conn& c) {
        insert(c, "13800000003");
        store::Savepoint taken(c);
        insert(c, "13800000004");
        xids = xids_held(c);
        taken.release();
    });
    EXPECT_EQ(xids, 2);
    EXPECT_EQ(pool.stats().run_again.load(), 0);
}

TEST_F(PgDeferredSavepoints, UndoneRunsTheJobAgainWithItTaken) {
    pg::Pool pool(options());
    std::vector<std::int64_t> xids;
    const auto answer = store::run_pg_job(pool, [&](store::Conn& c) {
        insert(c, "13800000001");
        store::Savepoint savepoint(c, store::Savepoint::Expect::kept);
        try {
            insert(c, "13800000002");
            xids.push_back(xids_held(c));
            throw std::invalid_argument("a client's error");
        } catch (const std::invalid_argument&) {
            savepoint.rollback();
            return std::string("refused");
        }
    });
    EXPECT_EQ(answer, "refused");
    EXPECT_EQ(xids, (std::vector<std::int64_t>{1, 2})) << "the second run took its savepoint";
    EXPECT_EQ(pool.stats().run_again.load(), 1);
    EXPECT_EQ(pool.stats().retries.load(), 0);
    auto check = store::own_postgresql(connect());
    EXPECT_EQ(store::count_users(*check), 1) << "what the savepoint covered is undone, once";
    EXPECT_TRUE(store::find_user_by_phone(*check, "13800000001"));
}

TEST_F(PgDeferredSavepoints, LeftWithoutKeepingRunsTheJobAgainEvenIfTheJobReturns) {
    pg::Pool pool(options());
    int runs = 0;
    store::run_pg_job(pool, [&](store::Conn& c) {
        ++runs;
        insert(c, "13800000001");
        try {
            store::Savepoint savepoint(c, store::Savepoint::Expect::kept);
            insert(c, "13800000002");
            throw std::invalid_argument("a client's error, caught outside the savepoint's scope");
        } catch (const std::invalid_argument&) {
        }
    });
    EXPECT_EQ(runs, 2);
    EXPECT_EQ(store::count_users(*store::own_postgresql(connect())), 1);
}

TEST_F(PgJobs, AConstraintIsNotRetriedAndStaysClassified) {
    pg::Pool pool(options());
    auto user = [](store::Conn& c) {
        return store::insert_user(c, store::UserRow{0, "13800000001", "h", "n", "resident", kNow, {}});
    };
    store::run_pg_job(pool, user);
    int runs = 0;
    try {
        store::run_pg_job(pool, [&](store::Conn& c) {
            ++runs;
            return user(c);
        });
        ADD_FAILURE() << "a taken phone was accepted";
    } catch (const store::DbError& e) {
        EXPECT_TRUE(e.constraint_unique()) << e.what();
        EXPECT_EQ(e.engine_code(), "23505");
    }
    EXPECT_EQ(runs, 1);
    EXPECT_EQ(pool.stats().retries.load(), 0);
}

TEST_F(PgJobs, GivingUpIsRetryableAndAnUnreachableDatabaseIsUnavailable) {
    auto o = options();
    o.max_attempts = 2;
    pg::Pool pool(o);
    try {
        store::run_pg_job(pool, [](store::Conn& c) {
            c.exec("DO $$ BEGIN RAISE EXCEPTION 'forced' USING ERRCODE = 'deadlock_detected'; END $$");
        });
        ADD_FAILURE() << "no error";
    } catch (const store::DbError& e) {
        EXPECT_TRUE(e.retryable());
        EXPECT_TRUE(e.busy());  // → 503 with Retry-After
    }
    EXPECT_EQ(pool.stats().gave_up.load(), 1);

    auto bad = options();
    bad.conninfo = "postgresql://postgres@127.0.0.1:1/none?connect_timeout=2";
    pg::Pool nowhere(bad);
    try {
        store::run_pg_job(nowhere, [](store::Conn& c) { return store::count_users(c); });
        ADD_FAILURE() << "no error";
    } catch (const store::DbError& e) {
        EXPECT_TRUE(e.unavailable()) << e.what();
        EXPECT_TRUE(e.storage_exhausted());  // → 503, as a full disk on SQLite
    }
}
