// The domain's rules under true concurrency (issue 13, item 2; docs/postgresql.md "Concurrency:
// what each rule rests on"). Each test races one domain operation from many threads over two
// pools — two nodes' worth of connections to one database — through run_pg_job at READ
// COMMITTED, the daemon's write isolation. A barrier inside the job (first run only) lines the
// racers up after BEGIN, so their reads overlap; nothing here sleeps. Each test states the one
// outcome a single writer would give, whatever the interleaving.
#include "common/crypto.hpp"
#include "common/errors.hpp"
#include "common/time.hpp"
#include "server/api/idempotency.hpp"
#include "server/domain/accounts.hpp"
#include "server/domain/caller.hpp"
#include "server/domain/kiosk_auth.hpp"
#include "server/domain/kiosks.hpp"
#include "server/domain/ledger.hpp"
#include "server/domain/open311.hpp"
#include "server/domain/redemption.hpp"
#include "server/domain/reports.hpp"
#include "server/store/accounts_repo.hpp"
#include "server/store/city_repo.hpp"
#include "server/store/commit_epoch.hpp"
#include "server/store/kiosk_repo.hpp"
#include "server/store/ledger_repo.hpp"
#include "server/store/pg_backend.hpp"
#include "server/store/pg_jobs.hpp"
#include "server/store/rate_limit_repo.hpp"
#include "server/store/redemption_repo.hpp"
#include "server/store/reports_repo.hpp"
#include "server/store/stock_repo.hpp"
#include "tests/unit/pg/pg_support.hpp"

#include <atomic>
#include <barrier>
#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace store = civic::store;
namespace pg = civic::store::pg;
namespace domain = civic::domain;
namespace ledger = civic::domain::ledger;
using civic::ApiError;

namespace {

constexpr std::int64_t kNow = 1'750'000'000;  // a fixed instant; nothing here reads the clock
constexpr int kPools = 2;                     // two nodes over one database

// What one racer's job came to: its value, or the error it ended with.
struct Outcome {
    std::int64_t value = 0;
    std::string error;  // "" = success; an ApiError's code, or "db:<SQLSTATE> <message>"
};

domain::ActionRequest accept() {
    domain::ActionRequest a;
    a.action = "accept";
    return a;
}

std::map<std::string, int> tally(const std::vector<Outcome>& outcomes) {
    std::map<std::string, int> counts;
    for (const auto& o : outcomes) ++counts[o.error.empty() ? "ok" : o.error];
    return counts;
}

class PgRaces : public civic::test::PgTest {
protected:
    // Setup and checks: one transaction on a connection of its own.
    template <class F>
    auto setup(F&& fn) {
        auto conn = store::own_postgresql(connect());
        conn->exec("BEGIN");
        if constexpr (std::is_void_v<std::invoke_result_t<F&, store::Conn&>>) {
            fn(*conn);
            conn->commit();
        } else {
            auto result = fn(*conn);
            conn->commit();
            return result;
        }
    }

    // Runs `job(i, conn)` for i in [0, racers) at once: racer i on thread i, through pool i % 2.
    // `attempts`: how often a job that failed with a deadlock or serialization failure runs; 1 makes
    // such a failure the racer's outcome ("db:40P01 …").
    std::vector<Outcome> race(int racers, const std::function<std::int64_t(int, store::Conn&)>& job,
                              int attempts = 20) {
        std::vector<std::unique_ptr<pg::Pool>> pools;
        for (int p = 0; p < kPools; ++p) {
            pg::PoolOptions o;
            o.conninfo = conninfo();
            o.max_connections = static_cast<std::size_t>((racers + kPools - 1) / kPools);
            o.max_attempts = attempts;  // by default deadlocks and serialization failures are retried
            o.application_name = "civic-race-" + std::to_string(p);
            pools.push_back(std::make_unique<pg::Pool>(o));
        }
        std::barrier line_up(racers);
        std::vector<Outcome> outcomes(static_cast<std::size_t>(racers));
        std::vector<std::thread> threads;
        for (int i = 0; i < racers; ++i) {
            threads.emplace_back([&, i] {
                bool lined_up = false;  // a rerun of the job must not wait for the others again
                auto& out = outcomes[static_cast<std::size_t>(i)];
                try {
                    out.value = store::run_pg_job(*pools[static_cast<std::size_t>(i % kPools)], [&](store::Conn& c) {
                        c.query("SELECT 1").run();  // the transaction has begun on its connection
                        if (!lined_up) {
                            lined_up = true;
                            line_up.arrive_and_wait();
                        }
                        return job(i, c);
                    });
                } catch (const ApiError& e) {
                    out.error = e.code();
                } catch (const store::DbError& e) {
                    out.error = "db:" + e.engine_code() + " " + e.what();
                }
                if (!lined_up) line_up.arrive_and_drop();  // failed before the line: do not hold the others
            });
        }
        for (auto& t : threads) t.join();
        return outcomes;
    }

