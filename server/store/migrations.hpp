#pragma once
#include "server/store/sqlite.hpp"

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

}  // namespace civic::store
