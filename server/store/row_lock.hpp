#pragma once
// Row locks for the domain's read-then-write steps (docs/postgresql.md "Concurrency: what each
// rule rests on"). On SQLite a write job's transaction (BEGIN IMMEDIATE, one writer) already
// excludes every other writer, and SQLite refuses FOR UPDATE; on PostgreSQL at READ COMMITTED the
// rows a SELECT … FOR UPDATE returns stay locked until commit, and a waiter reads them as the
// locker committed them.
#include "server/store/sqlite.hpp"

#include <cstdint>
#include <string>

namespace civic::store {

// `select` (one SELECT naming one table) with a row lock on PostgreSQL, unchanged on SQLite.
inline std::string locking(const Conn& conn, std::string select) {
    if (conn.engine() == Engine::postgresql) select += " FOR UPDATE";
    return select;
}

// Deletes the rows of `table` whose `column` is below `cutoff`, for purges run on the request
// path (every kiosk call, every token issued). On PostgreSQL rows another purge is deleting are
// left to it (FOR UPDATE SKIP LOCKED), or each call would wait for the other's commit and every
// caller of every node would queue in one line. `table` and `column` are the caller's literals.
inline void purge_rows_below(Conn& conn, const char* table, const char* column, std::int64_t cutoff) {
    const std::string t = table, c = column;
    if (conn.engine() == Engine::sqlite) {
        conn.query("DELETE FROM " + t + " WHERE " + c + " < ?").args(cutoff).run();
        return;
    }
    conn.query("DELETE FROM " + t + " WHERE ctid IN (SELECT ctid FROM " + t + " WHERE " + c +
               " < ? FOR UPDATE SKIP LOCKED)")
        .args(cutoff)
        .run();
}

}  // namespace civic::store
