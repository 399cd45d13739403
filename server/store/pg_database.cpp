#include "server/store/pg_database.hpp"

#include "server/store/commit_epoch.hpp"
#include "server/store/pg/pg_advisory_lock.hpp"
#include "server/store/pg/pg_migrate.hpp"
#include "server/store/pg_io_jobs.hpp"
#include "server/store/pg_jobs.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace civic::store {

namespace {

// What every connection of the engine's pool asks for: its epoch triggers' notices
// (schema/postgresql/021_epoch_notices.sql), which a server or role setting must not silence.
pg::PoolOptions with_epoch_notices(pg::PoolOptions options) {
    if (!options.settings.empty()) options.settings += "; ";
    options.settings += "SET civic.epoch_notices = on; SET client_min_messages = notice";
    return options;
}

}  // namespace

PgEngine::PgEngine(pg::PoolOptions options)
    : pool_(with_epoch_notices(std::move(options))), threads_(pool_.options().max_connections) {}

PgEngine::~PgEngine() { stop(); }

void PgEngine::write(WriteJob job) {
    if (stopping_.load(std::memory_order_acquire)) {
        job.complete(std::make_exception_ptr(DbError(DbError::Kind::unavailable, "", "database stopped")));
        return;
    }
    if (job.io) {
        // On the caller's I/O thread while a connection is idle; else on a job thread.
        auto* io = job.io;
        run_as_fiber(*io, [this, io, job = std::move(job)](pg::Suspender& suspender) mutable {
            std::exception_ptr error;
            try {
                run_write(job, &suspender);
            } catch (const pg::NoIdleConnection&) {
                write_on_thread(std::move(job));
                return;
            } catch (...) {
                error = std::current_exception();
            }
            // Posted, not called: the request's coroutine resumes on the thread's own stack.
            boost::asio::post(*io, [job = std::move(job), error]() { job.complete(error); });
        });
        return;
    }
    write_on_thread(std::move(job));
}

void PgEngine::write_on_thread(WriteJob job) {
    boost::asio::post(threads_, [this, job = std::move(job)]() mutable {
        std::exception_ptr error;
        try {
            run_write(job, nullptr);
        } catch (...) {
            error = std::current_exception();
        }
        job.complete(error);
    });
}

void PgEngine::run_write(WriteJob& job, pg::Suspender* suspender) {
    // The epochs (commit_epoch.hpp) this transaction moved, as its triggers' notices said,
    // published after the COMMIT and before the job completes: they move before the request
    // that made the change hears back. A write that moved none reads nothing.
    const auto watched = epochs();
    run_pg_job(
        pool_, [&](Conn& conn) { job.run(conn); }, pg::TxOptions{},
        [&](pg::Conn& conn) { observe_epoch_notices(conn.notices(), conn.notices_inexact(), watched); }, suspender);
}

void PgEngine::read(const std::function<void(Conn&)>& fn) {
    run_pg_job(pool_, fn, pg::TxOptions{pg::Isolation::repeatable_read, /*read_only=*/true});
}

void PgEngine::migrate() {
    try {
        auto lease = pool_.acquire();
        pg::migrate(lease.conn());
    } catch (const pg::PgError& e) {
        throw DatabaseStartError(e.what());
    }
}

void PgEngine::at_startup(const std::function<void(Conn&)>& fn) { run_at_startup(fn, /*exclusive=*/false); }

void PgEngine::at_startup_exclusive(const std::function<void(Conn&)>& fn) { run_at_startup(fn, /*exclusive=*/true); }

void PgEngine::run_at_startup(const std::function<void(Conn&)>& fn, bool exclusive) {
    std::optional<pg::Pool::Lease> lease;
    std::optional<pg::SessionAdvisoryLock> lock;
    try {
        lease.emplace(pool_.acquire());
        if (exclusive) lock.emplace(lease->conn(), kStartupLockKey);
    } catch (const pg::PgError& e) {
        throw to_db_error(e);
    }
    auto front = borrow_postgresql(lease->conn());
    fn(*front);
}

void PgEngine::stop() {
    stopping_.store(true, std::memory_order_release);
    threads_.join();  // the jobs already posted finish
}

}  // namespace civic::store
