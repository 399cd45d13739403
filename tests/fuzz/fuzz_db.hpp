#pragma once
// A private in-memory database with the real schema for harnesses whose parser ends in a lookup
// (kiosk signatures, redemption tokens). Each input runs inside a transaction that is rolled
// back, so inputs cannot influence each other and the database never grows during a run.
#include "server/store/migrations.hpp"
#include "server/store/sqlite.hpp"

#include <memory>

namespace civic::fuzz {

inline std::unique_ptr<store::Conn> open_schema_db() {
    auto conn = std::make_unique<store::Conn>(":memory:", store::Conn::Mode::read_write);
    store::migrate(*conn);
    return conn;
}

// Runs fn between BEGIN and ROLLBACK.
template <class F>
void rolled_back(store::Conn& conn, F&& fn) {
    conn.exec("BEGIN IMMEDIATE");
    fn();
    conn.exec("ROLLBACK");
}

}  // namespace civic::fuzz
