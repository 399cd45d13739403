#pragma once
// Row locks for the domain's read-then-write steps (docs/postgresql.md "Concurrency: what each
// rule rests on"). On SQLite a write job's transaction (BEGIN IMMEDIATE, one writer) already
// excludes every other writer, and SQLite refuses FOR UPDATE; on PostgreSQL at READ COMMITTED the
// rows a SELECT … FOR UPDATE returns stay locked until commit, and a waiter reads them as the
// locker committed them.
#include "server/store/sqlite.hpp"

#include <string>

namespace civic::store {

// `select` (one SELECT naming one table) with a row lock on PostgreSQL, unchanged on SQLite.
inline std::string locking(const Conn& conn, std::string select) {
    if (conn.engine() == Engine::postgresql) select += " FOR UPDATE";
    return select;
}

}  // namespace civic::store
