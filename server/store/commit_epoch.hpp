#pragma once
// One of the counters of schema/007_epochs.sql, published to memory. Triggers move the counter
// in the same transaction as the changes they stand for; the engine reads every counter once
// after every commit (observe_epochs; on PostgreSQL the writing transaction's triggers say which
// moved, observe_epoch_notices) and, if one moved, advances its current() before it
// completes the committed job(s). So:
//  - a request that made a change hears back only after current() moved, and
//  - a reader that takes current() before it reads cannot tag older data with a newer epoch.
// Caches (EpochCache) keep what they read under the epoch taken before reading.
// On PostgreSQL another node's commits reach it through this node's listener
// (cluster_events.hpp), which reads the counter after a notification or a poll and calls
// observe(), or moved() when it cannot tell what it missed.
#include "server/store/storage_engine.hpp"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace civic::store {

class CommitEpoch {
public:
    // Reads the counter now; the engine reads it after every commit. Construct before the
    // engine's first job.
    CommitEpoch(StorageEngine& engine, std::string name);
    ~CommitEpoch();
    CommitEpoch(const CommitEpoch&) = delete;
    CommitEpoch& operator=(const CommitEpoch&) = delete;

    std::uint64_t current() const { return current_.load(std::memory_order_acquire); }
    const std::string& name() const { return name_; }

    // The counter as read just now by the caller, outside any transaction that could still roll
    // back (nullopt: the read failed). Advances current() unless it is the value last seen.
    void observe(std::optional<std::int64_t> n);
    // Advances current() whatever the counter says: commits may have been missed.
    void moved();

private:
    StorageEngine& engine_;
    const std::string name_;
    std::atomic<std::uint64_t> current_{0};
    // On PostgreSQL observers of different commits (and the listener) run at once. A publish that
    // finds the counter where another left it may skip its bump only because that other bump
    // came after the same committed value was read: the compare and the bump are one step under
    // the mutex.
    std::mutex mutex_;
    std::int64_t last_seen_ = -1;  // the table's counter as last read
};

// One read of every counter (`SELECT name, n FROM epochs`) on `conn`, outside any transaction
// that could still roll back, given to each of `epochs`; if the read fails every one advances
// (it cannot tell what it missed). The engines call it after each commit with their registered
// epochs, the PostgreSQL listener after a notification or a poll.
void observe_epochs(Conn& conn, const std::vector<CommitEpoch*>& epochs);

// On PostgreSQL, after a write's COMMIT: the counters its transaction moved, as its epoch
// triggers told the session in NOTICEs `civic_epoch <name> <n>` (schema/postgresql/
// 021_epoch_notices.sql; pg::Conn::notices), given to the epochs they name — nothing read, and
// nothing done for a write that moved none. Notices that do not tell exactly what the COMMIT kept
// (`inexact`: cut short, or the transaction rolled back to a savepoint, whose undone bumps named
// values the next bump will commit again): every epoch advances. Other notices are ignored.
void observe_epoch_notices(const std::vector<std::string>& notices, bool inexact,
                           const std::vector<CommitEpoch*>& epochs);

}  // namespace civic::store
