#include "server/store/database.hpp"

#include "common/metric_lines.hpp"
#include "server/store/commit_epoch.hpp"
#include "server/store/migrations.hpp"
#include "server/store/sqlite.hpp"

#include <sqlite3.h>

#include <cassert>
#include <chrono>
#include <string_view>

namespace civic::store {

Checkpointer::Checkpointer(const std::string& path)
    : conn_(std::make_unique<Conn>(path, Conn::Mode::read_write)), thread_([this] { loop(); }) {}

Checkpointer::~Checkpointer() { stop(); }

void Checkpointer::wal_grew(int frames) {
    if (frames < kWakeFrames) return;
    {
        std::lock_guard lock(mutex_);
        pending_ = true;
    }
    wake_.notify_one();
}

void Checkpointer::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void Checkpointer::loop() {
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || pending_; });
            if (stopping_) return;
            pending_ = false;
        }
        // SQLITE_BUSY (another checkpoint running) or an I/O error: the frames stay in the WAL,
        // which readers and the next checkpoint use as before; nothing is lost.
        if (sqlite3_wal_checkpoint_v2(conn_->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) == SQLITE_OK)
            completed_.fetch_add(1, std::memory_order_acq_rel);
    }
}

int Writer::on_wal_commit(void* writer, sqlite3*, const char*, int frames) {
    static_cast<Writer*>(writer)->wal_committed(frames);
    return SQLITE_OK;
}

Writer::Writer(const std::string& path) : conn_(std::make_unique<Conn>(path, Conn::Mode::read_write)) {
    conn_->exec("PRAGMA journal_mode = WAL");
    checkpointer_ = std::make_unique<Checkpointer>(path);
    sqlite3_wal_hook(conn_->raw(), on_wal_commit, this);
    thread_ = std::thread([this] { loop(); });
}

void Writer::wal_committed(int frames) {
    stats_.wal_frames.store(frames, std::memory_order_relaxed);
    if (frames > stats_.max_wal_frames.load(std::memory_order_relaxed))
        stats_.max_wal_frames.store(frames, std::memory_order_relaxed);  // one committer at a time writes it
    // Past kRestartFrames the tail is the writer's (checkpoint_tail): a checkpointer still copying
    // would hold the checkpoint lock it needs, and at this rate of commits it always would be.
    if (frames < kRestartFrames) checkpointer_->wal_grew(frames);
}

void Writer::checkpoint_tail(int frames) {
    // RESTART: copies every frame, then waits for the readers still on older snapshots to finish,
    // so that the next BEGIN starts the WAL over. Reads take a millisecond or less, so the wait
    // is capped at kTailWait; past it (a long read, or the checkpointer mid-copy) SQLITE_BUSY
    // leaves the frames in the WAL, as before, and the next batch tries again. So does an I/O
    // error: nothing committed is touched.
    struct Deadline {
        std::chrono::steady_clock::time_point at;
    } deadline{std::chrono::steady_clock::now() + kTailWait};
    sqlite3* db = conn_->raw();
    sqlite3_busy_handler(
        db,
        [](void* d, int) -> int {
            if (std::chrono::steady_clock::now() >= static_cast<Deadline*>(d)->at) return 0;
            std::this_thread::sleep_for(std::chrono::microseconds(50));
            return 1;
        },
        &deadline);
    if (sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_RESTART, nullptr, nullptr) == SQLITE_OK) {
        stats_.tail_checkpoints.fetch_add(1, std::memory_order_relaxed);
        next_tail_at_ = kRestartFrames;
    } else {
        stats_.tail_checkpoints_busy.fetch_add(1, std::memory_order_relaxed);
        next_tail_at_ = frames + Checkpointer::kWakeFrames;
    }
    sqlite3_busy_timeout(db, kSqliteBusyTimeoutMs);  // the connection's own wait again
}

Writer::~Writer() { stop(); }

void Writer::enqueue(Job job) {
    std::unique_lock lock(mutex_);
    if (stopping_) {
        lock.unlock();
        job.complete(std::make_exception_ptr(DbError(0, "writer stopped")));
        return;
    }
    queue_.push_back(std::move(job));
    stats_.queue_depth.store(static_cast<std::int64_t>(queue_.size()), std::memory_order_relaxed);
    lock.unlock();
    wake_.notify_one();
}

void Writer::on_commit(std::function<void(Conn&)> observer) {
    std::lock_guard lock(mutex_);
    assert(queue_.empty() && stats_.batches.load() == 0);
    commit_observers_.push_back(std::move(observer));
}

void Writer::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && !thread_.joinable()) return;
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void Writer::loop() {
    std::vector<Job> batch;
    batch.reserve(kMaxBatch);
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) break;  // stopping and drained
            while (!queue_.empty() && batch.size() < kMaxBatch) {
                batch.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
            stats_.queue_depth.store(static_cast<std::int64_t>(queue_.size()), std::memory_order_relaxed);
        }
        run_batch(batch);
        batch.clear();
    }
    checkpointer_->stop();
    try {
        conn_->exec("PRAGMA wal_checkpoint(TRUNCATE)");
    } catch (const DbError&) {
        // A checkpoint is an optimisation; the WAL is replayed on next open.
    }
}

