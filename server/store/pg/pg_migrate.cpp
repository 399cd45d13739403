#include "server/store/pg/pg_migrate.hpp"

#include "server/store/pg/pg_advisory_lock.hpp"

#include <ctime>

namespace civic::store::pg {

namespace {

bool table_exists(Conn& conn) {
    auto q = conn.query("SELECT to_regclass(?) IS NOT NULL");
    q.args(kMigrationsTable);
    q.next();
    return q.text(0) == "t";
}

}  // namespace

void check_server_version(int server_version_num) {
    if (server_version_num < kMinServerVersion) {
        throw PgError("0A000", "PostgreSQL " + std::to_string(server_version_num / 10000) + " (server_version_num " +
                                   std::to_string(server_version_num) +
                                   ") is older than 15, the oldest civicsnapd supports; refusing to start");
    }
}

int schema_version(Conn& conn) {
    if (!table_exists(conn)) return 0;
    auto q = conn.query("SELECT coalesce(max(version), 0) FROM schema_migrations");
    q.next();
    return static_cast<int>(q.int64(0));
}

MigrateResult migrate(Conn& conn) { return migrate(conn, migrations()); }

MigrateResult migrate(Conn& conn, const std::vector<Migration>& all) {
    if (conn.in_transaction()) throw PgError(std::string(PgError::kClient), "migrate: called inside a transaction");
    {
        auto q = conn.query("SELECT current_setting('server_version_num')::int");
        q.next();
        check_server_version(static_cast<int>(q.int64(0)));
    }
    SessionAdvisoryLock lock(conn, kMigrationLockKey);
    conn.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version    BIGINT PRIMARY KEY,"
        " name       TEXT   NOT NULL,"
        " applied_at BIGINT NOT NULL)");

    const auto known = static_cast<int>(all.size());
    int current = 0;
    {
        auto q = conn.query("SELECT version, name FROM schema_migrations ORDER BY version");
        while (q.next()) {
            const auto version = q.int64(0);
            const auto name = q.text(1);
            if (version > known) {
                throw PgError("0A000", "database schema version " + std::to_string(version) + " (" + name +
                                           ") is newer than this binary (knows " + std::to_string(known) +
                                           "); refusing to start — run a newer civicsnapd");
            }
            if (version < 1 || all[static_cast<std::size_t>(version - 1)].name != name) {
                throw PgError("0A000", "database migration " + std::to_string(version) + " is " + name +
                                           " but this binary's is " +
                                           (version >= 1 ? all[static_cast<std::size_t>(version - 1)].name : "none") +
                                           "; refusing to start");
            }
            if (version != current + 1) {
                throw PgError("0A000", "database migrations are not contiguous (" + std::to_string(version) +
                                           " follows " + std::to_string(current) + "); refusing to start");
            }
            current = static_cast<int>(version);
        }
    }

    MigrateResult result;
    for (int version = current + 1; version <= known; ++version) {
        const auto& m = all[static_cast<std::size_t>(version - 1)];
        in_transaction(conn, [&] {
            conn.exec(m.sql);
            conn.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)")
                .args(version, m.name, static_cast<std::int64_t>(std::time(nullptr)))
                .run();
        });
        ++result.applied;
    }
    result.version = known;
    return result;
}

}  // namespace civic::store::pg
