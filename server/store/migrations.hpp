#pragma once
#include "server/store/conn.hpp"

#include <string>
#include <vector>

namespace civic::store {

struct Migration {
    std::string name;  // file name, e.g. "001_foundation.sql"; its number is its version
    std::string sql;
};

// schema/*.sql in order, compiled in.
const std::vector<Migration>& migrations();

// Applies every migration newer than the database's `user_version`, each in its own
// transaction that also records the new version. Throws DbError if the database was written
// by a newer binary (its version is beyond the last migration we know).
int migrate(Conn& conn);

// The version the database's schema is at (the number of migrations applied).
std::int64_t schema_version(Conn& conn);

// Opens `<data_dir>/civicsnap.db` read-only for an offline check (`civicsnapd check`, a backup's
// verification). Throws std::runtime_error when there is no database, or when its schema is not
// this binary's.
ConnPtr open_for_check(const std::string& data_dir);
// The same for the database file at `path`.
ConnPtr open_file_for_check(const std::string& path);

}  // namespace civic::store
