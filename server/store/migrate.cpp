#include "server/store/migrations.hpp"
#include "server/store/sqlite.hpp"

#include <filesystem>
#include <stdexcept>

namespace civic::store {

std::int64_t schema_version(Conn& conn) {
    auto q = conn.query("PRAGMA user_version");
    q.next();
    return q.int64(0);
}

ConnPtr open_for_check(const std::string& data_dir) {
    return open_file_for_check((std::filesystem::path(data_dir) / "civicsnap.db").string());
}

ConnPtr open_file_for_check(const std::string& path) {
    if (!std::filesystem::exists(path)) throw std::runtime_error("no database at " + path);
    ConnPtr conn(new Conn(path, Conn::Mode::read_only));
    if (schema_version(*conn) != static_cast<std::int64_t>(migrations().size()))
        throw std::runtime_error(
            "the database's schema version differs from this binary's; start the matching "
            "civicsnapd once to migrate it");
    return conn;
}

int migrate(Conn& conn) {
    const auto& all = migrations();
    const auto current = schema_version(conn);
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
