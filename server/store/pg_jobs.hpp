#pragma once
// Repository code as one PostgreSQL transaction on a pool connection, with the pool's rules
// (server/store/pg/pg_pool.hpp): one transaction per job, run again on 40001/40P01 or a
// connection lost before COMMIT, a lock timeout not retried. This is the write path the daemon's
// PostgreSQL side is built on (docs/postgresql.md).
#include "server/store/pg/pg_pool.hpp"
#include "server/store/pg_backend.hpp"
#include "server/store/sqlite.hpp"

#include <type_traits>

namespace civic::store {

// Runs `fn(store::Conn&)` on a connection of `pool` inside one transaction and returns its result,
// then `after_commit(store::Conn&)` (or `(pg::Conn&)`) on the same connection after the commit,
// outside any transaction (the daemon's commit observers; it should not throw).
// The job may run more than once (see Pool::run): it must publish nothing before this returns.
// Throws DbError (to_db_error) for what the pool gives up on; exceptions of the job's own pass
// through unchanged. A savepoint it leaves untaken and must undo runs it again (at most once).
// Only the job's first run sees Conn::first_run(): every later one, whatever the cause, is careful.
// With a `suspender`, the job runs as pg::Suspender says (it may throw pg::NoIdleConnection).
template <class F, class After>
auto run_pg_job(pg::Pool& pool, F&& fn, pg::TxOptions tx, After&& after_commit, pg::Suspender* suspender = nullptr)
    -> std::invoke_result_t<F&, Conn&> {
    // The job's transaction is its own, so a savepoint expected to be kept need not be taken: if
    // one must be undone after all, the job runs again with its savepoints (conn.hpp, Savepoint).
    bool defer_savepoints = true;
    int runs = 0;
    try {
        return pool.run(
            [&](pg::Conn& conn) -> std::invoke_result_t<F&, Conn&> {
                auto front = borrow_postgresql(conn);
                front->set_may_defer_savepoints(defer_savepoints);
                front->set_first_run(++runs == 1);
                try {
                    if constexpr (std::is_void_v<std::invoke_result_t<F&, Conn&>>) {
                        fn(*front);
                        if (front->must_run_again()) throw RunAgainWithSavepoints();
                    } else {
                        auto result = fn(*front);
                        if (front->must_run_again()) throw RunAgainWithSavepoints();
                        return result;
                    }
                } catch (const RunAgainWithSavepoints&) {
                    defer_savepoints = false;
                    throw pg::RunAgain{};
                } catch (const DbError& e) {
                    // The repositories speak DbError; the pool decides on PostgreSQL's own error,
                    // rebuilt from the SQLSTATE (and a lost connection, which it replaces).
                    if (e.retryable() || e.unavailable()) throw pg::PgError(e.engine_code(), e.what(), e.unavailable());
                    throw;
                }
            },
            tx,
            [&](pg::Conn& conn) noexcept {
                try {
                    if constexpr (std::is_invocable_v<After&, pg::Conn&>) {
                        after_commit(conn);
                    } else {
                        auto front = borrow_postgresql(conn);
                        after_commit(*front);
                    }
                } catch (...) {
                    // The job is committed: an observer failing anyway must not turn it into an error.
                }
            },
            suspender);
    } catch (const pg::PgError& e) {
        throw to_db_error(e);
    }
}

// The same without anything after the commit.
template <class F>
auto run_pg_job(pg::Pool& pool, F&& fn, pg::TxOptions tx = {}) -> std::invoke_result_t<F&, Conn&> {
    return run_pg_job(pool, fn, tx, [](Conn&) noexcept {});
}

}  // namespace civic::store
