#pragma once
// The PostgreSQL tests' fixture: every test gets a database of its own, copied from the migrated
// template (or from template1, empty, for the migration tests) of the run's shared cluster.
#include "server/store/pg/pg_conn.hpp"
#include "tests/support/pg_cluster.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>

#include <cstdint>
#include <cstdio>
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

// What the client sent on `conn` while `fn` ran, from libpq's trace: Sync messages (one per round
// trip of the extended protocol), simple-protocol queries (one round trip each), all messages.
struct ClientMessages {
    int syncs = 0;
    int simple_queries = 0;
    int messages = 0;
    std::string text;  // the messages as libpq traced them (statements' text included)
};
template <class F>
ClientMessages client_messages(store::pg::Conn& conn, F&& fn) {
    std::FILE* trace = std::tmpfile();
    if (!trace) throw std::runtime_error("tmpfile");
    PQtrace(conn.raw(), trace);
    try {
        fn();
    } catch (...) {
        PQuntrace(conn.raw());
        std::fclose(trace);
        throw;
    }
    PQuntrace(conn.raw());
    std::rewind(trace);
    ClientMessages sent;
    char line[512];
    while (std::fgets(line, sizeof line, trace)) {
        const std::string l(line);
        if (l.rfind("F\t", 0) != 0 && l.find("\tF\t") == std::string::npos) continue;  // the server's
        ++sent.messages;
        sent.text += l;
        sent.syncs += l.find("\tSync") != std::string::npos;
        sent.simple_queries += l.find("\tQuery\t") != std::string::npos;
    }
    std::fclose(trace);
    return sent;
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
