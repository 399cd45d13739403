#pragma once
// store::Database on PostgreSQL (docs/postgresql.md): every job — read or write — runs as one
// transaction of its own on a pooled connection (pg::Pool): a write asked for from an I/O thread
// on that thread, as a fiber, while a connection is idle (pg_io_jobs.hpp); the rest on a thread
// of the engine's own, one thread a connection, so that no job ever holds a thread while waiting
// for a connection and the daemon's blocking pool stays free for hashing and decoding. Writes are READ COMMITTED,
// never batched with another request's, and run again by the pool on 40001/40P01; reads are
// REPEATABLE READ READ ONLY (one snapshot a call, as SQLite's read transaction gives).
#include "server/store/pg/pg_pool.hpp"
#include "server/store/storage_engine.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace civic::store {

class PgEngine final : public StorageEngine {
public:
    // pg_advisory_lock key of at_startup_exclusive: "civicSTA" as eight ASCII bytes.
    static constexpr std::int64_t kStartupLockKey = 0x63697669'63535441LL;

    // Connects nothing yet: migrate() is the first contact (and the start-up check).
    explicit PgEngine(pg::PoolOptions options);
    ~PgEngine() override;

    Engine kind() const override { return Engine::postgresql; }
    void write(WriteJob job) override;
    void read(const std::function<void(Conn&)>& fn) override;
    boost::asio::thread_pool& job_threads() override { return threads_; }
    // Checks the server (reachable, PostgreSQL ≥ 15) and runs pg::migrate (advisory lock: N nodes
    // starting at once migrate once). Throws DatabaseStartError.
    void migrate() override;
    void at_startup(const std::function<void(Conn&)>& fn) override;
    // at_startup under the advisory lock kStartupLockKey: the nodes of one database run `fn` one
    // after the other (store/startup.hpp).
    void at_startup_exclusive(const std::function<void(Conn&)>& fn);
    void stop() override;
    void append_metrics(std::string& out) const override { pg::append_metrics(pool_.stats(), out); }

    pg::Pool& pool() { return pool_; }

private:
    void write_on_thread(WriteJob job);
    // The job's transaction, its epochs read with the COMMIT and published after it; through
    // `suspender` when it runs on an I/O thread (may throw pg::NoIdleConnection then).
    void run_write(WriteJob& job, pg::Suspender* suspender);
    void run_at_startup(const std::function<void(Conn&)>& fn, bool exclusive);

    pg::Pool pool_;
    boost::asio::thread_pool threads_;
    std::atomic<bool> stopping_{false};
};

}  // namespace civic::store
