#pragma once
// The database the handlers `co_await`: Database::write and Database::read over a StorageEngine.
// SQLite's engine (the embedded default) is here: one writer thread that group-commits queued
// write jobs, and read connections used from the blocking-work pool. PostgreSQL's is
// pg_database.hpp.
#include "server/store/conn.hpp"
#include "server/store/offload.hpp"
#include "server/store/storage_engine.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

struct sqlite3;

namespace civic::store {

// Copies committed WAL frames back into the database file on its own thread and connection,
// so that the writer never stops for it: SQLite's automatic checkpoint runs inside whichever
// COMMIT crosses its threshold, on the committing thread, and with it the database file's
// fsync. The writer's commits wake it once the WAL holds kWakeFrames. Its checkpoints are
// passive: they never wait for, or block, the writer or a reader.
class Checkpointer {
public:
    static constexpr int kWakeFrames = 1000;  // ≈ 4 MB of WAL, SQLite's own default threshold

    explicit Checkpointer(const std::string& path);
    Checkpointer(const Checkpointer&) = delete;
    Checkpointer& operator=(const Checkpointer&) = delete;
    ~Checkpointer();

    // From the writer thread after a commit: the WAL now holds `frames` frames.
    void wal_grew(int frames);
    // Finishes a checkpoint in progress and joins the thread. Idempotent.
    void stop();
    std::int64_t completed() const { return completed_.load(std::memory_order_acquire); }

private:
    void loop();

    std::unique_ptr<Conn> conn_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool pending_ = false;
    bool stopping_ = false;
    std::atomic<std::int64_t> completed_{0};
    std::thread thread_;
};

struct WriterStats {
    std::atomic<std::int64_t> queue_depth{0};
    std::atomic<std::int64_t> batches{0};
    std::atomic<std::int64_t> jobs{0};
    std::atomic<std::int64_t> last_batch_size{0};
    std::atomic<std::int64_t> failed_commits{0};
    std::atomic<std::int64_t> wal_frames{0};             // in the WAL after the last commit
    std::atomic<std::int64_t> max_wal_frames{0};         // the most it has held since start
    std::atomic<std::int64_t> tail_checkpoints{0};       // Writer::checkpoint_tail runs that succeeded
    std::atomic<std::int64_t> tail_checkpoints_busy{0};  // ... that a reader or the checkpointer deferred
};

// Owns the only read-write connection. Jobs are taken in batches of up to kMaxBatch; each runs
// in its own SAVEPOINT inside one transaction, the transaction commits once (one fsync for the
// batch), and only then is every job of the batch completed. A job that throws rolls back its
// own savepoint and is completed with its exception; the rest of the batch is unaffected.
//
// The WAL starts over from its first frame only when a write transaction begins with every
// frame already copied back (and no reader still on an older snapshot). Under steady writes the
// checkpointer never gets there: the writer commits while it copies. So once the WAL holds
// kRestartFrames, the checkpointer is left alone and the writer, between batches, copies the
// rest and waits briefly for older readers itself (checkpoint_tail); its next BEGIN then starts
// the WAL over. Without that the WAL grew without bound (590 MB in 10 s of redemptions), every
// fdatasync also wrote the file's inode for its new size, and every frame was a newly allocated
// block (docs/performance.md, "A WAL that starts over").
class Writer {
public:
    static constexpr std::size_t kMaxBatch = 256;
    static constexpr int kRestartFrames = 4 * Checkpointer::kWakeFrames;  // ≈ 16 MB of WAL
    static constexpr std::chrono::milliseconds kTailWait{2};              // for readers on older snapshots

    // run: inside the job's savepoint; complete: on the writer thread after COMMIT (or after a
    // failed COMMIT, with its error).
    using Job = WriteJob;

    explicit Writer(const std::string& path);
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;
    ~Writer();

    void enqueue(Job job);
    // `observer` runs on the writer thread after every successful COMMIT, before any job of the
    // batch is completed (so whoever hears back from a job sees what the observer published).
    // Register observers before the first job is enqueued. An observer must not throw.
    void on_commit(std::function<void(Conn&)> observer);
    // Finishes every queued job, then stops the thread. Idempotent.
    void stop();
    const WriterStats& stats() const { return stats_; }
    const Checkpointer& checkpointer() const { return *checkpointer_; }
    // The write connection, for use outside any batch before the first job is enqueued (start-up
    // only: migrations, the demo city, the first admin).
    Conn& startup_connection() { return *conn_; }

private:
    // sqlite3_wal_hook on the write connection: replaces SQLite's automatic checkpoint.
    static int on_wal_commit(void* writer, sqlite3*, const char*, int frames);
    void loop();
    void run_batch(std::vector<Job>& batch);
    void wal_committed(int frames);
    void checkpoint_tail(int frames);

    std::unique_ptr<Conn> conn_;
    std::unique_ptr<Checkpointer> checkpointer_;
    // The WAL's size at which checkpoint_tail runs next: kRestartFrames, or after a deferred one
    // kWakeFrames more, so that a long read (a backup, a year's statistics) costs the batches
    // behind it one wait per kWakeFrames frames, not one each.
    int next_tail_at_ = kRestartFrames;
    std::vector<std::function<void(Conn&)>> commit_observers_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Job> queue_;
    bool stopping_ = false;
    WriterStats stats_;
    std::thread thread_;
};

// SQLite: the writer above and a few idle read connections kept for reuse.
class SqliteEngine final : public StorageEngine {
public:
    struct Options {
        std::string path;
        std::size_t read_connections = 4;
    };
    // `blocking_pool` runs reads (and other blocking work); it must outlive the engine.
    SqliteEngine(Options options, boost::asio::thread_pool& blocking_pool);
    ~SqliteEngine() override;

