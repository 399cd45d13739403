// Cluster tests (issue 13, API.md §1.1): several daemons over one PostgreSQL database. They run
// in the PostgreSQL pass (integration_pg.cluster); the SQLite pass skips them.
#include "support/cluster.hpp"
#include "support/test_database.hpp"

#include <gtest/gtest.h>

namespace civic::test {
namespace {

class PgNodes : public ::testing::Test {
protected:
    void SetUp() override {
        if (!database_on_postgresql()) GTEST_SKIP() << "cluster tests run in the PostgreSQL pass";
    }
};

TEST_F(PgNodes, AnAccountMadeOnOneNodeLogsInOnTheOther) {
    Cluster cluster;
    const auto token_a = cluster.node(0).register_resident("13700000001", "两地居民");
    const auto me_a = cluster.node(0).get("/api/v1/me", token_a);
    ASSERT_EQ(me_a.status, 200) << me_a.body;
    const auto token_b = cluster.node(1).login("13700000001", "resident-pass-1");
    const auto me_b = cluster.node(1).get("/api/v1/me", token_b);
    ASSERT_EQ(me_b.status, 200) << me_b.body;
    EXPECT_EQ(me_a.json()["id"], me_b.json()["id"]);
    // A token issued by one node is good on the other: sessions live in the shared database.
    EXPECT_EQ(cluster.node(1).get("/api/v1/me", token_a).status, 200);
}

}  // namespace
}  // namespace civic::test
