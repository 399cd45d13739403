#include "server/store/commit_epoch.hpp"
#include "server/store/sqlite.hpp"

#include <optional>

namespace civic::store {

CommitEpoch::CommitEpoch(StorageEngine& engine, std::string name) : name_(std::move(name)) {
    engine.at_startup([this](Conn& conn) { publish(conn); });
    engine.on_commit([this](Conn& conn) { publish(conn); });
}

void CommitEpoch::publish(Conn& conn) {
    std::optional<std::int64_t> n;
    try {
        auto q = conn.query("SELECT n FROM epochs WHERE name = ?");
        q.args(name_);
        if (q.next()) n = q.int64(0);
    } catch (const DbError&) {
        // Cannot tell whether anything changed: assume it did.
    }
    std::lock_guard lock(mutex_);
    if (n) {
        if (*n == last_seen_) return;
        last_seen_ = *n;
    }
    current_.fetch_add(1, std::memory_order_acq_rel);
}

}  // namespace civic::store
