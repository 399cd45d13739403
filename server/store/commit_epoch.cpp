#include "server/store/commit_epoch.hpp"
#include "server/store/sqlite.hpp"

namespace civic::store {

CommitEpoch::CommitEpoch(Writer& writer, std::string name) : name_(std::move(name)) {
    publish(writer.startup_connection());
    writer.on_commit([this](Conn& conn) { publish(conn); });
}

void CommitEpoch::publish(Conn& conn) {
    try {
        auto q = conn.query("SELECT n FROM epochs WHERE name = ?");
        q.args(name_);
        if (q.next()) {
            const auto n = q.int64(0);
            if (n == last_seen_) return;
            last_seen_ = n;
        }
    } catch (const DbError&) {
        // Cannot tell whether anything changed: assume it did.
    }
    current_.fetch_add(1, std::memory_order_acq_rel);
}

}  // namespace civic::store
