// The report event sent between nodes (store/cluster_repo.hpp): what is encoded decodes to the
// same event, and a payload that is not one is refused rather than half-read.
#include "server/store/cluster_repo.hpp"
#include "server/store/sqlite.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using namespace civic::store;

TEST(ClusterRepo, AReportEventRoundTrips) {
    const ReportEvent e{"report.updated", 42, "assigned", 7, std::nullopt, 9, 1764547200, this_node_id()};
    const auto back = decode_report_event(encode_report_event(e));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->type, e.type);
    EXPECT_EQ(back->report_id, 42);
    EXPECT_EQ(back->status, "assigned");
    EXPECT_EQ(back->grid_id, 7);
    EXPECT_EQ(back->assignee_id, std::nullopt);
    EXPECT_EQ(back->reporter_id, 9);
    EXPECT_EQ(back->at, 1764547200);
    EXPECT_EQ(back->node, this_node_id());
    const auto row = report_row_of(*back);
    EXPECT_EQ(row.id, 42);
    EXPECT_EQ(row.grid_id, 7);
    EXPECT_EQ(row.reporter_id, 9);
}

TEST(ClusterRepo, PayloadsThatAreNotEventsAreRefused) {
    const std::string good = encode_report_event({"report.created", 1, "submitted", 1, 2, 3, 4, "n"});
    EXPECT_TRUE(decode_report_event(good));
    for (const std::string& bad : std::vector<std::string>{
             "", "not an event", "[]", "{}",
             R"({"type":"report.deleted","report_id":1,"status":"x","grid_id":null,)"
             R"("assignee_id":null,"reporter_id":1,"at":1,"node":"n"})",
             R"({"type":"report.created","report_id":"1","status":"x","grid_id":null,"assignee_id":null,)"
             R"("reporter_id":1,"at":1,"node":"n"})",
             R"({"type":"report.created","report_id":1,"status":"x","grid_id":null,"reporter_id":1,"at":1,"node":"n"})",
             good + std::string(1000, ' ')})
        EXPECT_FALSE(decode_report_event(bad)) << bad.substr(0, 80);
}

TEST(ClusterRepo, NotifyingOnSqliteDoesNothing) {
    Conn conn(":memory:", Conn::Mode::read_write);  // one node, no schema: nothing is run
    ReportRow r;
    r.id = 1;
    EXPECT_NO_THROW(notify_report_change(conn, "report.created", r, 0));
}
