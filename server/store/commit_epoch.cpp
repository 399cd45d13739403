#include "server/store/commit_epoch.hpp"
#include "server/store/sqlite.hpp"

#include <algorithm>
#include <memory>

namespace civic::store {

CommitEpoch::CommitEpoch(StorageEngine& engine, std::string name) : engine_(engine), name_(std::move(name)) {
    engine.at_startup([this](Conn& conn) { observe_epochs(conn, {this}); });
    engine.add_epoch(this);
}

CommitEpoch::~CommitEpoch() { engine_.remove_epoch(this); }

namespace {

constexpr const char* kReadEpochs = "SELECT name, n FROM epochs";

EpochCounters counters_from(Query& q) {
    EpochCounters counters;
    while (q.next()) counters.emplace_back(q.text(0), q.int64(1));
    return counters;
}

void publish(const std::optional<EpochCounters>& counters, const std::vector<CommitEpoch*>& epochs) {
    for (auto* epoch : epochs) {
        if (!counters) {
            epoch->moved();
            continue;
        }
        const auto it = std::find_if(counters->begin(), counters->end(),
                                     [epoch](const auto& c) { return c.first == epoch->name(); });
        epoch->observe(it == counters->end() ? std::nullopt : std::optional<std::int64_t>(it->second));
    }
}

}  // namespace

void observe_epochs(Conn& conn, const std::vector<CommitEpoch*>& epochs) {
    if (epochs.empty()) return;
    std::optional<EpochCounters> counters;
    try {
        auto q = conn.query(kReadEpochs);
        counters = counters_from(q);
    } catch (const DbError&) {
    }
    publish(counters, epochs);
}

Pending<EpochCounters> send_epoch_read(Conn& conn) {
    auto q = std::make_shared<Query>(conn.query(kReadEpochs));
    q->send();
    return Pending<EpochCounters>([q] { return counters_from(*q); });
}

void observe_epochs(Pending<EpochCounters>& read, const std::vector<CommitEpoch*>& epochs) {
    std::optional<EpochCounters> counters;
    try {
        counters = read.get();
    } catch (const DbError&) {
    }
    publish(counters, epochs);
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