void Writer::run_batch(std::vector<Job>& batch) {
    std::vector<std::exception_ptr> outcomes(batch.size());
    std::exception_ptr commit_error;
    try {
        conn_->exec("BEGIN IMMEDIATE");
        for (std::size_t i = 0; i < batch.size(); ++i) {
            conn_->exec("SAVEPOINT job");
            try {
                batch[i].run(*conn_);
                conn_->exec("RELEASE job");
            } catch (...) {
                outcomes[i] = std::current_exception();
                conn_->exec("ROLLBACK TO job; RELEASE job");
            }
        }
        conn_->exec("COMMIT");
    } catch (...) {
        commit_error = std::current_exception();
        try {
            conn_->exec("ROLLBACK");
        } catch (...) {
            // Already rolled back by SQLite (e.g. on SQLITE_FULL); nothing else to undo.
        }
        stats_.failed_commits.fetch_add(1, std::memory_order_relaxed);
    }
    if (!commit_error)
        for (auto& observe : commit_observers_) observe(*conn_);
    stats_.batches.fetch_add(1, std::memory_order_relaxed);
    stats_.jobs.fetch_add(static_cast<std::int64_t>(batch.size()), std::memory_order_relaxed);
    stats_.last_batch_size.store(static_cast<std::int64_t>(batch.size()), std::memory_order_relaxed);
    // Only now, with the batch durable (or failed as a whole), does anyone hear back.
    for (std::size_t i = 0; i < batch.size(); ++i) {
        batch[i].complete(commit_error ? commit_error : outcomes[i]);
    }
    // After the answers, so that none of them waits for it.
    if (const int frames = static_cast<int>(stats_.wal_frames.load(std::memory_order_relaxed)); frames >= next_tail_at_)
        checkpoint_tail(frames);
}

SqliteEngine::SqliteEngine(Options options, boost::asio::thread_pool& blocking_pool)
    : options_(std::move(options)), pool_(blocking_pool), writer_(std::make_unique<Writer>(options_.path)) {
    // One read of every epoch counter after each group commit (commit_epoch.hpp).
    writer_->on_commit([this](Conn& conn) { observe_epochs(conn, epochs()); });
}

SqliteEngine::~SqliteEngine() { writer_->stop(); }

void SqliteEngine::read(const std::function<void(Conn&)>& fn) {
    std::unique_ptr<Conn> conn;
    {
        std::lock_guard lock(readers_mutex_);
        if (!idle_readers_.empty()) {
            conn = std::move(idle_readers_.back());
            idle_readers_.pop_back();
        }
    }
    if (!conn) conn = std::make_unique<Conn>(options_.path, Conn::Mode::read_only);
    struct GiveBack {
        SqliteEngine& engine;
        std::unique_ptr<Conn>& conn;
        ~GiveBack() {
            std::lock_guard lock(engine.readers_mutex_);
            if (engine.idle_readers_.size() < engine.options_.read_connections)
                engine.idle_readers_.push_back(std::move(conn));
        }
    } give_back{*this, conn};
    // One read transaction for the whole job, as PostgreSQL's read jobs have one snapshot: the
    // queries of a view agree with each other (a ticket's row and its events from the same
    // commit), and the WAL read mark (two fcntl locks on the -shm) is taken once, not per query.
    in_snapshot(*conn, [&] { fn(*conn); });
}

void SqliteEngine::migrate() {
    try {
        store::migrate(writer_->startup_connection());
    } catch (const DbError& e) {
        throw DatabaseStartError(options_.path + ": " + e.what());
    }
}

void SqliteEngine::append_metrics(std::string& out) const {
    const auto& w = writer_->stats();
    metric_lines::append_value(out, "civicsnap_sqlite_write_queue_depth", "gauge", "Write jobs waiting for the writer.",
                               w.queue_depth.load());
    metric_lines::append_value(out, "civicsnap_sqlite_last_batch_size", "gauge",
                               "Jobs in the writer's last committed batch.", w.last_batch_size.load());
    metric_lines::append_value(out, "civicsnap_sqlite_batches_total", "counter",
                               "Write transactions committed (group commits).", w.batches.load());
    metric_lines::append_value(out, "civicsnap_sqlite_jobs_total", "counter", "Write jobs run.", w.jobs.load());
    metric_lines::append_value(out, "civicsnap_sqlite_failed_commits_total", "counter", "Batches whose COMMIT failed.",
                               w.failed_commits.load());
    metric_lines::append_value(out, "civicsnap_sqlite_wal_frames", "gauge", "Frames in the WAL after the last commit.",
                               w.wal_frames.load());
    metric_lines::append_value(out, "civicsnap_sqlite_wal_frames_max", "gauge",
                               "The most frames the WAL has held since start.", w.max_wal_frames.load());
    metric_lines::append_value(out, "civicsnap_sqlite_tail_checkpoints_total", "counter",
                               "Checkpoints the writer ran itself so that the WAL starts over.",
                               w.tail_checkpoints.load());
    metric_lines::append_value(out, "civicsnap_sqlite_tail_checkpoints_busy_total", "counter",
                               "The writer's checkpoints deferred by a long read.", w.tail_checkpoints_busy.load());
}

}  // namespace civic::store
