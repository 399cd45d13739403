// civicsnap-load's --port list (bench/load/target.hpp): one daemon, or several nodes over one
// database with the connections dealt out to them in turn.
#include "bench/load/target.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

using namespace civic::load;

TEST(LoadTarget, OnePortTakesEveryConnection) {
    const auto t = parse_target("127.0.0.1", "8080");
    EXPECT_EQ(t.port, 8080);
    EXPECT_TRUE(t.more_ports.empty());
    for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(t.port_for(i), 8080);
}

TEST(LoadTarget, SeveralPortsAreDealtOutInTurn) {
    const auto t = parse_target("127.0.0.1", "4001,4002,4003");
    EXPECT_EQ(t.port, 4001);
    EXPECT_EQ(t.port_for(0), 4001);
    EXPECT_EQ(t.port_for(1), 4002);
    EXPECT_EQ(t.port_for(2), 4003);
    EXPECT_EQ(t.port_for(3), 4001);
    EXPECT_EQ(t.port_for(16), 4002);
}

TEST(LoadTarget, BadPortListsAreRefused) {
    for (const auto* bad : {"", ",", "4001,", ",4001", "4001,,4002", "0", "65536", "80x", "-1", "http"})
        EXPECT_THROW(parse_target("127.0.0.1", bad), std::invalid_argument) << "'" << bad << "'";
}
