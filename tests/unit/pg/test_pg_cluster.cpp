// The test cluster's own failure paths (tests/support/pg_cluster.cpp): a cluster that cannot
// start leaves nothing behind.
#include "tests/support/pg_cluster.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <stdexcept>
#include <string>

using civic::test::PgCluster;

TEST(PgClusterSupport, AServerThatCannotStartLeavesNoDirectory) {
    PgCluster::Options o;
    o.max_connections = 1;  // not above superuser_reserved_connections (3): the server refuses to start
    try {
        PgCluster::start(o);
        FAIL() << "a server with max_connections = 1 started";
    } catch (const std::runtime_error& e) {
        const std::string message = e.what();
        const auto at = message.find("/tmp/civic-pg-");
        ASSERT_NE(at, std::string::npos) << message;
        const auto dir = message.substr(at, message.find(':', at) - at);
        EXPECT_FALSE(std::filesystem::exists(dir)) << dir << " left behind";
    }
}
