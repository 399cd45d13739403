#include "server/store/migrations.hpp"

namespace civic::store {

int migrate(Conn& conn) {
    const auto& all = migrations();
    const auto current = [&] {
        auto q = conn.query("PRAGMA user_version");
        q.next();
        return q.int64(0);
    }();
    const auto known = static_cast<std::int64_t>(all.size());
    if (current > known) {
        throw DbError(0, "database schema version " + std::to_string(current) + " is newer than this binary (knows " +
                             std::to_string(known) + "); refusing to start — run a newer civicsnapd");
    }
    for (auto version = current + 1; version <= known; ++version) {
        const auto& m = all[static_cast<std::size_t>(version - 1)];
        in_transaction(conn, [&] {
            conn.exec(m.sql);
            conn.exec("PRAGMA user_version = " + std::to_string(version));
        });
    }
    return static_cast<int>(known);
}

}  // namespace civic::store
