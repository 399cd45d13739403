#include "server/store/pg/pg_pool.hpp"

#include "common/metric_lines.hpp"

#include <cstdio>
#include <random>
#include <thread>

namespace civic::store::pg {

Pool::Pool(PoolOptions options) : options_(std::move(options)) {
    if (options_.max_connections == 0) options_.max_connections = 1;
    if (options_.max_attempts < 1) options_.max_attempts = 1;
}

Pool::~Pool() = default;

Pool::Lease::~Lease() {
    if (conn_) pool_->release(std::move(conn_));
}

const char* Pool::begin_statement(const TxOptions& tx) {
    switch (tx.isolation) {
        case Isolation::serializable:
            return tx.read_only ? "BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY" : "BEGIN ISOLATION LEVEL SERIALIZABLE";
        case Isolation::repeatable_read:
            return tx.read_only ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
                                : "BEGIN ISOLATION LEVEL REPEATABLE READ";
        case Isolation::read_committed:
        default:
            return tx.read_only ? "BEGIN READ ONLY" : "BEGIN";
    }
}

void Pool::check_still_in_transaction(const Conn& conn) {
    if (conn.ok() && !conn.in_transaction()) {
        throw PgError(std::string(PgError::kClient), "pool job: the job ended its transaction itself");
    }
}

Pool::Lease Pool::acquire() {
    stats_.acquires.fetch_add(1, std::memory_order_relaxed);
    std::unique_lock lock(mutex_);
    bool counted_wait = false;
    const auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
    for (;;) {
        while (!idle_.empty()) {
            auto conn = std::move(idle_.back());
            idle_.pop_back();
            // A connection the server ended while it sat idle is dropped here rather than failing
            // the next job's first statement.
            if (conn->alive()) {
                // A blocking holder's answers must not wake the I/O thread its socket was
                // registered with by a fiber (the next fiber registers it again).
                conn->attach(nullptr);
                stats_.in_use.fetch_add(1, std::memory_order_relaxed);
                return Lease(*this, std::move(conn));
            }
            --open_;
            stats_.open.fetch_sub(1, std::memory_order_relaxed);
            stats_.reconnects.fetch_add(1, std::memory_order_relaxed);
        }
        if (open_ < options_.max_connections) {
            ++open_;  // reserved while connecting, outside the lock
            lock.unlock();
            try {
                auto conn = std::make_unique<Conn>(Conn::Options{options_.conninfo, options_.lock_timeout_ms,
                                                                 options_.application_name, options_.connect_timeout_s,
                                                                 options_.settings});
                stats_.open.fetch_add(1, std::memory_order_relaxed);
                stats_.in_use.fetch_add(1, std::memory_order_relaxed);
                return Lease(*this, std::move(conn));
            } catch (...) {
                stats_.connect_failures.fetch_add(1, std::memory_order_relaxed);
                lock.lock();
                --open_;
                lock.unlock();
                freed_.notify_one();
                throw;
            }
        }
        if (!counted_wait) {
            counted_wait = true;
            stats_.waits.fetch_add(1, std::memory_order_relaxed);
        }
        if (freed_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
            open_ >= options_.max_connections) {
            stats_.wait_timeouts.fetch_add(1, std::memory_order_relaxed);
            throw PgError(std::string(PgError::kPoolExhausted),
                          "no database connection free within " + std::to_string(options_.acquire_timeout.count()) +
                              " ms (pool of " + std::to_string(options_.max_connections) + ")");
        }
    }
}

std::optional<Pool::Lease> Pool::acquire_idle(Suspender& suspender) {
    stats_.acquires.fetch_add(1, std::memory_order_relaxed);
    for (;;) {
        std::unique_ptr<Conn> conn;
        {
            std::lock_guard lock(mutex_);
            if (idle_.empty()) return std::nullopt;
            // The most recently used of those at home, else the most recently used.
            auto pick = std::prev(idle_.end());
            for (auto it = idle_.end(); it != idle_.begin();) {
                --it;
                if ((*it)->attachment() && (*it)->attachment()->home() == suspender.home()) {
                    pick = it;
                    break;
                }
            }
            conn = std::move(*pick);
            idle_.erase(pick);
        }
        stats_.in_use.fetch_add(1, std::memory_order_relaxed);
        if (conn->alive()) {
            conn->set_waiter(&suspender);
            return Lease(*this, std::move(conn));
        }
        release(std::move(conn));  // dropped: broken
    }
}

void Pool::release(std::unique_ptr<Conn> conn) {
    stats_.in_use.fetch_sub(1, std::memory_order_relaxed);
    if (conn->ok() && conn->in_transaction()) {
        try {
            conn->rollback();
        } catch (const PgError&) {
        }
    }
    conn->set_waiter(nullptr);  // the next holder may block where this one could not
    const bool keep = conn->ok() && !conn->in_transaction();
    if (!keep) {
        conn.reset();  // closed outside the lock
        stats_.open.fetch_sub(1, std::memory_order_relaxed);
        stats_.reconnects.fetch_add(1, std::memory_order_relaxed);
    }
    {
        std::lock_guard lock(mutex_);
        if (keep) {
            idle_.push_back(std::move(conn));
        } else {
            --open_;
        }
    }
    freed_.notify_one();
}

bool Pool::again(const PgError& e, bool commit_sent, int attempt, Suspender* suspender) {
    const bool lost_before_commit = e.connection_lost() && !commit_sent;
    if (!e.retryable() && !lost_before_commit) return false;
    if (attempt >= options_.max_attempts) {
        stats_.gave_up.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    stats_.retries.fetch_add(1, std::memory_order_relaxed);
    if (e.retryable()) {
        // Jittered exponential back-off, so that the transactions that collided do not collide
        // again at once.
        thread_local std::minstd_rand rng{std::random_device{}()};
        auto ceiling = options_.backoff_initial * (1LL << std::min(attempt - 1, 20));
        if (ceiling > options_.backoff_max) ceiling = options_.backoff_max;
        const auto us = std::chrono::duration_cast<std::chrono::microseconds>(ceiling).count();
        if (us > 0) {
            std::uniform_int_distribution<long long> pick(us / 2, us);
            const std::chrono::microseconds pause(pick(rng));
            if (suspender) {
                suspender->sleep(pause);
            } else {
                std::this_thread::sleep_for(pause);
            }
        }
    }
    return true;
}

void append_metrics(const PoolStats& stats, std::string& out) {
    metric_lines::append(
        out,
        {
            {"civicsnap_pg_connections_open", "gauge", "PostgreSQL connections open.", stats.open},
            {"civicsnap_pg_connections_in_use", "gauge", "PostgreSQL connections leased to a job now.", stats.in_use},
            {"civicsnap_pg_acquires_total", "counter", "Connections asked of the pool.", stats.acquires},
            {"civicsnap_pg_waits_total", "counter", "Asks that found every connection busy and waited.", stats.waits},
            {"civicsnap_pg_wait_timeouts_total", "counter", "Waits that ended without a connection (503).",
             stats.wait_timeouts},
            {"civicsnap_pg_jobs_total", "counter", "Transactions committed.", stats.jobs},
            {"civicsnap_pg_retries_total", "counter",
             "Transactions run again after a serialization failure, a deadlock or a lost connection.", stats.retries},
            {"civicsnap_pg_gave_up_total", "counter", "Transactions failed after the last allowed run.", stats.gave_up},
            {"civicsnap_pg_run_again_total", "counter",
             "Transactions run again with their savepoints taken, after a client error undid one left untaken.",
             stats.run_again},
            {"civicsnap_pg_reconnects_total", "counter", "Broken connections dropped and replaced.", stats.reconnects},
            {"civicsnap_pg_connect_failures_total", "counter", "Connections that could not be opened.",
             stats.connect_failures},
            {"civicsnap_pg_io_thread_jobs_total", "counter",
             "Transactions begun on the requesting I/O thread, waiting for the server as a fiber.",
             stats.io_thread_jobs},
            {"civicsnap_pg_io_thread_handoffs_total", "counter",
             "Transactions an I/O thread handed to a job thread because no connection was idle.",
             stats.io_thread_handoffs},
        });
}

}  // namespace civic::store::pg
