#include "server/store/database_spec.hpp"

#include "server/store/database.hpp"
#include "server/store/migrations.hpp"
#include "server/store/pg/pg_migrate.hpp"
#include "server/store/pg_backend.hpp"
#include "server/store/pg_database.hpp"
#include "server/store/sqlite.hpp"

#include <filesystem>
#include <regex>

namespace civic::store {

namespace {
bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }
}  // namespace

std::string DatabaseSpec::describe() const {
    if (engine == Engine::sqlite) return "sqlite:" + path;
    // postgresql://user:secret@host/db → postgresql://user:***@host/db
    static const std::regex password(R"(^(postgres(?:ql)?://[^:/@?]*:)[^@/?]*@)");
    return std::regex_replace(conninfo, password, "$1***@", std::regex_constants::format_first_only);
}

DatabaseSpec parse_database(const std::string& value, const std::string& data_dir) {
    DatabaseSpec spec;
    if (value.empty()) {
        spec.path = (std::filesystem::path(data_dir) / "civicsnap.db").string();
    } else if (starts_with(value, "sqlite:")) {
        spec.path = value.substr(7);
        if (spec.path.empty()) throw DatabaseStartError("--database sqlite:PATH needs a path");
    } else if (starts_with(value, "postgresql://") || starts_with(value, "postgres://")) {
        spec.engine = Engine::postgresql;
        spec.conninfo = value;
        if (const auto problem = pg::conninfo_error(value); !problem.empty())
            throw DatabaseStartError("--database " + spec.describe() + ": " + problem);
    } else {
        throw DatabaseStartError("--database must be sqlite:PATH or postgresql://…, not '" + value + "'");
    }
    return spec;
}

std::unique_ptr<StorageEngine> make_storage_engine(const DatabaseSpec& spec, boost::asio::thread_pool& blocking_pool,
                                                   std::size_t sqlite_read_connections) {
    if (spec.engine == Engine::postgresql) {
        pg::PoolOptions options;
        options.conninfo = spec.conninfo;
        return std::make_unique<PgEngine>(std::move(options));
    }
    try {
        return std::make_unique<SqliteEngine>(SqliteEngine::Options{spec.path, sqlite_read_connections}, blocking_pool);
    } catch (const DbError& e) {
        throw DatabaseStartError(spec.describe() + ": " + e.what());
    }
}

MigrateOutcome migrate_database(const DatabaseSpec& spec) {
    MigrateOutcome outcome;
    try {
        if (spec.engine == Engine::postgresql) {
            pg::Conn conn(spec.conninfo);
            const auto r = pg::migrate(conn);
            return {r.version, r.applied};
        }
        Conn conn(spec.path, Conn::Mode::read_write);
        const auto before = schema_version(conn);
        outcome.version = migrate(conn);
        outcome.applied = outcome.version - static_cast<int>(before);
    } catch (const pg::PgError& e) {
        throw DatabaseStartError(spec.describe() + ": " + e.what());
    } catch (const DbError& e) {
        throw DatabaseStartError(spec.describe() + ": " + e.what());
    }
    return outcome;
}

ConnPtr open_for_check(const DatabaseSpec& spec) {
    if (spec.engine == Engine::sqlite) {
        try {
            return open_file_for_check(spec.path);
        } catch (const std::runtime_error& e) {
            throw DatabaseStartError(e.what());
        }
    }
    try {
        auto conn = std::make_unique<pg::Conn>(spec.conninfo);
        pg::check_server_version(conn->server_version());
        const auto version = pg::schema_version(*conn);
        const auto known = static_cast<int>(pg::migrations().size());
        if (version != known)
            throw DatabaseStartError(spec.describe() + ": the database's schema version (" + std::to_string(version) +
                                     ") differs from this binary's (" + std::to_string(known) + "); " +
                                     (version < known ? "run civicsnapd migrate" : "run a newer civicsnapd"));
        return ConnPtr(own_postgresql(std::move(conn)).release());
    } catch (const pg::PgError& e) {
        throw DatabaseStartError(spec.describe() + ": " + e.what());
    }
}

}  // namespace civic::store
