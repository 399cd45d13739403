#include "server/store/commit_epoch.hpp"
#include "server/store/sqlite.hpp"

#include <algorithm>
#include <charconv>
#include <memory>
#include <string_view>

namespace civic::store {

CommitEpoch::CommitEpoch(StorageEngine& engine, std::string name) : engine_(engine), name_(std::move(name)) {
    engine.at_startup([this](Conn& conn) { observe_epochs(conn, {this}); });
    engine.add_epoch(this);
}

CommitEpoch::~CommitEpoch() { engine_.remove_epoch(this); }

namespace {

constexpr const char* kReadEpochs = "SELECT name, n FROM epochs";

using EpochCounters = std::vector<std::pair<std::string, std::int64_t>>;  // every counter, by name

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

void observe_epoch_notices(const std::vector<std::string>& notices, bool inexact,
                           const std::vector<CommitEpoch*>& epochs) {
    constexpr std::string_view kTag = "civic_epoch ";
    for (auto* epoch : epochs) {
        if (inexact) {
            epoch->moved();
            continue;
        }
        // The last bump of the counter in the transaction: its value is the one committed.
        const std::string prefix = std::string(kTag) + epoch->name() + " ";
        const auto last = std::find_if(notices.rbegin(), notices.rend(),
                                       [&](const std::string& notice) { return notice.starts_with(prefix); });
        if (last == notices.rend()) continue;
        const std::string_view digits = std::string_view(*last).substr(prefix.size());
        std::int64_t n = 0;
        const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
        if (error == std::errc{} && end == digits.data() + digits.size()) {
            epoch->observe(n);
        } else {
            epoch->moved();
        }
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
