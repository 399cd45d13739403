// API.md §7 over real HTTP: kiosk registration, request signatures (wrong secret, stale,
// replayed — also across a restart —, body or query changed), one-time codes (forged, expired
// via the test clock, reused), redemption and void with every error code, and concurrency:
// racing redemptions on one code and on one balance, then `civicsnapd check`.
#include "kiosk_support.hpp"
#include "tests/support/test_database.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

using namespace civic::test;
using nlohmann::json;

namespace {

std::int64_t wall_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

void pin_clock(const Daemon& d, std::int64_t unix_seconds) {
    char buf[32];
    const std::time_t t = unix_seconds;
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    ASSERT_EQ(d.post("/api/v1/admin/clock", {{"now", buf}}, d.admin_token()).status, 200);
}

struct Resident {
    std::string token;
    std::int64_t id = 0;
};

Resident resident_with(const Daemon& d, const std::string& phone, std::int64_t points,
                       const std::string& name = "王小明") {
    Resident r{d.register_resident(phone, name), 0};
    r.id = user_id_of(d, r.token);
    if (points > 0) grant_points(d, r.id, points);
    return r;
}

TEST(Kiosk, RegistrationShowsTheSecretOnce) {
    auto& d = file_daemon();
    auto r = d.post("/api/v1/admin/kiosks", {{"name", "收银台 1"}, {"store", "文澜超市"}}, d.admin_token());
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_TRUE(r.json()["id"].is_number_integer());
    EXPECT_TRUE(r.json()["key_id"].get<std::string>().starts_with("kiosk_"));
    EXPECT_GE(r.json()["secret"].get<std::string>().size(), 40u);
    EXPECT_EQ(d.post("/api/v1/admin/kiosks", {{"store", "x"}}, d.admin_token()).json()["error"]["field"], "name");
    const auto resident = d.register_resident("13500000001");
    EXPECT_EQ(d.post("/api/v1/admin/kiosks", {{"name", "x"}, {"store", "x"}}, resident).status, 403);
}

TEST(KioskSignature, AcceptedOnceAndRefusedWhenWrong) {
    auto& d = file_daemon();
    add_reward(d, "SIG-GOODS", 5, 3);
    add_reward(d, "SIG-HONOUR", 5, 3, "honour");
    const auto k = register_kiosk(d);
    KioskCall c{"GET", "/api/v1/kiosk/rewards", "", wall_now(), {}};
    auto ok = kiosk_request(d, k, c);
    ASSERT_EQ(ok.status, 200) << ok.body;
    bool goods = false;
    const auto catalogue = ok.json();
    for (const auto& i : catalogue["items"]) {
        EXPECT_EQ(i["kind"], "goods");
        goods = goods || i["sku"] == "SIG-GOODS";
    }
    EXPECT_TRUE(goods);

    auto replay = kiosk_request(d, k, c);  // the very same signed request again
    EXPECT_EQ(replay.status, 401);
    EXPECT_EQ(replay.error_code(), "unauthorized");

    auto wrong_secret = k;
    wrong_secret.secret = "not-the-secret";
    EXPECT_EQ(kiosk_request(d, wrong_secret, {"GET", "/api/v1/kiosk/rewards", "", wall_now() - 1, {}}).status, 401);
    auto unknown = k;
    unknown.key_id = "kiosk_0000000000000000";
    EXPECT_EQ(kiosk_request(d, unknown, {"GET", "/api/v1/kiosk/rewards", "", wall_now() - 2, {}}).status, 401);
    EXPECT_EQ(kiosk_request(d, k, {"GET", "/api/v1/kiosk/rewards", "", wall_now() - 400, {}}).status, 401);  // stale
    EXPECT_EQ(kiosk_request(d, k, {"GET", "/api/v1/kiosk/rewards", "", wall_now() + 400, {}}).status, 401);  // future
    EXPECT_EQ(kiosk_request(d, k, {"GET", "/api/v1/kiosk/rewards", "", wall_now() - 250, {}}).status,
              200);                                         // in window
    EXPECT_EQ(d.get("/api/v1/kiosk/rewards").status, 401);  // unsigned

    // The query is part of what is signed.
    auto headers = kiosk_headers(k, {"GET", "/api/v1/kiosk/rewards", "", wall_now() - 3, {}});
    EXPECT_EQ(d.request("GET", "/api/v1/kiosk/rewards?limit=5", "", headers).status, 401);
    // So is the body: a captured lookup replayed with another token.
    const auto resident = resident_with(d, "13500000002", 0);
    const auto token = redeem_token(d, resident.token);
    KioskCall lookup{"POST", "/api/v1/kiosk/lookup", json({{"token", token}}).dump(), wall_now() - 4, {}};
    auto h = kiosk_headers(k, lookup);
    h.emplace_back("Content-Type", "application/json");
    EXPECT_EQ(d.request("POST", lookup.target, json({{"token", token + "x"}}).dump(), h).status, 401);
    // An uppercase hex signature is the same signature (and counts as seen once used).
    auto upper = kiosk_headers(k, {"GET", "/api/v1/kiosk/rewards", "", wall_now() - 5, {}});
    for (auto& c2 : upper[2].second) c2 = static_cast<char>(std::toupper(static_cast<unsigned char>(c2)));
    EXPECT_EQ(d.request("GET", "/api/v1/kiosk/rewards", "", upper).status, 200);
    for (auto& c2 : upper[2].second) c2 = static_cast<char>(std::tolower(static_cast<unsigned char>(c2)));
    EXPECT_EQ(d.request("GET", "/api/v1/kiosk/rewards", "", upper).status, 401);
}

TEST(KioskSignature, ReplayCacheSurvivesARestart) {
    Daemon first;
    const auto k = register_kiosk(first);
    const KioskCall c{"GET", "/api/v1/kiosk/rewards", "", wall_now(), {}};
    const auto headers = kiosk_headers(k, c);
    ASSERT_EQ(first.request("GET", c.target, "", headers).status, 200);
    ASSERT_EQ(first.stop(), 0);
    Daemon::Options o;
    o.data_dir = first.data_dir();
    Daemon second(o);
    EXPECT_EQ(second.request("GET", c.target, "", headers).status, 401);
    // A different timestamp (one second earlier than the first call's) is a new signature.
    EXPECT_EQ(kiosk_request(second, k, {"GET", c.target, "", c.timestamp - 1, {}}).status, 200);
}

TEST(RedeemToken, LookupDoesNotUseItUpAndForgedIsInvalid) {
    auto& d = file_daemon();
    const auto k = register_kiosk(d);
    const auto resident = resident_with(d, "13500000003", 42, "李四光");
    auto issued = d.post("/api/v1/me/redeem-token", json::object(), resident.token);
    ASSERT_EQ(issued.status, 201) << issued.body;
    const auto token = issued.json()["token"].get<std::string>();
    EXPECT_GE(token.size(), 22u);  // ≥ 128 bits of base64url
    EXPECT_TRUE(issued.json()["expires_at"].get<std::string>().ends_with("Z"));
    const auto base = wall_now();  // distinct timestamps however long the loop takes
    for (int i = 0; i < 2; ++i) {
        auto l = kiosk_lookup(d, k, token, base - i);
        ASSERT_EQ(l.status, 200) << l.body;
        EXPECT_EQ(l.json(), json({{"display_name", "李**"}, {"balance", 42}}));
    }
    auto forged = kiosk_lookup(d, k, token.substr(0, token.size() - 1) + (token.back() == 'A' ? "B" : "A"));
    EXPECT_EQ(forged.status, 409);
    EXPECT_EQ(forged.error_code(), "token_invalid");
    EXPECT_EQ(kiosk_lookup(d, k, "", wall_now() - 3).error_code(), "token_invalid");
    EXPECT_EQ(d.post("/api/v1/me/redeem-token", json::object(), d.admin_token()).status, 403);
    EXPECT_EQ(d.post("/api/v1/me/redeem-token", json::object()).status, 401);
}

TEST(Redemption, RedeemReplayReuseAndErrors) {
    auto& d = file_daemon();
    add_reward(d, "RICE", 30, 5);
    add_reward(d, "OIL", 20, 1);
    add_reward(d, "MEDAL", 10, 5, "honour");
    const auto k = register_kiosk(d);
    const auto resident = resident_with(d, "13500000004", 100);
    const auto token = redeem_token(d, resident.token);
    const json items = json::array({{{"sku", "RICE"}, {"qty", 2}}});

    auto missing_key = kiosk_redeem(d, k, token, items, "");
    EXPECT_EQ(missing_key.status, 400);
    EXPECT_EQ(missing_key.json()["error"]["field"], "Idempotency-Key");

    auto r = kiosk_redeem(d, k, token, items, "till1-0000001");
    ASSERT_EQ(r.status, 201) << r.body;
    const auto j = r.json();
    EXPECT_EQ(j["total_points"], 60);
    EXPECT_EQ(j["balance_after"], 40);
    EXPECT_EQ(j["items"][0]["sku"], "RICE");
    EXPECT_EQ(j["items"][0]["qty"], 2);
    EXPECT_TRUE(j["at"].get<std::string>().ends_with("Z"));
    EXPECT_EQ(stock_of(d, "RICE"), 3);
    EXPECT_EQ(balance_of(d, resident.token), 40);

    // A retry over a flaky network: re-signed (fresh timestamp), same key → the same bytes.
    auto retry = kiosk_redeem(d, k, token, items, "till1-0000001");
    EXPECT_EQ(retry.status, 201);
    EXPECT_EQ(retry.body, r.body);
    EXPECT_EQ(retry.header("idempotent-replayed"), "true");
    EXPECT_EQ(balance_of(d, resident.token), 40);
    EXPECT_EQ(kiosk_redeem(d, k, token, json::array({{{"sku", "OIL"}, {"qty", 1}}}), "till1-0000001").error_code(),
              "conflict");
    // The code is used up.
    auto reuse = kiosk_redeem(d, k, token, items, "till1-0000002");
    EXPECT_EQ(reuse.status, 409);
    EXPECT_EQ(reuse.error_code(), "token_invalid");
    EXPECT_EQ(kiosk_lookup(d, k, token).error_code(), "token_invalid");

    // Failures change nothing and leave the code usable.
    const auto t2 = redeem_token(d, resident.token);
    EXPECT_EQ(kiosk_redeem(d, k, t2, json::array({{{"sku", "RICE"}, {"qty", 2}}}), "till1-0000003").error_code(),
              "insufficient_points");
    EXPECT_EQ(kiosk_redeem(d, k, t2, json::array({{{"sku", "OIL"}, {"qty", 2}}}), "till1-0000004").error_code(),
              "out_of_stock");
    EXPECT_EQ(
        kiosk_redeem(d, k, t2, json::array({{{"sku", "MEDAL"}, {"qty", 1}}}), "till1-0000005").json()["error"]["field"],
        "items");
    EXPECT_EQ(
        kiosk_redeem(d, k, t2, json::array({{{"sku", "RICE"}, {"qty", 0}}}), "till1-0000006").json()["error"]["field"],
        "items");
    EXPECT_EQ(kiosk_redeem(d, k, t2, json::array(), "till1-0000007").json()["error"]["field"], "items");
    EXPECT_EQ(stock_of(d, "RICE"), 3);
    EXPECT_EQ(stock_of(d, "OIL"), 1);
    EXPECT_EQ(balance_of(d, resident.token), 40);
    // Lines with the same sku are merged.
    auto merged = kiosk_redeem(d, k, t2, json::array({{{"sku", "OIL"}, {"qty", 1}}, {{"sku", "OIL"}, {"qty", 1}}}),
                               "till1-0000008");
    EXPECT_EQ(merged.error_code(), "out_of_stock");
    auto ok = kiosk_redeem(d, k, t2, json::array({{{"sku", "OIL"}, {"qty", 1}}}), "till1-0000009");
    ASSERT_EQ(ok.status, 201) << ok.body;
    EXPECT_EQ(ok.json()["balance_after"], 20);
    EXPECT_EQ(stock_of(d, "OIL"), 0);
}

// A redemption checks and records its signature in the same writer job as the redemption itself:
// whatever the redemption then answers, those exact bytes are spent, and an unsigned or wrongly
// signed request hears 401 before anything about its body.
TEST(Redemption, AFailedRedemptionStillSpendsItsSignature) {
    auto& d = file_daemon();
    add_reward(d, "SPENT", 50, 5);
    const auto k = register_kiosk(d);
    const auto resident = resident_with(d, "13500000009", 10);
    const auto token = redeem_token(d, resident.token);
    const auto now = wall_now();

    const json no_items = json::array();
    auto invalid = kiosk_redeem(d, k, token, no_items, "spent-0000001", now - 10);
    EXPECT_EQ(invalid.status, 400);
    EXPECT_EQ(invalid.json()["error"]["field"], "items");
    EXPECT_EQ(kiosk_redeem(d, k, token, no_items, "spent-0000001", now - 10).status, 401);

    const json too_dear = json::array({{{"sku", "SPENT"}, {"qty", 1}}});
    EXPECT_EQ(kiosk_redeem(d, k, token, too_dear, "spent-0000002", now - 11).error_code(), "insufficient_points");
    EXPECT_EQ(kiosk_redeem(d, k, token, too_dear, "spent-0000002", now - 11).status, 401);

    auto wrong = k;
    wrong.secret = "not-the-secret";
    EXPECT_EQ(kiosk_redeem(d, wrong, token, no_items, "spent-0000003").status, 401);
    EXPECT_EQ(kiosk_redeem(d, k, token, no_items, "").status, 400);  // signed, no key: the key's 400
    const auto unsigned_bad =
        d.request("POST", "/api/v1/kiosk/redemptions", "{", {{"Content-Type", "application/json"}});
    EXPECT_EQ(unsigned_bad.status, 401);
    EXPECT_EQ(stock_of(d, "SPENT"), 5);
    EXPECT_EQ(balance_of(d, resident.token), 10);
}

// A refused redemption's answer is stored under its key, so a retry with a fresh signature hears
// the same refusal, replayed, and nothing moves. On PostgreSQL the refusal undid a savepoint the
// job had left untaken (docs/postgresql.md, "The pool"): the job ran once more with it taken,
// counted by civicsnap_pg_run_again_total, and that second run is what stored the answer. The
// retry's job does the same: its first run claims the key only with its answer
// (store::claims_with_answer), so it meets the refusal first; its second run claims the key
// first and replays.
TEST(Redemption, ARefusedRedemptionsAnswerIsStoredUnderItsKey) {
    auto& d = file_daemon();
    add_reward(d, "REFUSED", 50, 5);
    const auto k = register_kiosk(d);
    const auto resident = resident_with(d, "13500000019", 10);
    const auto token = redeem_token(d, resident.token);
    const auto run_again = [&] { return d.metric("civicsnap_pg_run_again_total"); };
    const auto before = run_again();
    EXPECT_EQ(before >= 0, database_on_postgresql());

    const json items = json::array({{{"sku", "REFUSED"}, {"qty", 1}}});
    const auto now = wall_now();
    const auto refused = kiosk_redeem(d, k, token, items, "refused-0000001", now - 12);
    EXPECT_EQ(refused.error_code(), "insufficient_points");
    const auto retry = kiosk_redeem(d, k, token, items, "refused-0000001", now - 13);
    EXPECT_EQ(retry.status, refused.status);
    EXPECT_EQ(retry.body, refused.body);
    EXPECT_EQ(retry.header("idempotent-replayed"), "true");
    EXPECT_EQ(stock_of(d, "REFUSED"), 5);
    EXPECT_EQ(balance_of(d, resident.token), 10);
    if (database_on_postgresql()) {
        EXPECT_EQ(run_again(), before + 2) << "the refusal and its replay, once each";
    }
}

// A resident who never earned a point has no ledger account yet (accounts are made on first
// use): the balance locked through the code is then nothing, and the answer is
// insufficient_points with nothing changed — the code still usable, the stock untouched.
TEST(Redemption, AResidentWithoutALedgerAccountHasInsufficientPoints) {
    auto& d = file_daemon();
    add_reward(d, "NO-ACCOUNT", 10, 4);
    const auto k = register_kiosk(d);
    const auto resident = resident_with(d, "13500000021", 0);
    const auto token = redeem_token(d, resident.token);
    const json items = json::array({{{"sku", "NO-ACCOUNT"}, {"qty", 1}}});
    const auto refused = kiosk_redeem(d, k, token, items, "noaccount-0000001");
    EXPECT_EQ(refused.status, 409);
    EXPECT_EQ(refused.error_code(), "insufficient_points");
    EXPECT_EQ(kiosk_lookup(d, k, token).status, 200) << "the code was not used up";
    EXPECT_EQ(stock_of(d, "NO-ACCOUNT"), 4);
    EXPECT_EQ(balance_of(d, resident.token), 0);
}

// A signed request replayed under another Idempotency-Key (the key is not signed) is refused and
// claims nothing: the key stays free, and the next redemption under it runs as new.
TEST(Redemption, AReplayUnderAnotherKeyClaimsNothing) {
    auto& d = file_daemon();
    add_reward(d, "REPLAYED", 10, 5);
    const auto k = register_kiosk(d);
    const auto resident = resident_with(d, "13500000010", 100);
    const auto token = redeem_token(d, resident.token);
    const json items = json::array({{{"sku", "REPLAYED"}, {"qty", 1}}});
    const auto signed_at = wall_now() - 5;
    ASSERT_EQ(kiosk_redeem(d, k, token, items, "replay-0000001", signed_at).status, 201);
    const auto replayed = kiosk_redeem(d, k, token, items, "replay-0000002", signed_at);
    EXPECT_EQ(replayed.status, 401);
    EXPECT_EQ(replayed.error_code(), "unauthorized");

    const auto fresh = kiosk_redeem(d, k, redeem_token(d, resident.token), items, "replay-0000002");
    ASSERT_EQ(fresh.status, 201) << fresh.body;
    EXPECT_EQ(fresh.header("idempotent-replayed"), "");
    EXPECT_EQ(fresh.json()["balance_after"], 80);
    EXPECT_EQ(stock_of(d, "REPLAYED"), 3);
}

TEST(Redemption, VoidBySameKioskWithinTenMinutes) {
    Daemon d;
    const auto t0 = wall_now();
    pin_clock(d, t0);
    add_reward(d, "TEA", 10, 4);
    const auto k = register_kiosk(d, "till A");
    const auto other = register_kiosk(d, "till B");
    const auto resident = resident_with(d, "13500000005", 50);
    auto r = kiosk_redeem(d, k, redeem_token(d, resident.token), json::array({{{"sku", "TEA"}, {"qty", 3}}}),
                          "void-test-1", t0);
    ASSERT_EQ(r.status, 201) << r.body;
    const auto id = r.json()["id"].get<std::int64_t>();
    EXPECT_EQ(kiosk_void(d, other, id, t0).status, 404);
    EXPECT_EQ(kiosk_void(d, k, id + 1000, t0 - 1).status, 404);

    pin_clock(d, t0 + 599);
    auto v = kiosk_void(d, k, id, t0 + 599);
    ASSERT_EQ(v.status, 200) << v.body;
    EXPECT_EQ(v.json()["id"], id);
    EXPECT_TRUE(v.json()["voided_at"].is_string());
    EXPECT_EQ(balance_of(d, resident.token), 50);
    EXPECT_EQ(stock_of(d, "TEA"), 4);
    auto again = kiosk_void(d, k, id, t0 + 598);
    EXPECT_EQ(again.status, 200);
    EXPECT_EQ(again.body, v.body);
    EXPECT_EQ(balance_of(d, resident.token), 50);

    auto late = kiosk_redeem(d, k, redeem_token(d, resident.token), json::array({{{"sku", "TEA"}, {"qty", 1}}}),
                             "void-test-2", t0 + 599);
    ASSERT_EQ(late.status, 201);
    pin_clock(d, t0 + 599 + 601);
    auto too_late = kiosk_void(d, k, late.json()["id"], t0 + 1200);
    EXPECT_EQ(too_late.status, 409);
    EXPECT_EQ(too_late.error_code(), "invalid_transition");
    EXPECT_EQ(balance_of(d, resident.token), 40);

    auto lines = d.get("/api/v1/me/points/ledger", resident.token).json()["items"];
    ASSERT_GE(lines.size(), 3u);
    EXPECT_EQ(lines[0]["kind"], "redemption");
    EXPECT_EQ(lines[1]["kind"], "redemption_void");
    EXPECT_EQ(lines[1]["amount"], 30);
    EXPECT_EQ(lines[1]["ref"], "redemption:" + std::to_string(id));
    EXPECT_EQ(run_ledger_check(d.data_dir()).exit_code, 0);
}

TEST(RedeemToken, ExpiresAfter120SecondsOnTheTestClock) {
    Daemon d;
    const auto t0 = wall_now();
    pin_clock(d, t0);
    add_reward(d, "BREAD", 5, 10);
    const auto k = register_kiosk(d);
    const auto resident = resident_with(d, "13500000006", 20);
    const auto token = redeem_token(d, resident.token);
    pin_clock(d, t0 + 119);
    EXPECT_EQ(kiosk_lookup(d, k, token, t0 + 119).status, 200);
    pin_clock(d, t0 + 120);
    EXPECT_EQ(kiosk_lookup(d, k, token, t0 + 120).error_code(), "token_invalid");
    EXPECT_EQ(
        kiosk_redeem(d, k, token, json::array({{{"sku", "BREAD"}, {"qty", 1}}}), "expired-1", t0 + 120).error_code(),
        "token_invalid");
    EXPECT_EQ(balance_of(d, resident.token), 20);
}

TEST(RedemptionConcurrency, OneTokenManyKiosksExactlyOneWins) {
    Daemon d;
    add_reward(d, "RACE", 1, 1000);
    const auto k = register_kiosk(d);
    const auto resident = resident_with(d, "13500000007", 100);
    const auto token = redeem_token(d, resident.token);
    constexpr int kRacers = 20;
    std::atomic<int> created{0}, invalid{0}, other{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kRacers; ++i)
        threads.emplace_back([&, i] {
            auto r = kiosk_redeem(d, k, token, json::array({{{"sku", "RACE"}, {"qty", 5}}}),
                                  "race-key-" + std::to_string(i));
            if (r.status == 201)
                ++created;
            else if (r.error_code() == "token_invalid")
                ++invalid;
            else
                ++other;
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(created, 1);
    EXPECT_EQ(invalid, kRacers - 1);
    EXPECT_EQ(other, 0);
    EXPECT_EQ(balance_of(d, resident.token), 95);
    EXPECT_EQ(stock_of(d, "RACE"), 995);
    const auto check = run_ledger_check(d.data_dir());
    EXPECT_EQ(check.exit_code, 0) << check.output;
}

TEST(RedemptionConcurrency, ManyTokensDrainingOneBalanceNeverOverdraw) {
    Daemon d;
    add_reward(d, "DRAIN", 30, 1000);
    const auto k = register_kiosk(d);
    const auto resident = resident_with(d, "13500000008", 100);
    constexpr int kRacers = 12;
    std::vector<std::string> tokens;
    for (int i = 0; i < kRacers; ++i) tokens.push_back(redeem_token(d, resident.token));
    std::atomic<int> created{0}, insufficient{0}, other{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kRacers; ++i)
        threads.emplace_back([&, i] {
            auto r = kiosk_redeem(d, k, tokens[static_cast<std::size_t>(i)],
                                  json::array({{{"sku", "DRAIN"}, {"qty", 1}}}), "drain-key-" + std::to_string(i));
            if (r.status == 201) {
                ++created;
                EXPECT_GE(r.json()["balance_after"].get<std::int64_t>(), 0);
            } else if (r.error_code() == "insufficient_points") {
                ++insufficient;
            } else {
                ++other;
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(created, 3);
    EXPECT_EQ(insufficient, kRacers - 3);
    EXPECT_EQ(other, 0);
    EXPECT_EQ(balance_of(d, resident.token), 10);
    EXPECT_EQ(stock_of(d, "DRAIN"), 997);
    d.stop();
    const auto check = run_ledger_check(d.data_dir());
    EXPECT_EQ(check.exit_code, 0) << check.output;
}

}  // namespace
