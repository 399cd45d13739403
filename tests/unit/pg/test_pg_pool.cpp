// The pool: one transaction per job, retries of serialization failures and deadlocks within a
// bound, reconnection after the server ended a connection, waits when every connection is busy.
#include "server/store/pg/pg_pool.hpp"
#include "tests/unit/pg/pg_support.hpp"

#include <atomic>
#include <chrono>
#include <latch>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace civic::store::pg;
using civic::test::PgTest;
using civic::test::scalar;

namespace {

class PgPool : public PgTest {
protected:
    void SetUp() override {
        auto c = connect();
        c->exec(
            "CREATE TABLE doctors (name TEXT PRIMARY KEY, on_call BIGINT NOT NULL);"
            "INSERT INTO doctors VALUES ('alice', 1), ('bob', 1);"
            "CREATE TABLE kv (k TEXT PRIMARY KEY, v BIGINT NOT NULL);"
            "INSERT INTO kv VALUES ('a', 0), ('b', 0);");
    }
    PoolOptions options(std::size_t max = 4) const {
        PoolOptions o;
        o.conninfo = conninfo();
        o.max_connections = max;
        o.backoff_initial = std::chrono::milliseconds(1);
        o.backoff_max = std::chrono::milliseconds(5);
        return o;
    }
    static std::int64_t on_call(Conn& c) { return scalar(c, "SELECT count(*) FROM doctors WHERE on_call = 1"); }
    // Waits, without timing anything, until the backend is gone from pg_stat_activity.
    void wait_until_gone(int pid) {
        auto admin = connect();
        for (int i = 0; i < 5000; ++i) {
            auto q = admin->query("SELECT count(*) FROM pg_stat_activity WHERE pid = ?");
            q.args(pid);
            q.next();
            if (q.int64(0) == 0) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        FAIL() << "backend " << pid << " still there";
    }
};

}  // namespace

// The classic write skew: two doctors on call, each may go off call if the other stays. Under
// SERIALIZABLE both transactions read "2 on call" before either writes; PostgreSQL fails one with
// 40001, the pool runs it again, and the second run sees the first's commit and leaves bob on.
TEST_F(PgPool, RetriesASerializationFailure) {
    Pool pool(options());
    std::latch both_read(2);
    std::atomic<int> runs{0};
    auto go_off_call = [&](const char* who) {
        return pool.run(
            [&, who](Conn& c) {
                const int run = ++runs;
                const auto n = on_call(c);
                if (run <= 2) both_read.arrive_and_wait();  // only the first run of each races
                if (n < 2) return false;
                c.query("UPDATE doctors SET on_call = 0 WHERE name = ?").args(who).run();
                return true;
            },
            TxOptions{Isolation::serializable});
    };
    bool alice = false, bob = false;
    std::thread t1([&] { alice = go_off_call("alice"); });
    std::thread t2([&] { bob = go_off_call("bob"); });
    t1.join();
    t2.join();
    EXPECT_NE(alice, bob) << "exactly one went off call";
    EXPECT_EQ(runs.load(), 3);
    EXPECT_EQ(pool.stats().retries.load(), 1);
    EXPECT_EQ(pool.stats().gave_up.load(), 0);
    EXPECT_EQ(pool.stats().jobs.load(), 2);
    auto c = connect();
    EXPECT_EQ(on_call(*c), 1);
}

TEST_F(PgPool, GivesUpAfterTheBound) {
    auto o = options();
    o.max_attempts = 3;
    Pool pool(o);
    int runs = 0;
    try {
        pool.run([&](Conn& c) {
            ++runs;
            c.query("UPDATE kv SET v = v + 1 WHERE k = 'a'").run();
            // As PostgreSQL reports a serialization failure: SQLSTATE 40001.
            c.exec("DO $$ BEGIN RAISE EXCEPTION 'forced' USING ERRCODE = 'serialization_failure'; END $$");
        });
        FAIL() << "no error";
    } catch (const PgError& e) {
        EXPECT_TRUE(e.serialization_failure());
        EXPECT_TRUE(e.retryable());
    }
    EXPECT_EQ(runs, 3);
    EXPECT_EQ(pool.stats().retries.load(), 2);
    EXPECT_EQ(pool.stats().gave_up.load(), 1);
    EXPECT_EQ(pool.stats().jobs.load(), 0);
    EXPECT_EQ(scalar(*connect(), "SELECT v FROM kv WHERE k = 'a'"), 0) << "every run was rolled back";
    EXPECT_EQ(pool.stats().in_use.load(), 0);
}

// Two jobs lock a and b in opposite orders; PostgreSQL's deadlock detector (deadlock_timeout is
// 100 ms in the test cluster) fails one with 40P01; the pool runs it again and both complete.
TEST_F(PgPool, RetriesADeadlock) {
    Pool pool(options());
    std::latch both_locked(2);
    std::atomic<int> runs{0};
    auto job = [&](const char* first, const char* second) {
        pool.run([&, first, second](Conn& c) {
            const int run = ++runs;
            c.query("UPDATE kv SET v = v + 1 WHERE k = ?").args(first).run();
            if (run <= 2) both_locked.arrive_and_wait();
            c.query("UPDATE kv SET v = v + 1 WHERE k = ?").args(second).run();
        });
    };
    std::thread t1([&] { job("a", "b"); });
    std::thread t2([&] { job("b", "a"); });
    t1.join();
    t2.join();
    // At least one run was the deadlock's victim; on a loaded machine a retried run can meet the
    // other job again, so the count is not pinned to exactly one.
    EXPECT_GE(pool.stats().retries.load(), 1);
    EXPECT_EQ(runs.load(), 2 + pool.stats().retries.load());
    EXPECT_EQ(pool.stats().gave_up.load(), 0);
    EXPECT_EQ(pool.stats().jobs.load(), 2);
    EXPECT_EQ(scalar(*connect(), "SELECT sum(v) FROM kv"), 4);
}

TEST_F(PgPool, UniqueViolationIsNotRetried) {
    Pool pool(options());
    int runs = 0;
    try {
        pool.run([&](Conn& c) {
            ++runs;
            c.query("INSERT INTO kv VALUES ('a', 1)").run();
        });
        FAIL() << "no error";
    } catch (const PgError& e) {
        EXPECT_TRUE(e.unique_violation());
    }
    EXPECT_EQ(runs, 1);
    EXPECT_EQ(pool.stats().retries.load(), 0);
}

TEST_F(PgPool, LockTimeoutIsReportedNotRetried) {
    auto o = options();
    o.lock_timeout_ms = 50;
    Pool pool(o);
    auto holder = connect();
    holder->exec("BEGIN; UPDATE kv SET v = 1 WHERE k = 'a'");
    int runs = 0;
    try {
        pool.run([&](Conn& c) {
            ++runs;
            c.query("UPDATE kv SET v = 2 WHERE k = 'a'").run();
        });
        FAIL() << "no error";
    } catch (const PgError& e) {
        EXPECT_TRUE(e.lock_timeout()) << e.sqlstate();
        EXPECT_TRUE(e.busy());
    }
    EXPECT_EQ(runs, 1);
    holder->exec("ROLLBACK");
}

// The server ends the pool's idle connection (pg_terminate_backend, as a failover or an
// administrator would): the next job gets a new connection and succeeds.
TEST_F(PgPool, ReconnectsAfterTheBackendWasKilled) {
    Pool pool(options(1));
    const int first = pool.run([](Conn& c) { return c.backend_pid(); });
    {
        auto admin = connect();
        auto q = admin->query("SELECT pg_terminate_backend(?::int)");
        q.args(first);
        ASSERT_TRUE(q.next());
        EXPECT_EQ(q.text(0), "t");
    }
    wait_until_gone(first);
    const int second = pool.run([](Conn& c) {
        c.query("UPDATE kv SET v = v + 1 WHERE k = 'a'").run();
        return c.backend_pid();
    });
    EXPECT_NE(second, first);
    EXPECT_EQ(pool.stats().reconnects.load(), 1);
    // Noticed when leased: the dead connection had its FATAL message waiting (its EOF may come a
    // moment after the backend left pg_stat_activity), so the job itself never failed.
    EXPECT_EQ(pool.stats().retries.load(), 0);
    EXPECT_EQ(pool.stats().open.load(), 1);
    EXPECT_EQ(pool.stats().jobs.load(), 2);
}

// A connection lost in the middle of a job (before COMMIT was sent) rolled everything back on the
// server, so the job is run again on a fresh connection.
TEST_F(PgPool, RerunsAJobWhoseConnectionBrokeBeforeCommit) {
    Pool pool(options(2));
    int runs = 0;
    const int pid = pool.run([&](Conn& c) {
        ++runs;
        c.query("UPDATE kv SET v = v + 10 WHERE k = 'b'").run();
        if (runs == 1) {
            c.exec("SELECT pg_terminate_backend(pg_backend_pid())");  // the server ends us mid-job
        }
        return c.backend_pid();
    });
    EXPECT_EQ(runs, 2);
    EXPECT_GT(pid, 0);
    EXPECT_EQ(pool.stats().retries.load(), 1);
    EXPECT_GE(pool.stats().reconnects.load(), 1);
    EXPECT_EQ(scalar(*connect(), "SELECT v FROM kv WHERE k = 'b'"), 10) << "applied exactly once";
}

TEST_F(PgPool, WaitsForAFreeConnectionAndTimesOut) {
    auto o = options(1);
    o.acquire_timeout = std::chrono::milliseconds(50);
    Pool pool(o);
    {
        auto held = pool.acquire();
        EXPECT_EQ(pool.stats().in_use.load(), 1);
        try {
            pool.run([](Conn&) {});
            FAIL() << "got a second connection from a pool of one";
        } catch (const PgError& e) {
            EXPECT_TRUE(e.unavailable());
            EXPECT_EQ(e.sqlstate(), PgError::kPoolExhausted);
        }
        EXPECT_EQ(pool.stats().waits.load(), 1);
        EXPECT_EQ(pool.stats().wait_timeouts.load(), 1);
    }
    // Freed: a waiter gets it.
    std::latch holding(1);
    std::thread t;
    {
        auto o2 = options(1);
        o2.acquire_timeout = std::chrono::seconds(30);
        Pool pool2(o2);
        auto held = std::make_unique<Pool::Lease>(pool2.acquire());
        t = std::thread([&] {
            holding.count_down();
            pool2.run([](Conn& c) { c.query("UPDATE kv SET v = v + 1 WHERE k = 'a'").run(); });
        });
        holding.wait();
        // Give the lease back only once the other thread waits for it (or has already timed out,
        // which would fail the run below).
        while (pool2.stats().waits.load() == 0) std::this_thread::yield();
        held.reset();
        t.join();
        EXPECT_EQ(pool2.stats().jobs.load(), 1);
        EXPECT_EQ(pool2.stats().wait_timeouts.load(), 0);
    }
}

TEST_F(PgPool, ManyJobsShareTheBoundedConnections) {
    Pool pool(options(3));
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 25; ++i)
                pool.run([](Conn& c) { c.query("UPDATE kv SET v = v + 1 WHERE k = 'a'").run(); });
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_LE(pool.stats().open.load(), 3);
    EXPECT_EQ(pool.stats().in_use.load(), 0);
    EXPECT_EQ(pool.stats().jobs.load(), 200);
    EXPECT_EQ(scalar(*connect(), "SELECT v FROM kv WHERE k = 'a'"), 200);
}

