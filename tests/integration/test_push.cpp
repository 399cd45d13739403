// API.md §4 "Push": the WebSocket stream delivers ticket events to those who care, and refuses
// bad tokens before the upgrade.
#include "support/stream_client.hpp"
#include "ticket_city.hpp"

#include <boost/beast/core.hpp>

using namespace civic::test;
using nlohmann::json;
namespace beast = boost::beast;
namespace asio = boost::asio;

namespace {

struct Push : ::testing::Test {
    Daemon d;
    TicketCity c{d};
};

TEST_F(Push, StaffAndReporterReceiveTheirTicketsEvents) {
    StreamClient manager(d.port(), "/api/v1/stream", c.m1.token);
    StreamClient other_manager(d.port(), "/api/v1/stream", c.m2.token);
    StreamClient reporter(d.port(), "/api/v1/stream?access_token=" + c.r1.token, "");

    const auto id = c.submit(c.r1)["id"];
    auto e = manager.next();
    EXPECT_EQ(e["type"], "report.created");
    EXPECT_EQ(e["report_id"], id);
    EXPECT_EQ(e["status"], "submitted");
    EXPECT_EQ(e["grid_id"], c.g1);
    EXPECT_EQ(e["assignee_id"], nullptr);
    EXPECT_EQ(e["at"], kStart);
    EXPECT_EQ(reporter.next()["report_id"], id);

    c.ok(c.m1, id.get<std::int64_t>(), {{"action", "accept"}});
    e = manager.next();
    EXPECT_EQ(e["type"], "report.updated");
    EXPECT_EQ(e["status"], "assigned");
    EXPECT_EQ(e["assignee_id"], c.w1.id);
    EXPECT_EQ(reporter.next()["status"], "assigned");

    // The other grid's manager got nothing of that: its first event is its own grid's report.
    const auto theirs = c.submit(c.r2, 103.405, 23.405)["id"];
    EXPECT_EQ(other_manager.next()["report_id"], theirs);
}

// The standard's branches (核实, 挂账, 作废, 自行处置) push like any other step: the 核实 worker
// hears of the ticket sent to them, the reporter of each status.
TEST_F(Push, TheNewStatusesArePushed) {
    StreamClient manager(d.port(), "/api/v1/stream", c.m1.token);
    StreamClient worker(d.port(), "/api/v1/stream", c.w2.token);
    StreamClient reporter(d.port(), "/api/v1/stream", c.r1.token);

    const auto id = c.submit(c.r1)["id"].get<std::int64_t>();
    EXPECT_EQ(manager.next()["status"], "submitted");
    EXPECT_EQ(reporter.next()["status"], "submitted");

    c.ok(c.m1, id, {{"action", "request_check"}, {"worker_id", c.w2.id}});
    auto e = worker.next();
    EXPECT_EQ(e["report_id"], id);
    EXPECT_EQ(e["status"], "checking");
    EXPECT_EQ(e["assignee_id"], c.w2.id);
    EXPECT_EQ(manager.next()["status"], "checking");
    EXPECT_EQ(reporter.next()["status"], "checking");

    c.ok(c.w2, id, {{"action", "refute_check"}, {"reason", "不属实"}});
    EXPECT_EQ(manager.next()["status"], "rejected");
    EXPECT_EQ(reporter.next()["status"], "rejected");

    const auto other = c.submit(c.r1)["id"].get<std::int64_t>();
    EXPECT_EQ(manager.next()["report_id"], other);
    EXPECT_EQ(reporter.next()["report_id"], other);
    c.ok(c.m1, other, {{"action", "accept"}});  // auto-assigned to w1
    EXPECT_EQ(manager.next()["status"], "assigned");
    EXPECT_EQ(reporter.next()["status"], "assigned");
    c.ok(c.m1, other, {{"action", "park"}, {"reason", "x"}, {"until", "2026-12-01T00:00:00Z"}});
    EXPECT_EQ(manager.next()["status"], "parked");
    EXPECT_EQ(reporter.next()["status"], "parked");
    c.ok(c.dispatcher, other, {{"action", "void"}, {"reason", "x"}});
    EXPECT_EQ(manager.next()["status"], "voided");
    EXPECT_EQ(reporter.next()["status"], "voided");
}

TEST_F(Push, BadTokensAreRefusedBeforeTheUpgrade) {
    EXPECT_THROW(StreamClient(d.port(), "/api/v1/stream", "forged-token"), beast::system_error);
    EXPECT_THROW(StreamClient(d.port(), "/api/v1/stream", ""), beast::system_error);
    const auto raw = raw_exchange(d.port(),
                                  "GET /api/v1/stream HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                                  "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n"
                                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n");
    EXPECT_EQ(raw.rfind("HTTP/1.1 401", 0), 0u) << raw.substr(0, 100);
    EXPECT_NE(raw.find("\"unauthorized\""), std::string::npos);
    // A plain GET is told to upgrade.
    EXPECT_EQ(d.get("/api/v1/stream", c.m1.token).error_code(), "bad_request");
}

}  // namespace
