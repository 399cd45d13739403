#pragma once
// The PostgreSQL tests' fixture: every test gets a database of its own, copied from the migrated
// template (or from template1, empty, for the migration tests) of the run's shared cluster.
#include "server/store/pg/pg_conn.hpp"
#include "tests/support/pg_cluster.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace civic::test {

// The first column of the first row, as an integer (a count, a sum, one value).
inline std::int64_t scalar(store::pg::Conn& c, const std::string& sql) {
    auto q = c.query(sql);
    if (!q.next()) throw std::runtime_error("no row: " + sql);
    return q.int64(0);
}

// The cluster, started or attached by main (pg_test_main.cpp).
PgCluster& pg_cluster();

class PgTest : public ::testing::Test {
protected:
    explicit PgTest(const char* template_db = kPgMigratedTemplate) : db_(pg_cluster(), template_db) {}
    std::string conninfo() const { return db_.conninfo(); }
    std::unique_ptr<store::pg::Conn> connect() const { return std::make_unique<store::pg::Conn>(conninfo()); }
    const PgDatabase& db() const { return db_; }

private:
    PgDatabase db_;
};

// Starts from an empty database (template1): for the migrator's tests.
class PgEmptyTest : public PgTest {
protected:
    PgEmptyTest() : PgTest("template1") {}
};

}  // namespace civic::test