    std::int64_t user(store::Conn& c, const std::string& phone, const std::string& role = "resident") {
        return store::insert_user(c, store::UserRow{0, phone, "hash", "name " + phone, role, kNow, {}});
    }
    std::int64_t report(store::Conn& c, std::int64_t reporter, const std::string& status) {
        store::ReportRow r;
        r.status = status;
        r.category = "road";
        r.description = "pothole";
        r.lat = 31.2;
        r.lon = 121.5;
        r.reporter_id = reporter;
        r.created_at = r.updated_at = kNow;
        return store::insert_report(c, r);
    }
    domain::Caller staff(domain::Role role, const std::string& phone) {
        domain::Caller who;
        who.role = role;
        who.phone = phone;
        who.user_id = setup([&](store::Conn& c) { return user(c, phone, std::string(domain::to_string(role))); });
        return who;
    }
    std::int64_t balance(std::int64_t user_id) {
        return setup([&](store::Conn& c) { return ledger::standing(c, user_id).balance; });
    }
    void expect_ledger_consistent() {
        setup([](store::Conn& c) {
            const auto problems = ledger::check_invariants(c);
            EXPECT_TRUE(problems.empty()) << problems.front();
        });
    }
};

// Twenty dispatchers accept twenty reports of one resident on one day at once: exactly the daily
// cap is paid, whichever accepts get it (API.md §5). Also the first-use account, created by the
// first payment.
TEST_F(PgRaces, TwentyConcurrentAcceptsPayExactlyTheDailyCap) {
    constexpr int kAccepts = 20;
    constexpr std::int64_t kPoints = 10, kCap = 35;  // 3½ accepts' worth: one is paid in part
    std::vector<std::int64_t> reports;
    const auto resident = setup([&](store::Conn& c) {
        store::insert_category(c, store::CategoryRow{"road", "Road", 24, kPoints, 0, "hours"}, kNow);
        const auto u = user(c, "13800000001");
        for (int i = 0; i < kAccepts; ++i) reports.push_back(report(c, u, "submitted"));
        return u;
    });
    const auto dispatcher = staff(domain::Role::dispatcher, "13700000001");
    const auto outcomes = race(kAccepts, [&](int i, store::Conn& c) {
        return domain::apply_action(c, dispatcher, reports[static_cast<std::size_t>(i)], accept(), kNow, kCap)
            .points_awarded;
    });
    std::int64_t paid = 0;
    for (const auto& o : outcomes) paid += o.value;
    EXPECT_EQ(tally(outcomes), (std::map<std::string, int>{{"ok", kAccepts}}));
    EXPECT_EQ(paid, kCap);
    EXPECT_EQ(balance(resident), kCap);
    setup([&](store::Conn& c) {
        EXPECT_EQ(store::daily_earned(c, resident, civic::timefmt::shanghai_day(kNow)), kCap);
        const auto standing = store::find_standing(c, resident);
        EXPECT_EQ(standing.reports_accepted, kAccepts) << "merit counts every report, paid or not";
        EXPECT_EQ(standing.lifetime_earned, kCap);
    });
    expect_ledger_consistent();
}

// Two dispatchers accept one report at once: one accept, the other refused as a transition from
// the status the first left; the report's reward is paid once.
TEST_F(PgRaces, TwoAcceptsOfOneTicketPayOnce) {
    std::int64_t ticket = 0;
    const auto resident = setup([&](store::Conn& c) {
        store::insert_category(c, store::CategoryRow{"road", "Road", 24, 10, 0, "hours"}, kNow);
        const auto u = user(c, "13800000008");
        ticket = report(c, u, "submitted");
        return u;
    });
    const auto dispatcher = staff(domain::Role::dispatcher, "13700000002");
    const auto outcomes = race(2, [&](int, store::Conn& c) {
        return domain::apply_action(c, dispatcher, ticket, accept(), kNow, 100).points_awarded;
    });
    EXPECT_EQ(tally(outcomes), (std::map<std::string, int>{{"ok", 1}, {"invalid_transition", 1}}));
    EXPECT_EQ(balance(resident), 10);
    setup([&](store::Conn& c) { EXPECT_EQ(store::list_events(c, ticket).size(), 1u) << "one accept event"; });
    expect_ledger_consistent();
}

// A resident without a ledger account yet, credited by many at once: one account, every credit in it.
TEST_F(PgRaces, FirstUseLedgerAccountIsCreatedOnce) {
    constexpr int kCredits = 8;
    const auto resident = setup([&](store::Conn& c) { return user(c, "13800000002"); });
    const auto outcomes = race(kCredits, [&](int, store::Conn& c) {
        return ledger::adjust(c, resident, 5, "welcome", resident, kNow).balance_after;
    });
    EXPECT_EQ(tally(outcomes), (std::map<std::string, int>{{"ok", kCredits}}));
    EXPECT_EQ(balance(resident), 5 * kCredits);
    setup([&](store::Conn& c) {
        auto q = c.query("SELECT count(*) FROM ledger_accounts WHERE kind = 'resident'");
        ASSERT_TRUE(q.next());
        EXPECT_EQ(q.int64(0), 1);
    });
    expect_ledger_consistent();
}

// Ten spends of 30 from a balance of 100: three succeed, seven are refused as insufficient_points
// (not a database error), and the balance never goes below zero.
TEST_F(PgRaces, ConcurrentSpendsNeverOverdraw) {
    constexpr int kSpends = 10;
    const auto resident = setup([&](store::Conn& c) {
        const auto u = user(c, "13800000003");
        ledger::adjust(c, u, 100, "seed", u, kNow);
        return u;
    });
    const auto outcomes = race(kSpends, [&](int i, store::Conn& c) {
        return i % 2 == 0 ? ledger::donate(c, resident, "charity", 30, kNow).balance_after
                          : ledger::spend(c, resident, ledger::kHonourSink, 30, "honour_exchange", "reward:x", kNow)
                                .balance_after;
    });
    EXPECT_EQ(tally(outcomes), (std::map<std::string, int>{{"ok", 3}, {"insufficient_points", 7}}));
    EXPECT_EQ(balance(resident), 10);
    expect_ledger_consistent();
}

// One Idempotency-Key raced: one effect, and every other racer gets the same stored response,
// marked as a replay (API.md §0).
TEST_F(PgRaces, OneIdempotencyKeyRacedHasOneEffectAndReplays) {
    constexpr int kAttempts = 10;
    const auto resident = setup([&](store::Conn& c) {
        const auto u = user(c, "13800000004");
        ledger::adjust(c, u, 100, "seed", u, kNow);
        return u;
    });
    const civic::api::Idempotency id{"user:" + std::to_string(resident), "key-race-0001", "fingerprint"};
    std::vector<civic::http::Response> responses(kAttempts);
    const auto outcomes = race(kAttempts, [&](int i, store::Conn& c) {
        auto response = civic::api::run_idempotent(c, id, kNow, [&](store::Conn& op) {
            const auto posted = ledger::donate(op, resident, "charity", 7, kNow);
            civic::http::Response r;
            r.status = 201;
            r.content_type = "application/json";
            r.body = "{\"id\":" + std::to_string(posted.transfer_id) + "}";
            return r;
        });
        responses[static_cast<std::size_t>(i)] = response;
        return std::int64_t{response.status};
    });
    EXPECT_EQ(tally(outcomes), (std::map<std::string, int>{{"ok", kAttempts}}));
    int replays = 0;
    for (const auto& r : responses) {
        EXPECT_EQ(r.status, 201);
        EXPECT_EQ(r.body, responses.front().body) << "every attempt answers with the one stored response";
        for (const auto& [name, value] : r.headers) replays += name == "Idempotent-Replayed" && value == "true";
    }
    EXPECT_EQ(replays, kAttempts - 1);
    EXPECT_EQ(balance(resident), 93) << "one donation of 7";
    expect_ledger_consistent();
}

// A key answered before, asked again: a job's first run claims its key only with its answer,
// after the operation (store::claims_with_answer), so it meets the stored answer there. Its claim
// fails as a serialization failure, nothing of that run is kept, and the next run claims first
// and replays the answer — or refuses a different request under the key (API.md §0). Past the
// window a first run claims the key afresh, in one run.
TEST_F(PgRaces, AFirstRunMeetingAnAnsweredKeyKeepsNothingAndReplays) {
    const auto resident = setup([&](store::Conn& c) {
        const auto u = user(c, "13800000005");
        ledger::adjust(c, u, 100, "seed", u, kNow);
        return u;
    });
    pg::PoolOptions o;
    o.conninfo = conninfo();
    o.max_connections = 1;
    pg::Pool pool(o);
    struct Done {
        civic::http::Response response;
        int runs = 0;
    };
    const auto donate = [&](const std::string& fingerprint, std::int64_t now) {
        const civic::api::Idempotency id{"user:" + std::to_string(resident), "key-again-0001", fingerprint};
        Done done;
        done.response = store::run_pg_job(pool, [&](store::Conn& c) {
            ++done.runs;
            return civic::api::run_idempotent(c, id, now, [&](store::Conn& op) {
                civic::http::Response r;
                r.status = 201;
                r.body = std::to_string(ledger::donate(op, resident, "charity", 7, now).transfer_id);
                return r;
            });
        });
        return done;
    };
    const auto replayed = [](const civic::http::Response& r) {
        for (const auto& [name, value] : r.headers)
            if (name == "Idempotent-Replayed" && value == "true") return true;
        return false;
    };
    const auto first = donate("fp", kNow);
    EXPECT_EQ(first.runs, 1) << "a fresh key: claimed with the answer";
    EXPECT_FALSE(replayed(first.response));

    const auto again = donate("fp", kNow + 60);
    EXPECT_EQ(again.runs, 2) << "the first run's claim met the answer; the second replayed it";
    EXPECT_TRUE(replayed(again.response));
    EXPECT_EQ(again.response.body, first.response.body);
    EXPECT_EQ(pool.stats().retries.load(), 1);
    EXPECT_EQ(balance(resident), 93) << "one donation of 7: the first run's was not kept";

    EXPECT_THROW(
        {
            try {
                donate("another request", kNow + 60);
            } catch (const ApiError& e) {
                EXPECT_EQ(e.status(), 409);
                throw;
            }
        },
        ApiError);
    EXPECT_EQ(balance(resident), 93);

    const auto later = donate("fp", kNow + civic::api::kIdempotencyWindowSeconds + 1);
    EXPECT_EQ(later.runs, 1) << "past the window the old answer is replaced in one run";
    EXPECT_FALSE(replayed(later.response));
    EXPECT_NE(later.response.body, first.response.body);
    EXPECT_EQ(balance(resident), 86);
    expect_ledger_consistent();
}

// Failed logins counted by many nodes at once lock the phone at exactly the threshold: four
// failures leave it open with four counted, five lock it (API.md §2).
TEST_F(PgRaces, ConcurrentFailedLoginsLockOutAtExactlyTheThreshold) {
    static_assert(domain::kMaxFailedLogins == 5);
    const std::vector<std::string> phones = {"13800000005", "13800000006"};
    const auto outcomes = race(4 + 5, [&](int i, store::Conn& c) {
        domain::record_login_failure(c, phones[i < 4 ? 0 : 1], kNow);
        return std::int64_t{0};
    });
    EXPECT_EQ(tally(outcomes), (std::map<std::string, int>{{"ok", 9}}));
    setup([&](store::Conn& c) {
        EXPECT_EQ(domain::lockout_remaining(c, phones[0], kNow), std::nullopt);
        EXPECT_EQ(store::find_lockout(c, phones[0])->failures, 4);
        EXPECT_EQ(domain::lockout_remaining(c, phones[1], kNow), domain::kLockoutSeconds);
    });
}

// Redemption fixtures: a goods reward and residents holding points and a token each.
struct Shop {
    std::int64_t kiosk = 0;
    std::vector<std::int64_t> residents;
    std::vector<std::string> tokens;
};

Shop open_shop(store::Conn& c, int residents, std::int64_t stock, std::int64_t points_each,
               const std::function<std::int64_t(store::Conn&, const std::string&)>& add_user) {
    Shop shop;
    store::insert_reward(c, store::RewardRow{"tea", "Tea", 10, stock, "goods"}, kNow);
    shop.kiosk = domain::create_kiosk(c, std::string(32, 'k'), "Kiosk", "Shop", kNow).id;
    for (int i = 0; i < residents; ++i) {
        const auto u = add_user(c, "1390000000" + std::to_string(i));
        ledger::adjust(c, u, points_each, "seed", u, kNow);
        shop.residents.push_back(u);
        shop.tokens.push_back(domain::issue_redeem_token(c, u, kNow).token);
    }
    return shop;
}

// One redeem token presented at once by many kiosk calls: used once.
TEST_F(PgRaces, ARedeemTokenIsUsedOnce) {
    constexpr int kTries = 8;
    const auto shop = setup([&](store::Conn& c) {
        return open_shop(c, 1, 10, 100, [&](store::Conn& conn, const std::string& p) { return user(conn, p); });
    });
    const auto outcomes = race(kTries, [&](int, store::Conn& c) {
        return domain::redeem(c, shop.kiosk, shop.tokens[0], {{"tea", 1}}, kNow).balance_after;
    });
    EXPECT_EQ(tally(outcomes), (std::map<std::string, int>{{"ok", 1}, {"token_invalid", kTries - 1}}));
    EXPECT_EQ(balance(shop.residents[0]), 90);
    setup([&](store::Conn& c) { EXPECT_EQ(store::find_reward(c, "tea")->stock, 9); });
    expect_ledger_consistent();
}

// Eight residents redeem the last three items at once: three get one, five hear out_of_stock,
// and the stock ends at zero, never below.
TEST_F(PgRaces, RewardStockNeverGoesBelowZero) {
    constexpr int kResidents = 8;
    const auto shop = setup([&](store::Conn& c) {
        return open_shop(c, kResidents, 3, 100, [&](store::Conn& conn, const std::string& p) { return user(conn, p); });
    });
    const auto outcomes = race(kResidents, [&](int i, store::Conn& c) {
        return domain::redeem(c, shop.kiosk, shop.tokens[static_cast<std::size_t>(i)], {{"tea", 1}}, kNow)
            .balance_after;
    });
    EXPECT_EQ(tally(outcomes), (std::map<std::string, int>{{"ok", 3}, {"out_of_stock", kResidents - 3}}));
    setup([&](store::Conn& c) { EXPECT_EQ(store::find_reward(c, "tea")->stock, 0); });
    expect_ledger_consistent();
}

// The kiosk API's shape of a redemption (kiosk_api.cpp): prepare_redemption, its answer stored
// under the Idempotency-Key, then finish_redemption takes the stock. Eight residents race for the
// last three items: the five that find the stock gone in finish must not keep the 201 stored
// before it — their key replays a 409 out_of_stock, and their points and codes are untouched.
TEST_F(PgRaces, AStockTakenAfterTheAnswerWasStoredRollsTheAnswerBack) {
    constexpr int kResidents = 8;
    const auto shop = setup([&](store::Conn& c) {
        return open_shop(c, kResidents, 3, 100, [&](store::Conn& conn, const std::string& p) { return user(conn, p); });
    });
    const auto key = [&](int i) {
        return civic::api::Idempotency{"kiosk:" + std::to_string(shop.kiosk), "redeem-" + std::to_string(i), "fp"};
    };
    const auto redeem_once = [&](int i, store::Conn& c) {
        std::optional<domain::PreparedRedemption> prepared;
        return civic::api::run_idempotent(
            c, key(i), kNow,
            [&](store::Conn& op) {
                prepared = domain::prepare_redemption(op, shop.kiosk, shop.tokens[static_cast<std::size_t>(i)],
                                                      {{"tea", 1}}, kNow);
                civic::http::Response r;
                r.status = 201;
                r.body = "{\"id\":" + std::to_string(prepared->result.redemption.id) + "}";
                return r;
            },
            [&](store::Conn& last) { domain::finish_redemption(last, *prepared, kNow); });
    };
    std::vector<civic::http::Response> answers(kResidents);
    race(kResidents, [&](int i, store::Conn& c) {
        answers[static_cast<std::size_t>(i)] = redeem_once(i, c);
        return std::int64_t{0};
    });
    int sold = 0;
    for (int i = 0; i < kResidents; ++i) {
        const auto& first = answers[static_cast<std::size_t>(i)];
        const auto again = setup([&](store::Conn& c) { return redeem_once(i, c); });
        EXPECT_EQ(again.status, first.status) << "the key replays what was answered";
        EXPECT_EQ(again.body, first.body);
        bool replayed = false;
        for (const auto& [name, value] : again.headers)
            replayed = replayed || (name == "Idempotent-Replayed" && value == "true");
        EXPECT_TRUE(replayed) << "stored, not run again";
        if (first.status == 201) {
            ++sold;
            EXPECT_EQ(balance(shop.residents[static_cast<std::size_t>(i)]), 90);
        } else {
            EXPECT_EQ(first.status, 409);
            EXPECT_NE(first.body.find("out_of_stock"), std::string::npos) << first.body;
            EXPECT_EQ(balance(shop.residents[static_cast<std::size_t>(i)]), 100) << "the debit rolled back";
            setup([&](store::Conn& c) {  // the code was not used up either
                EXPECT_EQ(domain::lookup_token(c, shop.tokens[static_cast<std::size_t>(i)], kNow).balance, 100);
            });
        }
    }
    EXPECT_EQ(sold, 3);
    setup([&](store::Conn& c) { EXPECT_EQ(store::find_reward(c, "tea")->stock, 0); });
    expect_ledger_consistent();
}

// The kiosk API's redemption job (kiosk_api.cpp) on PostgreSQL, in round trips: the signature's
// record with the reward's read, the code's use, its holder's balance locked and the redemption's
// id drawn; then the redemption's row, the debit, the key's claim with the answer, the stock, the
// line and the sink's credit with the COMMIT — two,
// counted in libpq's trace (the statements prepared by a first redemption, as on a pooled
// connection), and the key written once. (PgEngine adds nothing: it reads no epochs after a
// write that moved none, test_pg_engine.cpp.)
TEST_F(PgRaces, ARedemptionJobTakesTwoRoundTrips) {
    const auto shop = setup([&](store::Conn& c) {
        return open_shop(c, 2, 10, 100, [&](store::Conn& conn, const std::string& p) { return user(conn, p); });
    });
    auto conn = connect();
    auto front = store::borrow_postgresql(*conn);
    front->set_may_defer_savepoints(true);  // as run_pg_job sets them for a job's first run
    front->set_first_run(true);
    const auto redeem = [&](int i) {
        conn->exec_with_next("BEGIN");
        domain::record_signature(*front, shop.kiosk, {kNow, std::string(32, static_cast<char>('a' + i))});
        std::optional<domain::PreparedRedemption> prepared;
        const civic::api::Idempotency key{"kiosk:" + std::to_string(shop.kiosk), "redeem-" + std::to_string(i), "fp"};
        const auto answer = civic::api::run_idempotent(
            *front, key, kNow,
            [&](store::Conn& op) {
                prepared = domain::prepare_redemption(op, shop.kiosk, shop.tokens[static_cast<std::size_t>(i)],
                                                      {{"tea", 1}}, kNow);
                civic::http::Response r;
                r.status = 201;
                return r;
            },
            [&](store::Conn& last) { domain::finish_redemption(last, *prepared, kNow); });
        conn->commit();
        return answer.status;
    };
    EXPECT_EQ(redeem(0), 201);
    int status = 0;
    const auto sent = civic::test::client_messages(*conn, [&] { status = redeem(1); });
    EXPECT_EQ(status, 201);
    EXPECT_EQ(sent.syncs, 2);
    EXPECT_EQ(sent.simple_queries, 0);
    EXPECT_EQ(sent.text.find("SAVEPOINT"), std::string::npos) << "the answer's savepoint is not taken";
    EXPECT_EQ(sent.text.find("UPDATE idempotency_keys"), std::string::npos) << "the key is claimed with its answer";
    EXPECT_EQ(balance(shop.residents[1]), 90);
    setup([&](store::Conn& c) { EXPECT_EQ(store::find_reward(c, "tea")->stock, 8); });
    expect_ledger_consistent();
}

// A redemption voided by several calls at once: stock and points come back once.
TEST_F(PgRaces, ARedemptionIsVoidedOnce) {
    constexpr int kVoids = 6;
    std::int64_t redemption = 0;
    const auto shop = setup([&](store::Conn& c) {
        auto s = open_shop(c, 1, 10, 100, [&](store::Conn& conn, const std::string& p) { return user(conn, p); });
        redemption = domain::redeem(c, s.kiosk, s.tokens[0], {{"tea", 2}}, kNow).redemption.id;
        return s;
    });
    const auto outcomes = race(kVoids, [&](int, store::Conn& c) {
        return domain::void_redemption(c, shop.kiosk, redemption, kNow + 1).voided_at.value_or(0);
    });
    EXPECT_EQ(tally(outcomes), (std::map<std::string, int>{{"ok", kVoids}}));
    EXPECT_EQ(balance(shop.residents[0]), 100) << "the 20 points come back once";
    setup([&](store::Conn& c) { EXPECT_EQ(store::find_reward(c, "tea")->stock, 10); });
    expect_ledger_consistent();
}

// Redeems and voids of one resident at once, each on a reward of its own (so that no stock row
// orders them): every one succeeds at its first attempt. redeem and void_redemption take the
// resident's balance, then the stock, then the redemption sink; before, a redeem took the resident
// then the sink and a void the sink then the resident, and the two deadlocked (40P01).
TEST_F(PgRaces, RedeemsAndVoidsOfOneResidentNeverDeadlock) {
    constexpr int kPairs = 6;
    std::vector<std::int64_t> to_void;
    const auto shop = setup([&](store::Conn& c) {
        auto s = open_shop(c, 1, 100, 1000, [&](store::Conn& conn, const std::string& p) { return user(conn, p); });
        store::insert_reward(c, store::RewardRow{"cake", "Cake", 7, 100, "goods"}, kNow);
        for (int i = 0; i < 2 * kPairs; ++i)
            s.tokens.push_back(domain::issue_redeem_token(c, s.residents[0], kNow).token);
        for (int i = 0; i < kPairs; ++i)  // tea, 10 points each
            to_void.push_back(domain::redeem(c, s.kiosk, s.tokens[static_cast<std::size_t>(i + 1)], {{"tea", 1}}, kNow)
                                  .redemption.id);
        return s;
    });
    const auto outcomes = race(
        2 * kPairs,
        [&](int i, store::Conn& c) {
            if (i % 2 == 0)
                return domain::void_redemption(c, shop.kiosk, to_void[static_cast<std::size_t>(i / 2)], kNow + 1).id;
            return domain::redeem(c, shop.kiosk, shop.tokens[static_cast<std::size_t>(kPairs + 1 + i / 2)],
                                  {{"cake", 1}}, kNow + 1)
                .redemption.id;
        },
        1);
    EXPECT_EQ(tally(outcomes), (std::map<std::string, int>{{"ok", 2 * kPairs}}));
    EXPECT_EQ(balance(shop.residents[0]), 1000 - 7 * kPairs) << "every tea given back once, every cake paid";
    setup([&](store::Conn& c) {
        EXPECT_EQ(store::find_reward(c, "tea")->stock, 100);
        EXPECT_EQ(store::find_reward(c, "cake")->stock, 100 - kPairs);
    });
    expect_ledger_consistent();
}

// One signed kiosk request replayed at once on both nodes: accepted once (API.md §7).
TEST_F(PgRaces, AKioskSignatureIsAcceptedOnce) {
    constexpr int kReplays = 8;
    const std::string master(32, 'k');
    const auto kiosk = setup([&](store::Conn& c) { return domain::create_kiosk(c, master, "Kiosk", "Shop", kNow); });
    const std::string ts = std::to_string(kNow), body = "{}";
    const auto signature = domain::kiosk_signature(kiosk.secret, "POST", "/api/v1/kiosk/redeem", ts, body);
    const domain::SignedRequest req{kiosk.key_id, ts, signature, "POST", "/api/v1/kiosk/redeem", body};
    const auto outcomes =
        race(kReplays, [&](int, store::Conn& c) { return domain::authenticate_kiosk(c, master, req, kNow); });
    EXPECT_EQ(tally(outcomes), (std::map<std::string, int>{{"ok", 1}, {"unauthorized", kReplays - 1}}));
}

// One rate-limit bucket (schema/012) taken from at once on both nodes, starting with no row: the
// allowance is handed out exactly, never once more (API.md §1.1: rate limits count across nodes).
TEST_F(PgRaces, ConcurrentTakesFromOneBucketNeverExceedTheAllowance) {
    constexpr int kTakes = 12;
    constexpr std::int64_t kPerHour = 5;
    const auto outcomes = race(kTakes, [&](int, store::Conn& c) -> std::int64_t {
        return store::take_rate_token(c, "registrations", "203.0.113.7", kPerHour, kNow) ? 0 : 1;
    });
    std::int64_t taken = 0;
    for (const auto& o : outcomes) {
        EXPECT_EQ(o.error, "");
        taken += o.value;
    }
    EXPECT_EQ(taken, kPerHour);
    const auto left = setup([&](store::Conn& c) {
        auto q = c.query("SELECT tokens FROM rate_limit_buckets WHERE limiter = 'registrations'");
        q.next();
        return q.real(0);
    });
    EXPECT_EQ(left, 0.0);
}

// A partner's update id posted at once on both nodes: one comment; the others are told it was
// posted before and get its id (Open311 idempotency on update_id).
TEST_F(PgRaces, APartnerUpdateIdIsRecordedOnce) {
    constexpr int kPosts = 6;
    domain::open311::Partner partner;
    std::int64_t ticket = 0;
    setup([&](store::Conn& c) {
        store::insert_category(c, store::CategoryRow{"road", "Road", 24, 0, 0, "hours"}, kNow);
        const auto p = domain::open311::create_partner(c, "Partner", false, kNow);
        partner = *domain::open311::partner_for_key(c, p.api_key);
        ticket = report(c, partner.user_id, "submitted");
    });
    std::atomic<int> added{0};
    const auto outcomes = race(kPosts, [&](int, store::Conn& c) {
        const auto r =
            domain::open311::add_partner_comment(c, partner, {ticket, "upd-1", std::nullopt, "hi", {}}, kNow);
        added += r.added ? 1 : 0;
        return r.event_id;
    });
    EXPECT_EQ(tally(outcomes), (std::map<std::string, int>{{"ok", kPosts}}));
    for (const auto& o : outcomes) EXPECT_EQ(o.value, outcomes.front().value) << "one event id for the update";
    setup([&](store::Conn& c) { EXPECT_EQ(store::list_events(c, ticket).size(), 1u) << "one comment event"; });
}

// The reporter rates a resolved report twice at once: one rating, one event, the other refused.
TEST_F(PgRaces, ConcurrentActionsOnOneTicketDoNotLoseUpdates) {
    std::int64_t ticket = 0, reporter = 0;
    setup([&](store::Conn& c) {
        store::insert_category(c, store::CategoryRow{"road", "Road", 24, 0, 0, "hours"}, kNow);
        reporter = user(c, "13800000007");
        ticket = report(c, reporter, "resolved");
    });
    domain::Caller who;
    who.user_id = reporter;
    who.role = domain::Role::resident;
    const auto outcomes = race(2, [&](int i, store::Conn& c) {
        return domain::rate_report(c, who, ticket, 4 + i, std::nullopt, kNow).rating.value_or(0);
    });
    EXPECT_EQ(tally(outcomes), (std::map<std::string, int>{{"ok", 1}, {"invalid_transition", 1}}));
    setup([&](store::Conn& c) { EXPECT_EQ(store::list_events(c, ticket).size(), 1u) << "one rate event"; });
}

}  // namespace

