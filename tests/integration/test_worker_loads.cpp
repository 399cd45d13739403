// Auto-assign's per-worker open-ticket counts (schema/017_worker_loads.sql, docs/workflow.md
// "Auto-assignment"): kept right by every transition that moves a ticket into or out of a worker's
// open tickets (assigned, in progress, resolved), checked by `civicsnapd check`, and on PostgreSQL
// taken under a row lock so that two nodes accepting at once spread the work evenly.
#include "ledger_support.hpp"
#include "support/cluster.hpp"
#include "support/test_database.hpp"
#include "ticket_city.hpp"

#include "server/store/pg/pg_conn.hpp"

#include <future>
#include <iostream>
#include <map>
#include <string>
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

// Two nodes accept tickets of one grid at once: each pick waits for the other's locks, so the
// two workers end up with the same number (±1), as one node alone would leave them.
TEST(PgWorkerLoads, TwoNodesAcceptingAtOnceSpreadTheWorkEvenly) {
    if (!database_on_postgresql()) GTEST_SKIP() << "cluster tests run in the PostgreSQL pass";
    constexpr int kPerNode = 20;
    Cluster cluster;
    TicketCity c{cluster.node(0)};
    std::vector<std::int64_t> ids;
    for (int i = 0; i < 2 * kPerNode; ++i) ids.push_back(c.submit(c.r1)["id"].get<std::int64_t>());

    const auto accept_half = [&](std::size_t node, std::size_t first) {
        std::map<std::int64_t, int> per_worker;
        for (std::size_t i = first; i < ids.size(); i += 2) {
            const auto r = cluster.node(node).post("/api/v1/reports/" + std::to_string(ids[i]) + "/actions",
                                                   {{"action", "accept"}}, c.m1.token);
            if (r.status != 200) {
                ADD_FAILURE() << r.body;
                continue;
            }
            ++per_worker[r.json()["assignee_id"].get<std::int64_t>()];
        }
        return per_worker;
    };
    auto on_a = std::async(std::launch::async, accept_half, 0, 0);
    auto on_b = std::async(std::launch::async, accept_half, 1, 1);
    std::map<std::int64_t, int> total;
    for (auto* f : {&on_a, &on_b})
        for (const auto& [worker, n] : f->get()) total[worker] += n;

    ASSERT_EQ(total.size(), 2u);
    EXPECT_EQ(total[c.w1.id] + total[c.w2.id], 2 * kPerNode);
    EXPECT_EQ(total[c.w1.id], kPerNode);  // an even number of accepts over two workers: equal
    EXPECT_EQ(total[c.w2.id], kPerNode);
    const auto check = run_database_check(cluster.database_uri());
    EXPECT_EQ(check.exit_code, 0) << check.output;
}

}  // namespace
