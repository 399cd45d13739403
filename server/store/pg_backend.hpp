#pragma once
// store::Conn over a PostgreSQL connection (server/store/pg/): the repositories' front on the
// second engine. PgError becomes DbError, classified (pg_error_kind).
#include "server/store/conn.hpp"

#include <memory>

namespace civic::store {

namespace pg {
class Conn;
class PgError;
}  // namespace pg

// A front over `conn`, which must outlive it (a pool's leased connection, a test's connection).
std::unique_ptr<Conn> borrow_postgresql(pg::Conn& conn);
// A front owning its connection.
std::unique_ptr<Conn> own_postgresql(std::unique_ptr<pg::Conn> conn);
// What a PostgreSQL failure means to callers of either engine.
DbError to_db_error(const pg::PgError& error);

}  // namespace civic::store