TEST_F(PgPool, FiguresForMetrics) {
    Pool pool(options(2));
    pool.run([](Conn& c) { c.query("UPDATE kv SET v = v + 1 WHERE k = 'a'").run(); });
    std::string page;
    append_metrics(pool.stats(), page);
    EXPECT_NE(page.find("# TYPE civicsnap_pg_connections_in_use gauge\ncivicsnap_pg_connections_in_use 0\n"),
              std::string::npos)
        << page;
    EXPECT_NE(page.find("civicsnap_pg_jobs_total 1\n"), std::string::npos) << page;
    EXPECT_NE(page.find("civicsnap_pg_retries_total 0\n"), std::string::npos) << page;
    EXPECT_NE(page.find("civicsnap_pg_waits_total 0\n"), std::string::npos) << page;
}

TEST_F(PgPool, AJobThatThrowsIsRolledBackAndItsConnectionReused) {
    Pool pool(options(1));
    EXPECT_THROW(pool.run([](Conn& c) {
        c.query("UPDATE kv SET v = 99 WHERE k = 'a'").run();
        throw std::runtime_error("domain says no");
    }),
                 std::runtime_error);
    const auto v = pool.run([](Conn& c) { return scalar(c, "SELECT v FROM kv WHERE k = 'a'"); });
    EXPECT_EQ(v, 0);
    EXPECT_EQ(pool.stats().open.load(), 1);
    EXPECT_EQ(pool.stats().reconnects.load(), 0);
    EXPECT_EQ(pool.stats().retries.load(), 0);
}