    Engine kind() const override { return Engine::sqlite; }
    void write(WriteJob job) override { writer_->enqueue(std::move(job)); }
    void read(const std::function<void(Conn&)>& fn) override;
    boost::asio::thread_pool& job_threads() override { return pool_; }
    void migrate() override;
    void at_startup(const std::function<void(Conn&)>& fn) override { fn(writer_->startup_connection()); }
    void stop() override { writer_->stop(); }
    void append_metrics(std::string& out) const override;

    Writer& writer() { return *writer_; }

private:
    Options options_;
    boost::asio::thread_pool& pool_;
    std::unique_ptr<Writer> writer_;
    std::mutex readers_mutex_;
    std::vector<std::unique_ptr<Conn>> idle_readers_;
};

// The io_context that `executor` runs on if it is one's and the caller is on its thread; else null.
template <class Executor>
boost::asio::io_context* running_io_context(const Executor& executor) {
    using IoExecutor = boost::asio::io_context::executor_type;
    if constexpr (std::is_same_v<Executor, IoExecutor>) {
        return executor.running_in_this_thread() ? &executor.context() : nullptr;
    } else if constexpr (requires { executor.template target<IoExecutor>(); }) {
        const auto* io = executor.template target<IoExecutor>();
        return io && io->running_in_this_thread() ? &io->context() : nullptr;
    } else {
        return nullptr;
    }
}

class Database {
public:
    using Options = SqliteEngine::Options;
    // SQLite at `options.path` (the embedded default).
    Database(Options options, boost::asio::thread_pool& blocking_pool)
        : Database(std::make_unique<SqliteEngine>(std::move(options), blocking_pool)) {}
    explicit Database(std::unique_ptr<StorageEngine> engine) : engine_(std::move(engine)) {}
    ~Database() { engine_->stop(); }

    // Runs `fn(Conn&)` as a write job (SQLite: in the writer's next batch, inside its own
    // savepoint; PostgreSQL: one transaction of its own, run again on a serialization failure or a
    // deadlock); the coroutine resumes only after the commit (so a reply sent after this is
    // durable). On PostgreSQL `fn` may run more than once: it must publish nothing itself.
    template <class F>
    auto write(F fn) {
        static_assert(kCapturesByReference<F>, "capture by reference in jobs passed to co_await (GCC 12 bug)");
        using R = std::invoke_result_t<F&, Conn&>;
        using Signature = typename detail::Completion<R>::type;
        return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>, Signature>(
            // The initiation runs when the awaitable is awaited, after write() has returned:
            // it must own the job, not refer to write()'s parameter.
            [this, fn = std::move(fn)](auto handler) mutable {
                using Handler = decltype(handler);
                struct State {
                    F fn;
                    Handler handler;
                    boost::asio::executor_work_guard<boost::asio::associated_executor_t<Handler>> guard;
                    detail::Slot<R> result{};
                };
                auto guard = boost::asio::make_work_guard(boost::asio::get_associated_executor(handler));
                auto state = std::make_shared<State>(State{std::move(fn), std::move(handler), std::move(guard)});
                WriteJob job;
                job.run = [state](Conn& conn) {
                    if constexpr (std::is_void_v<R>) {
                        state->fn(conn);
                    } else {
                        state->result.emplace(state->fn(conn));  // a rerun replaces a rolled-back run's
                    }
                };
                job.complete = [state](std::exception_ptr error) {
                    auto executor = state->guard.get_executor();
                    boost::asio::dispatch(executor, [state, error]() mutable {
                        if constexpr (std::is_void_v<R>) {
                            state->handler(error);
                        } else if (error || !state->result) {
                            state->handler(error, R{});
                        } else {
                            state->handler(error, std::move(*state->result));
                        }
                        state->guard.reset();
                    });
                };
                job.io = running_io_context(state->guard.get_executor());
                engine_->write(std::move(job));
            },
            boost::asio::use_awaitable);
    }

    // Runs `fn(Conn&)` on the engine's job threads with a read-only connection, in one snapshot
    // for the whole call (both engines).
    template <class F>
    auto read(F fn) {
        static_assert(kCapturesByReference<F>, "capture by reference in jobs passed to co_await (GCC 12 bug)");
        using R = std::invoke_result_t<F&, Conn&>;
        return offload(engine_->job_threads(), [this, fn = std::move(fn)]() mutable -> R {
            if constexpr (std::is_void_v<R>) {
                engine_->read([&](Conn& conn) { fn(conn); });
            } else {
                std::optional<R> result;
                engine_->read([&](Conn& conn) { result.emplace(fn(conn)); });
                return std::move(*result);
            }
        });
    }

    StorageEngine& engine() { return *engine_; }
    Engine kind() const { return engine_->kind(); }

private:
    std::unique_ptr<StorageEngine> engine_;
};

}  // namespace civic::store
