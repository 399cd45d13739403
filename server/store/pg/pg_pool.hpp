#pragma once
// A bounded pool of PostgreSQL connections running one transaction per job.
//
// Rules (docs/postgresql.md, "The pool"):
// - at most `max_connections` connections; a caller finding them all busy waits up to
//   `acquire_timeout`, then gets PgError unavailable() (state CV000): the daemon answers 503;
// - every job runs in its own transaction (BEGIN [ISOLATION LEVEL …] … COMMIT), never batched
//   with other jobs, so no job holds locks for another;
// - every connection has `SET lock_timeout` (a job waiting longer for a row lock gets 55P03, not
//   retried: the wait already was the back-off);
// - a job failing with 40001 (serialization failure) or 40P01 (deadlock) is run again from the
//   start, on a fresh transaction, after a jittered exponential back-off, up to `max_attempts`
//   runs in all; then the last error is thrown;
// - a connection found broken (the server ended it, the network failed) is dropped and a new one
//   opened; a job whose connection broke before COMMIT was sent is run again (nothing of it was
//   committed); one whose connection broke during COMMIT is not (its outcome is unknown), and
//   its error says unavailable();
// - hence a job may run more than once: it must have no effect outside its transaction until
//   run() returns. Nor may it end that transaction itself (COMMIT, ROLLBACK; savepoints are
//   fine): what it wrote after would be committed statement by statement and a rerun would apply
//   it again. A job found outside its transaction when it returns fails with state CV001;
// - a job may also ask to run again at once by throwing RunAgain (store::run_pg_job does when a
//   savepoint it left untaken must be undone): rolled back and run again without back-off, not
//   counted against `max_attempts`, at most kMaxRunAgain times per run();
// - libpq is blocking, and so are acquire() (waiting for a free connection), run() (its
//   statements and the retry back-off) and a Lease's release (ROLLBACK): call them only from the
//   blocking pool or the writer (server/store/offload.hpp), never on an I/O thread — except
//   run() with a Suspender (below), which waits only through it. Nothing
//   checks this at run time; store::Database's PostgreSQL side (docs/postgresql.md, "One
//   interface, two engines") is the one place meant to call run().
#include "server/store/pg/pg_conn.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace civic::store::pg {

struct PoolOptions {
    static constexpr std::size_t kDefaultMaxConnections = 16;
    static constexpr int kDefaultMaxAttempts = 5;

    std::string conninfo;
    std::size_t max_connections = kDefaultMaxConnections;
    int lock_timeout_ms = 5000;
    std::chrono::milliseconds acquire_timeout{5000};
    int max_attempts = kDefaultMaxAttempts;        // runs of one job, the first included
    std::chrono::milliseconds backoff_initial{2};  // before the 2nd run; doubles each time
    std::chrono::milliseconds backoff_max{100};
    std::string application_name = "civicsnapd";
    int connect_timeout_s = 10;
    std::string settings = {};  // Conn::Options::settings of every connection
};

// Thrown by a job that has learnt how it must run (see the rules above); nothing else.
struct RunAgain {};
inline constexpr int kMaxRunAgain = 1;

// How a job runs that must not block its thread (a fiber on an I/O thread, store/pg_io_jobs.hpp):
// it waits for the server's answers (Conn::Waiter) and for the back-off through its suspender,
// and takes only an idle connection — preferably one last used from the same home() — never
// waiting for one nor opening one: run() throws NoIdleConnection instead, before the job runs
// (again), and the caller runs it on a thread.
class Suspender : public Conn::Waiter {
public:
    virtual void sleep(std::chrono::microseconds duration) = 0;
    virtual const void* home() const = 0;

protected:
    ~Suspender() = default;
};
struct NoIdleConnection {};

enum class Isolation { read_committed, repeatable_read, serializable };

struct TxOptions {
    Isolation isolation = Isolation::read_committed;
    bool read_only = false;
};

// Counters for /metrics. All monotonic except `open` and `in_use`.
struct PoolStats {
    std::atomic<std::int64_t> open{0};    // connections open now
    std::atomic<std::int64_t> in_use{0};  // connections leased now
    std::atomic<std::int64_t> acquires{0};
    std::atomic<std::int64_t> waits{0};          // acquires that found every connection busy
    std::atomic<std::int64_t> wait_timeouts{0};  // … and gave up after acquire_timeout
    std::atomic<std::int64_t> jobs{0};           // jobs committed
    std::atomic<std::int64_t> retries{0};        // runs repeated (40001, 40P01, lost connection)
    std::atomic<std::int64_t> gave_up{0};        // jobs failed after max_attempts retryable runs
    std::atomic<std::int64_t> run_again{0};      // runs repeated because the job asked (RunAgain)
    std::atomic<std::int64_t> reconnects{0};     // broken connections dropped (a new one replaces each)
    std::atomic<std::int64_t> connect_failures{0};
    std::atomic<std::int64_t> io_thread_jobs{0};      // jobs begun with a Suspender (on an I/O thread)
    std::atomic<std::int64_t> io_thread_handoffs{0};  // … that found no idle connection (NoIdleConnection)
};

