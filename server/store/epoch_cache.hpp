#pragma once
// A bounded map of answers read from the database, each kept under the CommitEpoch value taken
// before it was read and trusted only while that epoch is current. Thread-safe.
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace civic::store {

template <class Key, class Value>
class EpochCache {
public:
    // When full, the cache starts over: every entry is one read away.
    explicit EpochCache(std::size_t max_entries) : max_entries_(max_entries) {}

    std::optional<Value> find(const Key& key, std::uint64_t current_epoch) const {
        std::lock_guard lock(mutex_);
        const auto it = entries_.find(key);
        if (it == entries_.end() || it->second.epoch != current_epoch) return std::nullopt;
        return it->second.value;
    }

    void remember(const Key& key, Value value, std::uint64_t read_epoch) {
        std::lock_guard lock(mutex_);
        if (entries_.size() >= max_entries_) entries_.clear();
        entries_.insert_or_assign(key, Entry{std::move(value), read_epoch});
    }

private:
    struct Entry {
        Value value;
        std::uint64_t epoch;
    };
    const std::size_t max_entries_;
    mutable std::mutex mutex_;
    std::unordered_map<Key, Entry> entries_;
};

}  // namespace civic::store
