// Auto-assign's per-worker open-ticket counts (schema/017_worker_loads.sql, docs/workflow.md
// "Auto-assignment"): kept right by every transition that moves a ticket into or out of a worker's
// open tickets (assigned, in progress, resolved), checked by `civicsnapd check`, and on PostgreSQL
// taken under a row lock so that two nodes accepting at once spread the work evenly.
#include "ledger_support.hpp"
#include "support/cluster.hpp"
#include "support/test_database.hpp"
#include "ticket_city.hpp"

#include "server/store/pg/pg_conn.hpp"

#include <chrono>
#include <future>
#include <iostream>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace civic::test;
using nlohmann::json;

namespace {

// One SQL statement against the daemon's database, from the test's own connection; the first
// column of the first row (0 when there is none).
std::int64_t sql_value(const Daemon& d, const std::string& sql) {
    const auto database = database_for(d.data_dir());
    if (!database.empty()) {
        civic::store::pg::Conn conn(database);
        auto q = conn.query(sql);
        return q.next() ? q.int64(0) : 0;
    }
    const auto r = run_command("sqlite3 '" + d.data_dir() + "/civicsnap.db' \"" + sql + "\"");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return r.output.empty() ? 0 : std::stoll(r.output);
}

struct WorkerLoads : ::testing::Test {
    Daemon d;
    TicketCity c{d};

    void TearDown() override {
        if (HasFailure()) std::cerr << "daemon log:\n" << d.log() << '\n';
    }

    // The kept count, and a recount from the tickets: they must agree at every step.
    std::int64_t kept(const Person& w) {
        return sql_value(d, "SELECT open_tickets FROM worker_loads WHERE worker_id = " + std::to_string(w.id));
    }
    std::int64_t recounted(const Person& w) {
        return sql_value(d, "SELECT count(*) FROM reports WHERE assignee_id = " + std::to_string(w.id) +
                                " AND status IN ('assigned', 'in_progress', 'resolved')");
    }
    void expect_loads(std::int64_t w1, std::int64_t w2, const std::string& after) {
        EXPECT_EQ(kept(c.w1), w1) << after;
        EXPECT_EQ(kept(c.w2), w2) << after;
        EXPECT_EQ(kept(c.w1), recounted(c.w1)) << after;
        EXPECT_EQ(kept(c.w2), recounted(c.w2)) << after;
    }

    // Accepted in g1: auto-assigned; returns the id and the worker it went to.
    std::pair<std::int64_t, std::int64_t> accepted() {
        const auto id = c.submit(c.r1)["id"].get<std::int64_t>();
        const auto t = c.ok(c.m1, id, {{"action", "accept"}});
        EXPECT_EQ(t["status"], "assigned");
        return {id, t["assignee_id"].get<std::int64_t>()};
    }
};

TEST_F(WorkerLoads, EveryTransitionKeepsTheCountsAndThePickFollowsThem) {
    expect_loads(0, 0, "grid members start with a zero row");
    // Least loaded, the lowest id among equals: w1, w2, w1.
    const auto [a, to_a] = accepted();
    EXPECT_EQ(to_a, c.w1.id);
    const auto [b, to_b] = accepted();
    EXPECT_EQ(to_b, c.w2.id);
    const auto [e, to_e] = accepted();
    EXPECT_EQ(to_e, c.w1.id);
    expect_loads(2, 1, "three accepts");

    c.ok(c.m1, e, {{"action", "assign"}, {"worker_id", c.w2.id}});
    expect_loads(1, 2, "reassigned to w2");
    c.ok(c.w2, e, {{"action", "return"}, {"reason", "不在辖区"}});
    expect_loads(1, 1, "returned (unassigned)");
    c.ok(c.m1, e, {{"action", "assign"}, {"worker_id", c.w2.id}});
    expect_loads(1, 2, "assigned again");

    c.ok(c.w1, a, {{"action", "start"}});
    expect_loads(1, 2, "started: still open");
    ASSERT_EQ(c.resolve(c.w1, a).status, 200);
    expect_loads(1, 2, "resolved: open until verified");
    c.ok(c.m1, a, {{"action", "rework"}, {"reason", "没扫干净"}});
    ASSERT_EQ(c.resolve(c.w1, a).status, 200);
    const auto low = d.post("/api/v1/reports/" + std::to_string(a) + "/rating", {{"rating", 1}}, c.r1.token);
    ASSERT_EQ(low.status, 200) << low.body;  // resolved → in progress: still open
    expect_loads(1, 2, "rework and a low rating");
    ASSERT_EQ(c.resolve(c.w1, a).status, 200);
    c.ok(c.m1, a, {{"action", "verify"}});
    expect_loads(0, 2, "verified (closed)");

    c.ok(c.m1, b, {{"action", "park"}, {"reason", "待财政拨款"}, {"until", "2026-12-20T00:00:00Z"}});
    expect_loads(0, 1, "parked");
    c.ok(c.m1, b, {{"action", "unpark"}});
    expect_loads(0, 2, "unparked (assigned again)");
    c.ok(c.dispatcher, b, {{"action", "void"}, {"reason", "重复录入"}});
    expect_loads(0, 1, "voided");

    // 核实: the check's worker is the assignee while checking, which is not an open ticket.
    const auto checked = c.submit(c.r1)["id"].get<std::int64_t>();
    c.ok(c.m1, checked, {{"action", "request_check"}, {"worker_id", c.w1.id}});
    expect_loads(0, 1, "checking");

    // A worker's self-handled report arrives resolved and assigned to them: open until verified.
    const auto self =
        post_multipart(d, "/api/v1/reports",
                       multipart_named(json{{"category", "t-garbage"},
                                            {"description", "巡查发现并清理了垃圾"},
                                            {"lat", 23.375},
                                            {"lon", 103.375},
                                            {"self_handled", true}}
                                           .dump(),
                                       {{"photo", {make_jpeg(64, 48, 9001)}}, {"after", {make_jpeg(64, 48, 9002)}}}),
                       c.w1.token);
    ASSERT_EQ(self.status, 201) << self.body;
    expect_loads(1, 1, "self-handled");
    c.ok(c.m1, self.json()["id"].get<std::int64_t>(), {{"action", "verify"}});
    expect_loads(0, 1, "self-handled, verified");

    // The pick reads the counts: w1 (0) before w2 (1).
    EXPECT_EQ(accepted().second, c.w1.id);

    const auto r = run_ledger_check(d.data_dir());
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("worker loads agree with their tickets"), std::string::npos) << r.output;
}