// Appends the pool's figures to a /metrics page (Prometheus text format, civicsnap_pg_*).
void append_metrics(const PoolStats& stats, std::string& out);

class Pool {
public:
    explicit Pool(PoolOptions options);
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;
    ~Pool();

    // One connection for the holder's exclusive use; back to the pool on destruction (rolled back
    // if left inside a transaction; dropped if broken).
    class Lease {
    public:
        Lease(Lease&& other) noexcept : pool_(other.pool_), conn_(std::move(other.conn_)) {}
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        Lease& operator=(Lease&&) = delete;
        ~Lease();
        Conn& conn() { return *conn_; }
        Conn* operator->() { return conn_.get(); }

    private:
        friend class Pool;
        Lease(Pool& pool, std::unique_ptr<Conn> conn) : pool_(&pool), conn_(std::move(conn)) {}
        Pool* pool_;
        std::unique_ptr<Conn> conn_;
    };

    // Throws PgError unavailable() if no connection frees up within acquire_timeout or a new one
    // cannot be opened.
    Lease acquire();
    // An idle connection if there is one (preferring one attached to `home`), without waiting;
    // its waiter is `suspender` until it is released.
    std::optional<Lease> acquire_idle(Suspender& suspender);

    // Runs `fn(Conn&)` as one transaction with the retry rules above and returns its result.
    template <class F>
    auto run(F&& fn, TxOptions tx = {}) -> std::invoke_result_t<F&, Conn&> {
        return run(fn, tx, [](Conn&) noexcept {});
    }
    // The same, then `after_commit(Conn&)` once, on the same connection outside any transaction,
    // after the successful COMMIT and before the connection goes back (the daemon's commit
    // observers read the epochs there). It must not throw.
    // With a `suspender`, the job runs as the Suspender's comment says.
    template <class F, class After>
    auto run(F&& fn, TxOptions tx, After&& after_commit, Suspender* suspender = nullptr)
        -> std::invoke_result_t<F&, Conn&> {
        static_assert(std::is_nothrow_invocable_v<After&, Conn&>, "after_commit must not throw");
        using R = std::invoke_result_t<F&, Conn&>;
        int run_again = 0;
        for (int attempt = 1;; ++attempt) {
            std::optional<Lease> lease = suspender ? acquire_idle(*suspender) : std::optional<Lease>(acquire());
            if (!lease) {
                stats_.io_thread_handoffs.fetch_add(1, std::memory_order_relaxed);
                throw NoIdleConnection{};
            }
            if (suspender && attempt == 1 && run_again == 0)
                stats_.io_thread_jobs.fetch_add(1, std::memory_order_relaxed);
            Conn& conn = lease->conn();
            bool commit_sent = false;
            try {
                conn.exec_with_next(begin_statement(tx));  // sent with the job's first statement
                if constexpr (std::is_void_v<R>) {
                    fn(conn);
                    conn.await_verdicts();  // deferred statements' verdicts, before COMMIT counts as sent
                    check_still_in_transaction(conn);
                    commit_sent = true;
                    conn.commit();
                    stats_.jobs.fetch_add(1, std::memory_order_relaxed);
                    after_commit(conn);
                    return;
                } else {
                    R result = fn(conn);
                    conn.await_verdicts();
                    check_still_in_transaction(conn);
                    commit_sent = true;
                    conn.commit();
                    stats_.jobs.fetch_add(1, std::memory_order_relaxed);
                    after_commit(conn);
                    return result;
                }
            } catch (const PgError& e) {
                // Rolled back (or a broken connection dropped) before any back-off, so that the
                // failed run's locks and connection are not held while waiting.
                lease.reset();
                if (!again(e, commit_sent, attempt, suspender)) throw;
            } catch (const RunAgain&) {
                lease.reset();
                if (++run_again > kMaxRunAgain)
                    throw PgError(std::string(PgError::kClient), "a job asked to run again twice");
                stats_.run_again.fetch_add(1, std::memory_order_relaxed);
                --attempt;  // not a failure: the budget is for the database's refusals
            }
        }
    }

    const PoolStats& stats() const { return stats_; }
    const PoolOptions& options() const { return options_; }

private:
    static const char* begin_statement(const TxOptions& tx);
    // Throws PgError kClient if the job ended the transaction run() began (see the rules above).
    static void check_still_in_transaction(const Conn& conn);
    // Decides whether a failed run is repeated, counts it, and backs off (through `suspender`
    // if there is one).
    bool again(const PgError& e, bool commit_sent, int attempt, Suspender* suspender);
    void release(std::unique_ptr<Conn> conn);

    PoolOptions options_;
    PoolStats stats_;
    std::mutex mutex_;
    std::condition_variable freed_;
    std::vector<std::unique_ptr<Conn>> idle_;
    std::size_t open_ = 0;  // idle + leased + being opened (guarded by mutex_)
};

}  // namespace civic::store::pg
