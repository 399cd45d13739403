#pragma once
// What a store::Database runs its jobs on: SQLite's writer thread and read connections
// (SqliteEngine, database.hpp) or a pool of PostgreSQL connections (PgEngine, pg_database.hpp).
// Only Database, the commit observers (CommitEpoch) and start-up code talk to an engine; handlers
// use Database::read/write.
#include "server/store/conn.hpp"

#include <boost/asio/thread_pool.hpp>

#include <exception>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace civic::store {

class CommitEpoch;

struct WriteJob {
    // Runs inside the job's own transaction (SQLite: a savepoint of the writer's batch); what it
    // throws rolls the job back. On PostgreSQL it may run more than once (a serialization failure,
    // a deadlock or a connection lost before COMMIT): it must publish nothing itself.
    std::function<void(Conn&)> run;
    // Called after the job's COMMIT (or with its error), after every commit observer.
    std::function<void(std::exception_ptr)> complete;
    // The caller's I/O thread, when the caller runs on one: PostgreSQL may run the job there, as
    // a fiber that waits for the server without blocking the thread (store/pg_io_jobs.hpp).
    boost::asio::io_context* io = nullptr;
};

// The start of a database that cannot be used: a bad --database value, an unreachable server,
// PostgreSQL older than 15, a schema newer than this binary. The daemon prints the message on one
// line and exits with status 2 before listening.
struct DatabaseStartError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class StorageEngine {
public:
    virtual ~StorageEngine() = default;

    virtual Engine kind() const = 0;
    // Runs `job.run` in a write transaction of its own and then `job.complete`. Never blocks the
    // caller (an I/O thread): SQLite queues the job for the writer's next batch, PostgreSQL runs
    // it as a fiber on `job.io` while a connection is idle, else posts it to job_threads().
    virtual void write(WriteJob job) = 0;
    // Runs `fn` with a read-only connection on the calling thread, which must be one of
    // job_threads(), in one snapshot for the whole call (SQLite: one read transaction;
    // PostgreSQL: one REPEATABLE READ READ ONLY transaction).
    virtual void read(const std::function<void(Conn&)>& fn) = 0;
    // Where reads are offloaded to (SQLite: the daemon's blocking pool; PostgreSQL: one thread a
    // pooled connection, so that a job never holds a thread while waiting for a connection).
    virtual boost::asio::thread_pool& job_threads() = 0;
    // Brings the schema up to this binary's version. Throws DatabaseStartError when the database
    // cannot be used (unreachable, too old, newer schema). Start-up only.
    virtual void migrate() = 0;
    // Runs `fn` on this thread with a connection outside any job (start-up only: the demo city,
    // the first admin, the commit observers' first reads). `fn` manages its own transactions.
    virtual void at_startup(const std::function<void(Conn&)>& fn) = 0;
    // Finishes the jobs queued or running, then refuses new ones. Idempotent.
    virtual void stop() = 0;
    // The engine's figures for /metrics (Prometheus text format).
    virtual void append_metrics(std::string& out) const = 0;

    // The commit epochs reading this engine's counters (each registers itself for its lifetime),
    // so that a node's listener can refresh them on another node's commit (cluster_events.hpp).
    void add_epoch(CommitEpoch* epoch);
    void remove_epoch(CommitEpoch* epoch);
    std::vector<CommitEpoch*> epochs() const;

private:
    mutable std::mutex epochs_mutex_;
    std::vector<CommitEpoch*> epochs_;
};

}  // namespace civic::store