namespace {

// Kiosk calls purge the signatures past their retention (now and then, on each node). Two calls on
// two nodes purging at once must not queue on each other's purge: the second finishes while the
// first is still open. (Before SKIP LOCKED, the second's DELETE waited for the first's commit and
// ran into its lock timeout.)
TEST_F(PgRaces, KioskCallsDoNotWaitForEachOthersPurge) {
    const std::string master(32, 'k');
    const auto kiosk = setup([&](store::Conn& c) {
        const auto k = domain::create_kiosk(c, master, "Kiosk", "Shop", kNow);
        for (int i = 0; i < 5; ++i)  // long past their retention
            store::remember_signature(c, k.id, std::string(32, static_cast<char>('a' + i)), kNow - 3600,
                                      [] { throw std::logic_error("a fresh signature taken for a replay"); });
        return k;
    });
    const std::string ts = std::to_string(kNow), body = "{}";
    auto signed_by = [&](const std::string& target) {
        return domain::kiosk_signature(kiosk.secret, "POST", target, ts, body);
    };
    const auto sig1 = signed_by("/one"), sig2 = signed_by("/two");
    const domain::SignedRequest first{kiosk.key_id, ts, sig1, "POST", "/one", body};
    const domain::SignedRequest second{kiosk.key_id, ts, sig2, "POST", "/two", body};

    pg::PoolOptions o;
    o.conninfo = conninfo();
    o.max_connections = 1;
    o.lock_timeout_ms = 2000;  // a wait for the first's commit ends here, as an error
    pg::Pool node_a(o), node_b(o);
    std::promise<void> first_purged, second_done;
    auto second_done_future = second_done.get_future();
    bool purged_told = false;
    auto tell_purged = [&] {
        if (!std::exchange(purged_told, true)) first_purged.set_value();
    };
    std::string first_error;
    std::thread a([&] {
        try {
            store::run_pg_job(node_a, [&](store::Conn& c) {
                domain::authenticate_kiosk(c, master, first, kNow);
                domain::forget_expired_signatures(c, kNow);
                tell_purged();
                // Held open until the second call is over (bounded: a failure cannot hang the run).
                EXPECT_EQ(second_done_future.wait_for(std::chrono::seconds(30)), std::future_status::ready);
                return 0;
            });
        } catch (const std::exception& e) {
            first_error = e.what();
        }
        tell_purged();
    });
    first_purged.get_future().wait();
    std::string error;
    try {
        store::run_pg_job(node_b, [&](store::Conn& c) {
            domain::forget_expired_signatures(c, kNow);
            return domain::authenticate_kiosk(c, master, second, kNow);
        });
    } catch (const std::exception& e) {
        error = e.what();
    }
    second_done.set_value();
    a.join();
    EXPECT_EQ(first_error, "");
    EXPECT_EQ(error, "") << "the second kiosk call waited for the first's purge";
    setup([&](store::Conn& c) {
        auto q = c.query("SELECT count(*) FROM kiosk_signatures_seen");
        ASSERT_TRUE(q.next());
        EXPECT_EQ(q.int64(0), 2) << "the old five purged, the two new kept";
    });
}

}  // namespace
