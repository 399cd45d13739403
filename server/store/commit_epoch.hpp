#pragma once
// One of the counters of schema/007_epochs.sql, published to memory. Triggers move the counter
// in the same transaction as the changes it stands for; the writer reads it after every commit
// and, if it moved, advances current() before it completes any job of the batch. So:
//  - a request that made a change hears back only after current() moved, and
//  - a reader that takes current() before it reads cannot tag older data with a newer epoch.
// Caches (EpochCache) keep what they read under the epoch taken before reading.
#include "server/store/database.hpp"

#include <atomic>
#include <cstdint>
#include <string>

namespace civic::store {

class CommitEpoch {
public:
    // Reads the counter now and after every commit. Construct before the writer's first job.
    CommitEpoch(Writer& writer, std::string name);
    CommitEpoch(const CommitEpoch&) = delete;
    CommitEpoch& operator=(const CommitEpoch&) = delete;

    std::uint64_t current() const { return current_.load(std::memory_order_acquire); }

private:
    void publish(Conn& conn);

    const std::string name_;
    std::atomic<std::uint64_t> current_{0};
    std::int64_t last_seen_ = -1;  // the table's counter as last read (writer thread only)
};

}  // namespace civic::store
