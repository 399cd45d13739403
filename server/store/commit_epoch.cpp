#include "server/store/commit_epoch.hpp"
#include "server/store/sqlite.hpp"

#include <algorithm>

namespace civic::store {

CommitEpoch::CommitEpoch(StorageEngine& engine, std::string name) : engine_(engine), name_(std::move(name)) {
    engine.at_startup([this](Conn& conn) { publish(conn); });
    engine.on_commit([this](Conn& conn) { publish(conn); });
    engine.add_epoch(this);
}

CommitEpoch::~CommitEpoch() { engine_.remove_epoch(this); }

void CommitEpoch::publish(Conn& conn) {
    std::optional<std::int64_t> n;
    try {
        auto q = conn.query("SELECT n FROM epochs WHERE name = ?");
        q.args(name_);
        if (q.next()) n = q.int64(0);
    } catch (const DbError&) {
        // Cannot tell whether anything changed: assume it did.
    }
    observe(n);
}

void CommitEpoch::observe(std::optional<std::int64_t> n) {
    std::lock_guard lock(mutex_);
    if (n) {
        if (*n == last_seen_) return;
        last_seen_ = *n;
    }
    current_.fetch_add(1, std::memory_order_acq_rel);
}

void CommitEpoch::moved() {
    std::lock_guard lock(mutex_);
    current_.fetch_add(1, std::memory_order_acq_rel);
}

void StorageEngine::add_epoch(CommitEpoch* epoch) {
    std::lock_guard lock(epochs_mutex_);
    epochs_.push_back(epoch);
}

void StorageEngine::remove_epoch(CommitEpoch* epoch) {
    std::lock_guard lock(epochs_mutex_);
    std::erase(epochs_, epoch);
}

std::vector<CommitEpoch*> StorageEngine::epochs() const {
    std::lock_guard lock(epochs_mutex_);
    return epochs_;
}

}  // namespace civic::store
