// Jobs on the I/O thread (store/pg_io_jobs.hpp): a PostgreSQL job run as a fiber waits for the
// server without blocking its thread, takes only an idle connection, backs off on the fiber, and
// unwinds without leaking when its io_context shuts down while it waits; PgEngine::write runs a
// job there once a connection is idle, on a job thread before.
#include "server/store/pg_database.hpp"
#include "server/store/pg_io_jobs.hpp"
#include "server/store/sqlite.hpp"  // store::Conn, the repositories' front
#include "tests/unit/pg/pg_support.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <optional>
#include <stdexcept>
#include <thread>

using namespace civic::store::pg;
using civic::store::run_as_fiber;
using civic::test::PgTest;
using civic::test::scalar;

namespace {

constexpr auto kNoAfter = [](Conn&) noexcept {};

class PgIoJobs : public PgTest {
protected:
    void SetUp() override {
        connect()->exec("CREATE TABLE kv (k TEXT PRIMARY KEY, v BIGINT NOT NULL); INSERT INTO kv VALUES ('a', 0)");
    }
    PoolOptions options() const {
        PoolOptions o;
        o.conninfo = conninfo();
        o.max_connections = 2;
        return o;
    }
    std::int64_t value() const { return scalar(*connect(), "SELECT v FROM kv WHERE k = 'a'"); }
    // Returns once some backend waits for a lock (false after ~10 s): polled, nothing timed.
    bool lock_waited() const {
        auto admin = connect();
        for (int i = 0; i < 5000; ++i) {
            if (scalar(*admin, "SELECT count(*) FROM pg_locks WHERE NOT granted") > 0) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        return false;
    }
    static void add_ten(Conn& c) { c.query("UPDATE kv SET v = v + 10 WHERE k = 'a'").run(); }
};

// The thread's other work while a job runs: a handler that posts itself until told to stop.
struct Ticker {
    boost::asio::io_context& io;
    std::atomic<long> ticks{0};
    std::atomic<bool> stop{false};
    void start() {
        boost::asio::post(io, [this] {
            ++ticks;
            if (!stop) start();
        });
    }
};

}  // namespace

// The job waits for a row lock another transaction holds; meanwhile its thread runs a hundred of
// its other handlers (with a blocking wait it would run none), and the job, resumed once the lock
// is free, commits on that thread.
TEST_F(PgIoJobs, AJobWaitingForARowLockLeavesItsThreadServing) {
    Pool pool(options());
    { auto warm = pool.acquire(); }  // one idle connection
    auto holder = connect();
    holder->exec("BEGIN; UPDATE kv SET v = 1 WHERE k = 'a'");

    boost::asio::io_context io(1);
    Ticker ticker{io};
    std::thread::id job_thread;
    std::string job_error;
    boost::asio::post(io, [&] {
        run_as_fiber(io, [&](Suspender& suspender) {
            try {
                pool.run(
                    [&](Conn& c) {
                        job_thread = std::this_thread::get_id();
                        add_ten(c);
                    },
                    {}, kNoAfter, &suspender);
            } catch (const std::exception& e) {
                job_error = e.what();
            }
            ticker.stop = true;
        });
        ticker.start();
    });
    long ticks_while_waiting = -1;
    std::thread releaser([&] {
        EXPECT_TRUE(lock_waited());
        const long at = ticker.ticks;
        for (int i = 0; i < 5000 && ticker.ticks < at + 100; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        ticks_while_waiting = ticker.ticks - at;
        holder->exec("COMMIT");
    });
    io.run();
    releaser.join();
    EXPECT_EQ(job_error, "");
    EXPECT_EQ(job_thread, std::this_thread::get_id()) << "the job ran on the io_context's thread";
    EXPECT_GE(ticks_while_waiting, 100) << "the thread served its other handlers while the job waited";
    EXPECT_EQ(value(), 11);
    EXPECT_EQ(pool.stats().io_thread_jobs, 1);
    EXPECT_EQ(pool.stats().in_use, 0);
    // The fiber left the socket registered with its thread; a blocking holder drops that, so that
    // its answers wake no I/O thread.
    auto lease = pool.acquire();
    EXPECT_EQ(lease.conn().attachment(), nullptr);
}

// With no idle connection the job does not wait for one, nor open one on the I/O thread: it is
// handed back before it runs.
TEST_F(PgIoJobs, WithNoIdleConnectionTheJobIsHandedBackUnrun) {
    Pool pool(options());  // nothing opened yet
    boost::asio::io_context io(1);
    bool ran = false, handed_back = false;
    boost::asio::post(io, [&] {
        run_as_fiber(io, [&](Suspender& suspender) {
            try {
                pool.run([&](Conn&) { ran = true; }, {}, kNoAfter, &suspender);
            } catch (const NoIdleConnection&) {
                handed_back = true;
            }
        });
    });
    io.run();
    EXPECT_TRUE(handed_back);
    EXPECT_FALSE(ran);
    EXPECT_EQ(pool.stats().io_thread_handoffs, 1);
    EXPECT_EQ(pool.stats().io_thread_jobs, 0);
    EXPECT_EQ(pool.stats().open, 0);
}

// A serialization failure is run again after the back-off, and the back-off is a timer on the
// fiber: the thread runs its other handlers during it (a blocking sleep would run none). The
// first run fails before its first statement, so nothing else between the runs waits (its BEGIN,
// never sent, is dropped unsent).
TEST_F(PgIoJobs, TheBackOffOfARetryIsSpentOnTheFiber) {
    auto o = options();
    o.backoff_initial = std::chrono::milliseconds(20);
    Pool pool(o);
    { auto warm = pool.acquire(); }
    boost::asio::io_context io(1);
    Ticker ticker{io};
    std::vector<long> ticks_at_run;
    std::string job_error;
    boost::asio::post(io, [&] {
        ticker.start();
        run_as_fiber(io, [&](Suspender& suspender) {
            try {
                pool.run(
                    [&](Conn& c) {
                        ticks_at_run.push_back(ticker.ticks);
                        if (ticks_at_run.size() == 1) throw PgError("40001", "could not serialize (forced)");
                        add_ten(c);
                    },
                    {}, kNoAfter, &suspender);
            } catch (const std::exception& e) {
                job_error = e.what();
            }
            ticker.stop = true;
        });
    });
    io.run();
    EXPECT_EQ(job_error, "");
    ASSERT_EQ(ticks_at_run.size(), 2u);
    EXPECT_GT(ticks_at_run[1], ticks_at_run[0]) << "the thread ran other handlers during the back-off";
    EXPECT_EQ(pool.stats().retries, 1);
    EXPECT_EQ(value(), 10);
}

// The io_context is shut down while its job waits for a lock: the job's wait throws, the job
// unwinds (its connection, left inside its transaction, is dropped, not run again), and nothing
// it held leaks (the sanitizer build checks the fiber's stack and the connection).
TEST_F(PgIoJobs, ShuttingDownTheIoContextUnwindsAWaitingJob) {
    Pool pool(options());
    { auto warm = pool.acquire(); }
    auto holder = connect();
    holder->exec("BEGIN; UPDATE kv SET v = 1 WHERE k = 'a'");

    std::optional<boost::asio::io_context> io(std::in_place, 1);
    std::string job_state = "running";
    boost::asio::post(*io, [&] {
        run_as_fiber(*io, [&](Suspender& suspender) {
            try {
                pool.run(add_ten, {}, kNoAfter, &suspender);
                job_state = "committed";
            } catch (const PgError& e) {
                job_state = e.sqlstate();
            } catch (...) {
                job_state = "other error";
            }
        });
    });
    std::thread stopper([&] {
        EXPECT_TRUE(lock_waited());
        io->stop();
    });
    io->run();
    stopper.join();
    EXPECT_EQ(job_state, "running");
    io.reset();  // destroys the waiting job's handler: the job resumes, abandoned
    EXPECT_EQ(job_state, "57014");
    EXPECT_EQ(pool.stats().open, 0) << "its connection was dropped, inside its transaction";
    EXPECT_EQ(pool.stats().in_use, 0);
    EXPECT_EQ(pool.stats().retries, 0);
    holder->exec("COMMIT");
    EXPECT_EQ(value(), 1);
}

// Two jobs on one thread, each waiting inside its own catch handler, the first to leave its
// handler being the first that entered: each must still be handling its own exception. (The
// runtime keeps the exceptions being handled per thread, as a stack; without a stack per fiber
// the first job's end of handling pops the second's exception, which redemptions refused on
// PostgreSQL met as a destroyed error code.) No database: the waits are timers, whose order
// alone decides the interleaving.
TEST(PgIoFibers, EachFiberHandlesItsOwnExceptionAcrossItsWaits) {
    boost::asio::io_context io(1);
    std::exception_ptr first_seen, second_seen, first_after, second_after;
    std::string second_message;
    bool first_done = false, second_done = false;
    const auto job = [&](std::chrono::microseconds wait, std::exception_ptr& seen, std::exception_ptr& after,
                         bool& done, std::string* message) {
        return [&, wait, message](Suspender& suspender) {
            try {
                throw std::runtime_error(message ? "the second's" : "the first's");
            } catch (const std::runtime_error& e) {
                seen = std::current_exception();  // also keeps it alive, whatever the runtime does
                suspender.sleep(wait);
                after = std::current_exception();
                if (message) *message = e.what();
            }
            done = true;
        };
    };
    boost::asio::post(io, [&] {
        run_as_fiber(io, job(std::chrono::milliseconds(1), first_seen, first_after, first_done, nullptr));
        run_as_fiber(io, job(std::chrono::milliseconds(50), second_seen, second_after, second_done, &second_message));
    });
    io.run();
    ASSERT_TRUE(first_done && second_done);
    EXPECT_EQ(first_after, first_seen);
    EXPECT_EQ(second_after, second_seen);
    EXPECT_EQ(second_message, "the second's");
    EXPECT_EQ(std::current_exception(), nullptr) << "the thread itself handles nothing afterwards";
    EXPECT_EQ(std::uncaught_exceptions(), 0);
}

// PgEngine::write with the caller's io_context: the first job finds no idle connection and runs
// on a job thread (which opens one); the next runs on the caller's thread. Both complete there.
TEST_F(PgIoJobs, TheEngineRunsAWriteOnTheCallersThreadOnceAConnectionIsIdle) {
    civic::store::PgEngine engine(options());
    boost::asio::io_context io(1);
    std::thread::id io_thread;
    std::vector<std::thread::id> ran_on, completed_on;  // written in turn: each job after the last completed
    std::promise<void> both_done;
    std::function<void(int)> submit = [&](int left) {
        civic::store::WriteJob job;
        job.run = [&](civic::store::Conn& c) {
            ran_on.push_back(std::this_thread::get_id());
            c.exec("UPDATE kv SET v = v + 10 WHERE k = 'a'");
        };
        job.complete = [&, left](std::exception_ptr error) {
            EXPECT_FALSE(error);
            boost::asio::post(io, [&, left] {
                completed_on.push_back(std::this_thread::get_id());
                if (left > 1) {
                    submit(left - 1);
                } else {
                    both_done.set_value();
                }
            });
        };
        job.io = &io;
        engine.write(std::move(job));
    };
    auto work = boost::asio::make_work_guard(io);
    boost::asio::post(io, [&] {
        io_thread = std::this_thread::get_id();
        submit(2);
    });
    std::thread runner([&] { io.run(); });
    both_done.get_future().wait();
    work.reset();
    runner.join();
    ASSERT_EQ(ran_on.size(), 2u);
    ASSERT_EQ(completed_on.size(), 2u);
    EXPECT_NE(ran_on[0], io_thread) << "no idle connection yet: a job thread";
    EXPECT_EQ(ran_on[1], io_thread) << "then the caller's thread";
    EXPECT_EQ(completed_on[0], io_thread);
    EXPECT_EQ(completed_on[1], io_thread);
    EXPECT_EQ(engine.pool().stats().io_thread_handoffs, 1);
    EXPECT_EQ(engine.pool().stats().io_thread_jobs, 1);
    EXPECT_EQ(value(), 20);
    engine.stop();
}