TEST_F(WorkerLoads, TheCheckFindsAWrongCountAndAMissingRow) {
    accepted();  // w1 holds one
    const auto w1 = std::to_string(c.w1.id), w2 = std::to_string(c.w2.id);
    const auto tamper = [&](const std::string& sql) {
        const auto database = database_for(d.data_dir());
        if (!database.empty()) {
            civic::store::pg::Conn(database).exec(sql);
            return;
        }
        const auto r = run_command("sqlite3 '" + d.data_dir() + "/civicsnap.db' \"" + sql + "\"");
        ASSERT_EQ(r.exit_code, 0) << r.output;
    };
    tamper("UPDATE worker_loads SET open_tickets = 4 WHERE worker_id = " + w1);
    tamper("DELETE FROM worker_loads WHERE worker_id = " + w2);
    const auto r = run_ledger_check(d.data_dir());
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("worker_loads: worker " + w1 + " is kept with 4 open tickets, but holds 1"),
              std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("worker_loads: grid member " + w2 + " has no row"), std::string::npos) << r.output;
}

// Two nodes accept a ticket of one grid each at the same moment. The test holds the grid's
// worker rows locked until both accepts wait on them, then lets go: the first pick takes w1, and
// the second, which waited, reads the count the first committed and takes w2. Unlocked, both
// would read (0, 0) and pick w1. The two tickets have different reporters and pay no points, so
// nothing else the accepts write (a resident's standing, the issuance account) orders them first.
TEST(PgWorkerLoads, TwoNodesAcceptingAtOnceSpreadTheWorkEvenly) {
    if (!database_on_postgresql()) GTEST_SKIP() << "cluster tests run in the PostgreSQL pass";
    Cluster cluster;
    TicketCity c{cluster.node(0)};
    c.category("t-unpaid", 24, 0, 0);
    const auto first = c.submit(c.r1, 103.375, 23.375, "t-unpaid")["id"].get<std::int64_t>();
    const auto second = c.submit(c.r2, 103.376, 23.376, "t-unpaid")["id"].get<std::int64_t>();

    civic::store::pg::Conn holder(cluster.database_uri());
    civic::store::pg::Conn watcher(cluster.database_uri());
    holder.exec("BEGIN");
    holder.exec("SELECT worker_id FROM worker_loads FOR UPDATE");
    const auto accept = [&](std::size_t node, std::int64_t id) {
        return std::async(std::launch::async, [&cluster, &c, node, id] {
            return cluster.node(node).post("/api/v1/reports/" + std::to_string(id) + "/actions", {{"action", "accept"}},
                                           c.m1.token);
        });
    };
    auto on_a = accept(0, first);
    auto on_b = accept(1, second);
    const auto waiting = [&] {
        auto q = watcher.query(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
        return q.next() ? q.int64(0) : 0;
    };
    // Both accepts reach the pick well within the daemons' 5 s lock timeout.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(4);
    while (waiting() < 2 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_EQ(waiting(), 2);
    holder.exec("COMMIT");

    const auto a = on_a.get(), b = on_b.get();
    ASSERT_EQ(a.status, 200) << a.body;
    ASSERT_EQ(b.status, 200) << b.body;
    const std::set<std::int64_t> picked{a.json()["assignee_id"].get<std::int64_t>(),
                                        b.json()["assignee_id"].get<std::int64_t>()};
    EXPECT_EQ(picked, (std::set<std::int64_t>{c.w1.id, c.w2.id}));
    const auto check = run_database_check(cluster.database_uri());
    EXPECT_EQ(check.exit_code, 0) << check.output;
}

}  // namespace