// The connection breaks while COMMIT is in flight (a deferred trigger ends the backend at commit
// time): whether the transaction committed is unknown to the client, so the job is not run again
// and the caller hears "unavailable".
TEST_F(PgPool, AConnectionLostDuringCommitIsNotRetried) {
    {
        auto c = connect();
        c->exec(
            "CREATE FUNCTION die_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "PERFORM pg_terminate_backend(pg_backend_pid()); RETURN NULL; END $$;"
            "CREATE CONSTRAINT TRIGGER die AFTER UPDATE ON kv DEFERRABLE INITIALLY DEFERRED "
            "FOR EACH ROW EXECUTE FUNCTION die_at_commit();");
    }
    Pool pool(options(1));
    int runs = 0;
    try {
        pool.run([&](Conn& c) {
            ++runs;
            c.query("UPDATE kv SET v = v + 1 WHERE k = 'a'").run();
        });
        FAIL() << "commit succeeded";
    } catch (const PgError& e) {
        EXPECT_TRUE(e.unavailable()) << e.sqlstate() << " " << e.what();
    }
    EXPECT_EQ(runs, 1);
    EXPECT_EQ(pool.stats().retries.load(), 0);
    EXPECT_EQ(pool.stats().reconnects.load(), 1);
}

// A connection that cannot be opened gives its place in the pool back: a pool of one refused
// three times (the database takes no connections) is not left "full" of failed attempts, and
// opens a connection as soon as the database takes them again.
TEST_F(PgPool, AFailedConnectGivesItsPlaceBack) {
    const auto& cluster = civic::test::pg_cluster();
    cluster.admin("ALTER DATABASE " + db().name() + " ALLOW_CONNECTIONS false");
    auto o = options(1);
    o.acquire_timeout = std::chrono::milliseconds(50);
    Pool pool(o);
    for (int i = 0; i < 3; ++i) {
        try {
            pool.run([](Conn&) {});
            FAIL() << "connected to a database that takes no connections";
        } catch (const PgError& e) {
            EXPECT_TRUE(e.unavailable()) << e.what();
            EXPECT_NE(e.sqlstate(), PgError::kPoolExhausted) << "a failed connect kept its place: " << e.what();
        }
    }
    EXPECT_EQ(pool.stats().connect_failures.load(), 3);
    EXPECT_EQ(pool.stats().wait_timeouts.load(), 0);
    EXPECT_EQ(pool.stats().open.load(), 0);
    cluster.admin("ALTER DATABASE " + db().name() + " ALLOW_CONNECTIONS true");
    pool.run([](Conn& c) { c.query("UPDATE kv SET v = v + 1 WHERE k = 'a'").run(); });
    EXPECT_EQ(pool.stats().jobs.load(), 1);
    EXPECT_EQ(pool.stats().open.load(), 1);
}

