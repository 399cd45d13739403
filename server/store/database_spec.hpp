#pragma once
// `--database` (API.md §1.1): which engine and where. `sqlite:PATH` (the default,
// sqlite:<data-dir>/civicsnap.db) or a libpq URI `postgresql://…` / `postgres://…`.
#include "server/store/conn.hpp"
#include "server/store/storage_engine.hpp"

#include <boost/asio/thread_pool.hpp>

#include <memory>
#include <string>

namespace civic::store {

struct DatabaseSpec {
    Engine engine = Engine::sqlite;
    std::string path;      // SQLite: the database file
    std::string conninfo;  // PostgreSQL: the URI as given
    // For messages: the path, or the URI without its password.
    std::string describe() const;
};

// Throws DatabaseStartError for a value that is neither form, an empty path, or a URI libpq
// cannot parse. Connects nothing.
DatabaseSpec parse_database(const std::string& value, const std::string& data_dir);

// The engine for `spec`. SQLite opens (and creates) its file now; PostgreSQL connects at
// migrate(). `blocking_pool` runs SQLite's reads and must outlive the engine.
std::unique_ptr<StorageEngine> make_storage_engine(const DatabaseSpec& spec, boost::asio::thread_pool& blocking_pool,
                                                   std::size_t sqlite_read_connections);

struct MigrateOutcome {
    int version = 0;  // the schema's version afterwards
    int applied = 0;  // migrations this call applied
};
// `civicsnapd migrate`: brings the schema up to this binary's version (PostgreSQL under the
// advisory lock). Throws DatabaseStartError when the database cannot be used.
MigrateOutcome migrate_database(const DatabaseSpec& spec);

// `civicsnapd check`: a connection for reading in one snapshot, to a database whose schema is
// this binary's. Throws DatabaseStartError (unreachable, no database, another schema version).
ConnPtr open_for_check(const DatabaseSpec& spec);

}  // namespace civic::store
