#pragma once
// Start-up work that the nodes of one database must do once between them (the first admin, the
// demo city): several nodes starting at once on a fresh database take turns, each finding what
// the one before made.
#include "server/store/conn.hpp"
#include "server/store/storage_engine.hpp"

#include <functional>

namespace civic::store {

// StorageEngine::at_startup, on PostgreSQL under a session advisory lock held across the nodes
// (PgEngine::at_startup_exclusive); on SQLite (one node) at_startup itself.
void at_startup_exclusive(StorageEngine& engine, const std::function<void(Conn&)>& fn);

}  // namespace civic::store