// A job that commits by itself would leave what it writes after outside any transaction, applied
// again by a rerun: refused when it returns, and not retried.
TEST_F(PgPool, AJobThatEndsItsTransactionIsRefused) {
    Pool pool(options(1));
    int runs = 0;
    try {
        pool.run([&](Conn& c) {
            ++runs;
            c.exec("COMMIT");
        });
        FAIL() << "a job ended its own transaction unnoticed";
    } catch (const PgError& e) {
        EXPECT_EQ(e.sqlstate(), PgError::kClient) << e.what();
    }
    EXPECT_EQ(runs, 1);
    EXPECT_EQ(pool.stats().jobs.load(), 0);
    EXPECT_THROW(pool.run([](Conn& c) { c.exec("ROLLBACK"); }), PgError);
    // The connection is still good for the next job.
    EXPECT_EQ(pool.run([](Conn& c) { return scalar(c, "SELECT 1"); }), 1);
    EXPECT_EQ(pool.stats().reconnects.load(), 0);
}

// A private cluster, restarted under the pool (pg_ctl restart -m fast ends every connection):
// the idle connections are noticed dead and replaced, and the next job just works.
TEST(PgPoolRestart, SurvivesAServerRestart) {
    auto cluster = civic::test::PgCluster::start();
    PoolOptions o;
    o.conninfo = cluster->conninfo("postgres");
    o.max_connections = 3;
    Pool pool(o);
    {
        std::vector<Pool::Lease> leases;
        for (int i = 0; i < 3; ++i) leases.push_back(pool.acquire());
    }
    EXPECT_EQ(pool.stats().open.load(), 3);
    cluster->restart();
    const auto one = pool.run([](Conn& c) { return scalar(c, "SELECT 1"); });
    EXPECT_EQ(one, 1);
    EXPECT_EQ(pool.stats().reconnects.load(), 3);
    EXPECT_EQ(pool.stats().retries.load(), 0);
    EXPECT_EQ(pool.stats().open.load(), 1);
    // While the server is down, a job fails fast with "unavailable".
    cluster->stop();
    try {
        pool.run([](Conn& c) { c.exec("SELECT 1"); });
        FAIL() << "ran against a stopped server";
    } catch (const PgError& e) {
        EXPECT_TRUE(e.unavailable()) << e.sqlstate() << " " << e.what();
    }
}
