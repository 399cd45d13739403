#include "server/store/commit_epoch.hpp"
#include "server/store/sqlite.hpp"

#include <algorithm>

namespace civic::store {

CommitEpoch::CommitEpoch(StorageEngine& engine, std::string name) : engine_(engine), name_(std::move(name)) {
    engine.at_startup([this](Conn& conn) { observe_epochs(conn, {this}); });
    engine.add_epoch(this);
}

CommitEpoch::~CommitEpoch() { engine_.remove_epoch(this); }

void observe_epochs(Conn& conn, const std::vector<CommitEpoch*>& epochs) {
    if (epochs.empty()) return;
    std::vector<std::pair<std::string, std::int64_t>> counters;
    try {
        auto q = conn.query("SELECT name, n FROM epochs");
        while (q.next()) counters.emplace_back(q.text(0), q.int64(1));
    } catch (const DbError&) {
        for (auto* epoch : epochs) epoch->moved();
        return;
    }
    for (auto* epoch : epochs) {
        const auto it =
            std::find_if(counters.begin(), counters.end(), [epoch](const auto& c) { return c.first == epoch->name(); });
        epoch->observe(it == counters.end() ? std::nullopt : std::optional<std::int64_t>(it->second));
    }
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
