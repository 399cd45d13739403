// API.md §4 "The rest of the standard's workflow": 核实 (request_check, confirm_check,
// refute_check), 挂账 (park, unpark), 作废 (void) and 自行处置 (a worker's self-handled report),
// every row over real HTTP with its refusals: wrong role 403, wrong status 409
// invalid_transition, a missing or bad field 400 invalid_field naming it, and nothing changed.
#include "ledger_support.hpp"
#include "ticket_city.hpp"

#include <iostream>
#include <set>

using namespace civic::test;
using nlohmann::json;

namespace {

struct WorkflowBranches : ::testing::Test {
    Daemon d;
    TicketCity c{d};

    // A 500 says no more than "internal": the daemon's log says what.
    void TearDown() override {
        if (HasFailure()) std::cerr << "daemon log:\n" << d.log() << '\n';
    }

    std::int64_t submitted() { return c.submit(c.r1)["id"].get<std::int64_t>(); }

    // Accepted in g2 (no auto-assignment): a ticket in `accepted`.
    std::int64_t accepted_in_g2() {
        const auto id = c.submit(c.r1, 103.405, 23.405)["id"].get<std::int64_t>();
        c.ok(c.m2, id, {{"action", "accept"}});
        return id;
    }

    std::int64_t checking(const Person& worker) {
        const auto id = submitted();
        c.ok(c.m1, id, {{"action", "request_check"}, {"worker_id", worker.id}});
        return id;
    }

    HttpResponse with_photos(const Person& who, std::int64_t id, const json& meta, int photos) {
        std::vector<std::string> parts;
        for (int i = 0; i < photos; ++i) parts.push_back(make_jpeg(40, 30, 5000 + ++c.seed));
        return post_multipart(d, "/api/v1/reports/" + std::to_string(id) + "/actions", multipart(meta, parts),
                              who.token);
    }

    // A self-handled report by `who` at the point, with `before` and `after` photos.
    HttpResponse self_handled(const Person& who, int before, int after, double lon = 103.375, double lat = 23.375,
                              bool flag = true) {
        std::vector<std::string> b, a;
        for (int i = 0; i < before; ++i) b.push_back(make_jpeg(64, 48, 7000 + ++c.seed));
        for (int i = 0; i < after; ++i) a.push_back(make_jpeg(64, 48, 8000 + ++c.seed));
        const json meta = {{"category", "t-garbage"},
                           {"description", "巡查发现并清理了垃圾"},
                           {"lat", lat},
                           {"lon", lon},
                           {"self_handled", flag}};
        return post_multipart(d, "/api/v1/reports", multipart_named(meta.dump(), {{"photo", b}, {"after", a}}),
                              who.token);
    }

    // The ticket as the dispatcher sees it, without its events (which a refusal must not grow).
    json state(std::int64_t id) { return c.get(c.dispatcher, id); }

    void expect_refused(const HttpResponse& r, int status, const std::string& code, const std::string& field = "") {
        EXPECT_EQ(r.status, status) << r.body;
        EXPECT_EQ(r.error_code(), code) << r.body;
        if (!field.empty()) {
            EXPECT_EQ(r.json()["error"]["field"], field) << r.body;
        }
    }
};

TEST_F(WorkflowBranches, NewFieldsOfTheReportObject) {
    const auto t = c.submit(c.r1);
    EXPECT_EQ(t["verified"], false);
    EXPECT_EQ(t["self_handled"], false);
    EXPECT_EQ(t["parked_until"], nullptr);
    EXPECT_EQ(t["check_deadline_at"], nullptr);
}

// ---- 核实 ----------------------------------------------------------------------------------

TEST_F(WorkflowBranches, RequestCheckSendsAWorkerOfTheGrid) {
    const auto id = submitted();
    auto t = c.ok(c.m1, id, {{"action", "request_check"}, {"worker_id", c.w2.id}, {"note", "请核实"}});
    EXPECT_EQ(t["status"], "checking");
    EXPECT_EQ(t["assignee_id"], c.w2.id);
    EXPECT_EQ(t["check_deadline_at"], "2026-11-20T02:00:00Z");
    EXPECT_EQ(t["deadline_light"], nullptr);
    EXPECT_FALSE(t["overdue"].get<bool>());
    const auto events = c.get(c.m1, id)["events"];
    EXPECT_EQ(events.back()["action"], "request_check");
    EXPECT_EQ(events.back()["from"], "submitted");
    EXPECT_EQ(events.back()["to"], "checking");
    // The worker sees it among their tickets.
    auto mine = d.get("/api/v1/reports?status=checking", c.w2.token);
    ASSERT_EQ(mine.status, 200) << mine.body;
    ASSERT_EQ(mine.json()["items"].size(), 1u);
    EXPECT_EQ(mine.json()["items"][0]["id"], id);

    // The dispatcher may send one too (a ticket of g1, through the dispatch center).
    const auto other = submitted();
    EXPECT_EQ(c.ok(c.dispatcher, other, {{"action", "request_check"}, {"worker_id", c.w1.id}})["status"], "checking");
}

TEST_F(WorkflowBranches, RequestCheckRefusals) {
    const auto id = submitted();
    const auto before = state(id);
    expect_refused(c.act(c.m2, id, {{"action", "request_check"}, {"worker_id", c.w1.id}}), 403, "forbidden");
    expect_refused(c.act(c.w1, id, {{"action", "request_check"}, {"worker_id", c.w1.id}}), 403, "forbidden");
    expect_refused(c.act(c.m1, id, {{"action", "request_check"}}), 400, "invalid_field", "worker_id");
    // A worker of another grid, or someone who is not a worker.
    expect_refused(c.act(c.m1, id, {{"action", "request_check"}, {"worker_id", c.w3.id}}), 400, "invalid_field",
                   "worker_id");
    expect_refused(c.act(c.m1, id, {{"action", "request_check"}, {"worker_id", c.m1.id}}), 400, "invalid_field",
                   "worker_id");
    EXPECT_EQ(state(id), before);

    const auto accepted = accepted_in_g2();
    const auto was = state(accepted);
    expect_refused(c.act(c.m2, accepted, {{"action", "request_check"}, {"worker_id", c.w3.id}}), 409,
                   "invalid_transition");
    EXPECT_EQ(state(accepted), was);
}

TEST_F(WorkflowBranches, ConfirmCheckNeedsAPhotoAndReturnsTheReportVerified) {
    const auto id = checking(c.w1);
    const auto before = state(id);
    // Without a photo; by another worker; by the manager; with photos on a JSON action.
    expect_refused(c.act(c.w1, id, {{"action", "confirm_check"}}), 400, "invalid_field", "photo");
    expect_refused(with_photos(c.w2, id, {{"action", "confirm_check"}}, 1), 403, "forbidden");
    expect_refused(with_photos(c.m1, id, {{"action", "confirm_check"}}, 1), 403, "forbidden");
    EXPECT_EQ(state(id), before);

    auto r = with_photos(c.w1, id, {{"action", "confirm_check"}, {"note", "现场确认"}}, 2);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto t = r.json();
    EXPECT_EQ(t["status"], "submitted");
    EXPECT_EQ(t["verified"], true);
    EXPECT_EQ(t["assignee_id"], nullptr);
    ASSERT_EQ(t["photos"].size(), 3u);
    EXPECT_EQ(t["photos"][1]["stage"], "check");
    EXPECT_EQ(t["photos"][2]["stage"], "check");
    EXPECT_EQ(c.get(c.m1, id)["events"].back()["note"], "现场确认");

    // Back in the main line: accepted as usual, and no longer the worker's to confirm.
    expect_refused(with_photos(c.w1, id, {{"action", "confirm_check"}}, 1), 403, "forbidden");
    EXPECT_EQ(c.ok(c.m1, id, {{"action", "accept"}})["status"], "assigned");
    expect_refused(with_photos(c.w1, id, {{"action", "confirm_check"}}, 1), 409, "invalid_transition");
}

TEST_F(WorkflowBranches, RefuteCheckRejectsWithoutPoints) {
    const auto id = checking(c.w2);
    const auto before = state(id);
    expect_refused(c.act(c.w2, id, {{"action", "refute_check"}}), 400, "invalid_field", "reason");
    expect_refused(c.act(c.w1, id, {{"action", "refute_check"}, {"reason", "x"}}), 403, "forbidden");
    expect_refused(c.act(c.dispatcher, id, {{"action", "refute_check"}, {"reason", "x"}}), 403, "forbidden");
    EXPECT_EQ(state(id), before);

    const auto t = c.ok(c.w2, id, {{"action", "refute_check"}, {"reason", "现场无此问题"}});
    EXPECT_EQ(t["status"], "rejected");
    EXPECT_EQ(t["verified"], false);
    EXPECT_EQ(t["points_awarded"], 0);
    const auto events = c.get(c.dispatcher, id)["events"];
    EXPECT_EQ(events.back()["action"], "refute_check");
    EXPECT_EQ(events.back()["note"], "现场无此问题");
    expect_refused(c.act(c.m1, id, {{"action", "accept"}}), 409, "invalid_transition");
}

TEST_F(WorkflowBranches, NothingButTheCheckActionsAndVoidMovesACheckingTicket) {
    const auto id = checking(c.w1);
    const auto before = state(id);
    expect_refused(c.act(c.m1, id, {{"action", "accept"}}), 409, "invalid_transition");
    expect_refused(c.act(c.w1, id, {{"action", "start"}}), 409, "invalid_transition");
    expect_refused(c.act(c.m1, id, {{"action", "park"}, {"reason", "x"}, {"until", "2026-12-01T00:00:00Z"}}), 409,
                   "invalid_transition");
    EXPECT_EQ(state(id), before);
}

// ---- 挂账 ----------------------------------------------------------------------------------

TEST_F(WorkflowBranches, ParkStopsTheClockAndUnparkMovesTheDeadline) {
    const auto id = accepted_in_g2();
    c.ok(c.m2, id, {{"action", "assign"}, {"worker_id", c.w3.id}});
    c.ok(c.w3, id, {{"action", "start"}});
    EXPECT_EQ(state(id)["deadline_at"], "2026-11-21T00:00:00Z");

    c.set_clock("2026-11-20T10:00:00Z");
    auto t = c.ok(c.m2, id, {{"action", "park"}, {"reason", "待财政拨款"}, {"until", "2026-12-20T00:00:00Z"}});
    EXPECT_EQ(t["status"], "parked");
    EXPECT_EQ(t["parked_until"], "2026-12-20T00:00:00Z");
    EXPECT_EQ(t["deadline_light"], nullptr);

    // Long past the deadline, and never overdue while parked: not in the overdue list either.
    c.set_clock("2026-11-25T10:00:00Z");
    t = state(id);
    EXPECT_FALSE(t["overdue"].get<bool>());
    EXPECT_EQ(t["deadline_light"], nullptr);
    auto overdue = d.get("/api/v1/reports?overdue=true", c.dispatcher.token);
    ASSERT_EQ(overdue.status, 200) << overdue.body;
    EXPECT_TRUE(overdue.json()["items"].empty()) << overdue.body;

    // Unparked after 5 days: back in progress, the deadline 5 days later, 14 h of it left.
    t = c.ok(c.m2, id, {{"action", "unpark"}});
    EXPECT_EQ(t["status"], "in_progress");
    EXPECT_EQ(t["deadline_at"], "2026-11-26T00:00:00Z");
    EXPECT_EQ(t["parked_until"], nullptr);
    EXPECT_FALSE(t["overdue"].get<bool>());
    EXPECT_EQ(t["assignee_id"], c.w3.id);
    const auto events = c.get(c.m2, id)["events"];
    EXPECT_EQ(events.back()["action"], "unpark");
    EXPECT_EQ(events.back()["from"], "parked");
    EXPECT_EQ(events.back()["to"], "in_progress");

    // The shift survives a deadline recomputed later.
    const auto other = accepted_in_g2();
    c.ok(c.m2, other, {{"action", "park"}, {"reason", "x"}, {"until", "2026-12-01T00:00:00Z"}});
    c.set_clock("2026-11-25T12:00:00Z");
    EXPECT_EQ(c.ok(c.m2, other, {{"action", "unpark"}})["status"], "accepted");
    t = c.ok(c.m2, other, {{"action", "set_category"}, {"category", "t-manhole"}});
    // accepted 2026-11-25T10:00 + 4 h + 2 h parked
    EXPECT_EQ(t["deadline_at"], "2026-11-25T16:00:00Z");
}

TEST_F(WorkflowBranches, ParkFromEachWorkableStatusAndBackToIt) {
    const auto accepted = accepted_in_g2();
    c.ok(c.dispatcher, accepted, {{"action", "park"}, {"reason", "x"}, {"until", "2026-11-21T00:00:00Z"}});
    EXPECT_EQ(c.ok(c.dispatcher, accepted, {{"action", "unpark"}})["status"], "accepted");

    const auto assigned = c.submit(c.r1)["id"].get<std::int64_t>();
    c.ok(c.m1, assigned, {{"action", "accept"}});  // g1 auto-assigns
    c.ok(c.m1, assigned, {{"action", "park"}, {"reason", "x"}, {"until", "2026-11-21T00:00:00Z"}});
    const auto t = c.ok(c.m1, assigned, {{"action", "unpark"}});
    EXPECT_EQ(t["status"], "assigned");
    EXPECT_EQ(t["assignee_id"], c.w1.id);
}

TEST_F(WorkflowBranches, ParkRefusals) {
    const auto id = accepted_in_g2();
    const auto before = state(id);
    const json good = {{"action", "park"}, {"reason", "x"}, {"until", "2026-12-01T00:00:00Z"}};
    expect_refused(c.act(c.m1, id, good), 403, "forbidden");  // not their grid
    expect_refused(c.act(c.w3, id, good), 403, "forbidden");
    expect_refused(c.act(c.m2, id, {{"action", "park"}, {"until", "2026-12-01T00:00:00Z"}}), 400, "invalid_field",
                   "reason");
    expect_refused(c.act(c.m2, id, {{"action", "park"}, {"reason", "x"}}), 400, "invalid_field", "until");
    expect_refused(c.act(c.m2, id, {{"action", "park"}, {"reason", "x"}, {"until", "next week"}}), 400, "invalid_field",
                   "until");
    // Less than an hour ahead, in the past, more than 365 days ahead.
    for (const char* until : {"2026-11-20T00:59:59Z", "2026-11-19T00:00:00Z", "2027-11-20T00:00:01Z"})
        expect_refused(c.act(c.m2, id, {{"action", "park"}, {"reason", "x"}, {"until", until}}), 400, "invalid_field",
                       "until");
    EXPECT_EQ(state(id), before);
    // The edges themselves are fine.
    EXPECT_EQ(c.ok(c.m2, id, {{"action", "park"}, {"reason", "x"}, {"until", "2026-11-20T01:00:00Z"}})["status"],
              "parked");

    const auto fresh = submitted();
    const auto was = state(fresh);
    expect_refused(c.act(c.m1, fresh, good), 409, "invalid_transition");
    EXPECT_EQ(state(fresh), was);
}

TEST_F(WorkflowBranches, UnparkRefusalsAndNothingElseMovesAParkedTicket) {
    const auto id = accepted_in_g2();
    c.ok(c.m2, id, {{"action", "park"}, {"reason", "x"}, {"until", "2026-12-01T00:00:00Z"}});
    const auto before = state(id);
    expect_refused(c.act(c.w3, id, {{"action", "unpark"}}), 403, "forbidden");
    expect_refused(c.act(c.r1, id, {{"action", "unpark"}}), 403, "forbidden");
    expect_refused(c.act(c.m2, id, {{"action", "assign"}, {"worker_id", c.w3.id}}), 409, "invalid_transition");
    expect_refused(c.act(c.m2, id, {{"action", "extend"}, {"hours", 2}, {"reason", "x"}}), 409, "invalid_transition");
    expect_refused(c.act(c.m2, id, {{"action", "park"}, {"reason", "x"}, {"until", "2026-12-01T00:00:00Z"}}), 409,
                   "invalid_transition");
    EXPECT_EQ(state(id), before);

    const auto not_parked = accepted_in_g2();
    expect_refused(c.act(c.m2, not_parked, {{"action", "unpark"}}), 409, "invalid_transition");
}

// ---- 作废 ----------------------------------------------------------------------------------

TEST_F(WorkflowBranches, VoidTakesBackThePointsByAReversingTransfer) {
    const auto id = submitted();
    c.ok(c.m1, id, {{"action", "accept"}});  // 5 points
    EXPECT_EQ(balance_of(d, c.r1.token), 5);
    const auto standing = d.get("/api/v1/me/points", c.r1.token).json();

    auto t = c.ok(c.dispatcher, id, {{"action", "void"}, {"reason", "误报录入"}});
    EXPECT_EQ(t["status"], "voided");
    EXPECT_EQ(t["points_awarded"], 0);
    EXPECT_EQ(t["deadline_light"], nullptr);
    EXPECT_FALSE(t["overdue"].get<bool>());
    EXPECT_EQ(balance_of(d, c.r1.token), 0);
    const auto after = d.get("/api/v1/me/points", c.r1.token).json();
    EXPECT_EQ(after["lifetime_earned"], standing["lifetime_earned"].get<std::int64_t>() - 5) << after.dump();

    // Append-only: the payment stays, a reversing line follows it.
    auto lines = d.get("/api/v1/me/points/ledger", c.r1.token);
    ASSERT_EQ(lines.status, 200) << lines.body;
    const auto items = lines.json()["items"];
    ASSERT_EQ(items.size(), 2u) << lines.body;
    EXPECT_EQ(items[0]["kind"], "report_voided");
    EXPECT_EQ(items[0]["amount"], -5);
    EXPECT_EQ(items[0]["ref"], "report:" + std::to_string(id));
    EXPECT_EQ(items[1]["kind"], "report_accepted");
    EXPECT_EQ(items[1]["amount"], 5);

    // Final: nothing moves a voided ticket, not even a second void.
    expect_refused(c.act(c.dispatcher, id, {{"action", "void"}, {"reason", "again"}}), 409, "invalid_transition");
    expect_refused(c.act(c.w1, id, {{"action", "start"}}), 409, "invalid_transition");
    EXPECT_EQ(balance_of(d, c.r1.token), 0);

    // The admin may void too; a report with no points moves none.
    const auto other = submitted();
    const Person admin{0, c.admin};
    EXPECT_EQ(c.ok(admin, other, {{"action", "void"}, {"reason", "x"}})["status"], "voided");

    EXPECT_EQ(d.stop(), 0);
    const auto check = run_ledger_check(d.data_dir());
    EXPECT_EQ(check.exit_code, 0) << check.output;
}

TEST_F(WorkflowBranches, VoidTakesBackOnlyWhatIsLeftWhenThePointsWereSpent) {
    const auto id = submitted();
    c.ok(c.m1, id, {{"action", "accept"}});  // 5 points
    auto donated = d.post("/api/v1/me/donations", {{"fund", "charity"}, {"points", 3}}, c.r1.token,
                          Headers{{"Idempotency-Key", "donate-0001"}});
    ASSERT_EQ(donated.status / 100, 2) << donated.body;
    EXPECT_EQ(balance_of(d, c.r1.token), 2);
    const auto t = c.ok(c.dispatcher, id, {{"action", "void"}, {"reason", "误报"}});
    EXPECT_EQ(t["status"], "voided");
    EXPECT_EQ(balance_of(d, c.r1.token), 0);
    EXPECT_EQ(c.get(c.dispatcher, id)["events"].back()["note"], "误报 (2 of 5 points taken back)");
    EXPECT_EQ(d.stop(), 0);
    const auto check = run_ledger_check(d.data_dir());
    EXPECT_EQ(check.exit_code, 0) << check.output;
}

TEST_F(WorkflowBranches, VoidFromEveryStatusButClosed) {
    std::vector<std::int64_t> ids;
    ids.push_back(submitted());       // submitted
    ids.push_back(checking(c.w1));    // checking
    ids.push_back(accepted_in_g2());  // accepted
    auto parked = accepted_in_g2();   // parked
    c.ok(c.m2, parked, {{"action", "park"}, {"reason", "x"}, {"until", "2026-12-01T00:00:00Z"}});
    ids.push_back(parked);
    auto rejected = submitted();
    c.ok(c.m1, rejected, {{"action", "reject"}, {"reason", "x"}});
    ids.push_back(rejected);
    auto dup = submitted();
    c.ok(c.m1, dup, {{"action", "mark_duplicate"}, {"of", ids[0]}});
    ids.push_back(dup);
    auto resolved = submitted();
    c.ok(c.m1, resolved, {{"action", "accept"}});
    c.ok(c.w1, resolved, {{"action", "start"}});
    ASSERT_EQ(c.resolve(c.w1, resolved).status, 200);
    ids.push_back(resolved);
    for (auto id : ids) {
        const auto from = state(id)["status"];
        const auto t = c.ok(c.dispatcher, id, {{"action", "void"}, {"reason", "录入错误"}});
        EXPECT_EQ(t["status"], "voided") << from;
        EXPECT_EQ(t["parked_until"], nullptr) << from;
    }
    // A voided report is nobody's possible duplicate any more.
    EXPECT_TRUE(c.submit(c.r2)["possible_duplicates"].empty());

    auto closed = submitted();
    c.ok(c.m1, closed, {{"action", "accept"}});
    c.ok(c.w1, closed, {{"action", "start"}});
    ASSERT_EQ(c.resolve(c.w1, closed).status, 200);
    c.ok(c.m1, closed, {{"action", "verify"}});
    const auto before = state(closed);
    expect_refused(c.act(c.dispatcher, closed, {{"action", "void"}, {"reason", "x"}}), 409, "invalid_transition");
    EXPECT_EQ(state(closed), before);
}

TEST_F(WorkflowBranches, VoidRefusals) {
    const auto id = submitted();
    const auto before = state(id);
    expect_refused(c.act(c.m1, id, {{"action", "void"}, {"reason", "x"}}), 403, "forbidden");
    expect_refused(c.act(c.r1, id, {{"action", "void"}, {"reason", "x"}}), 403, "forbidden");
    expect_refused(c.act(c.dispatcher, id, {{"action", "void"}}), 400, "invalid_field", "reason");
    expect_refused(c.act(c.dispatcher, id, {{"action", "void"}, {"reason", ""}}), 400, "invalid_field", "reason");
    EXPECT_EQ(state(id), before);
}

// ---- 自行处置 ------------------------------------------------------------------------------

TEST_F(WorkflowBranches, SelfHandledReportIsBornResolvedAndVerifyClosesItWithoutPoints) {
    auto r = self_handled(c.w2, 1, 2);
    ASSERT_EQ(r.status, 201) << r.body;
    const auto t = r.json();
    const auto id = t["id"].get<std::int64_t>();
    EXPECT_EQ(t["status"], "resolved");
    EXPECT_EQ(t["self_handled"], true);
    EXPECT_EQ(t["grid_id"], c.g1);
    EXPECT_EQ(t["assignee_id"], c.w2.id);
    EXPECT_EQ(t["reporter_id"], c.w2.id);
    EXPECT_EQ(t["resolved_at"], kStart);
    EXPECT_EQ(t["points_awarded"], 0);
    ASSERT_EQ(t["photos"].size(), 3u);
    EXPECT_EQ(t["photos"][0]["stage"], "report");
    EXPECT_EQ(t["photos"][1]["stage"], "resolution");
    EXPECT_EQ(t["photos"][2]["stage"], "resolution");
    const auto events = c.get(c.m1, id)["events"];
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0]["action"], "submit");
    EXPECT_EQ(events[0]["to"], "resolved");

    const auto closed = c.ok(c.m1, id, {{"action", "verify"}});
    EXPECT_EQ(closed["status"], "closed");
    EXPECT_EQ(closed["points_awarded"], 0);
    EXPECT_EQ(d.stop(), 0);
    const auto check = run_ledger_check(d.data_dir());
    EXPECT_EQ(check.exit_code, 0) << check.output;
}

TEST_F(WorkflowBranches, SelfHandledRefusals) {
    const auto count = [&] { return d.get("/api/v1/reports", c.dispatcher.token).json()["items"].size(); };
    const auto before = count();
    // No after photo; outside the worker's grids (g2) and outside every grid. (Seven after
    // photos cannot arrive: a body of more than 8 parts is refused with 413 while it is read.)
    expect_refused(self_handled(c.w1, 1, 0), 400, "invalid_field", "after");
    expect_refused(self_handled(c.w1, 1, 1, 103.405, 23.405), 400, "invalid_field", "lat");
    expect_refused(self_handled(c.w1, 1, 1, 100.0, 20.0), 400, "invalid_field", "lat");
    // No before photo.
    expect_refused(self_handled(c.w1, 0, 1), 400, "invalid_field", "photo");
    // A worker's report that is not self-handled; a resident's that says it is; staff who are
    // not workers.
    expect_refused(self_handled(c.w1, 1, 0, 103.375, 23.375, false), 403, "forbidden");
    expect_refused(self_handled(c.r1, 1, 1), 403, "forbidden");
    expect_refused(self_handled(c.m1, 1, 1), 403, "forbidden");
    // A resident's ordinary report with after parts.
    expect_refused(self_handled(c.r1, 1, 1, 103.375, 23.375, false), 400, "invalid_field", "after");
    EXPECT_EQ(count(), before);
}

// Where grids overlap, a self-handled report goes to the smallest of the worker's own grids that
// contains the point (not to a smaller grid that is not theirs), and that grid's managers verify it.
TEST_F(WorkflowBranches, SelfHandledWhereGridsOverlapGoesToTheWorkersSmallestGrid) {
    // A district around g1 (103.36–103.39), with its manager, a worker of both and one of the district only.
    const json ring =
        json::array({{103.36, 23.36}, {103.39, 23.36}, {103.39, 23.39}, {103.36, 23.39}, {103.36, 23.36}});
    auto g = d.post("/api/v1/admin/grids",
                    {{"code", "T-DISTRICT"},
                     {"name", "district"},
                     {"auto_assign", false},
                     {"boundary", {{"type", "Polygon"}, {"coordinates", {ring}}}}},
                    c.admin);
    ASSERT_EQ(g.status, 201) << g.body;
    const auto district = g.json()["id"].get<std::int64_t>();
    const auto md = c.staff("13700000011", "manager", {district});
    const auto both = c.staff("13700000012", "worker", {c.g1, district});
    const auto wide = c.staff("13700000013", "worker", {district});

    // In g1 and the district: the worker of both files it in g1, the smaller; g1's manager verifies.
    auto r = self_handled(both, 1, 1);
    ASSERT_EQ(r.status, 201) << r.body;
    const auto in_g1 = r.json()["id"].get<std::int64_t>();
    EXPECT_EQ(r.json()["grid_id"], c.g1);
    expect_refused(c.act(md, in_g1, {{"action", "verify"}}), 403, "forbidden");
    EXPECT_EQ(c.ok(c.m1, in_g1, {{"action", "verify"}})["status"], "closed");

    // The district's own worker at the same point: the district, though a resident's report there
    // is routed to g1; the district's manager verifies, g1's may not.
    r = self_handled(wide, 1, 1);
    ASSERT_EQ(r.status, 201) << r.body;
    const auto in_district = r.json()["id"].get<std::int64_t>();
    EXPECT_EQ(r.json()["grid_id"], district);
    EXPECT_EQ(c.submit(c.r1)["grid_id"], c.g1);
    expect_refused(c.act(c.m1, in_district, {{"action", "verify"}}), 403, "forbidden");
    EXPECT_EQ(c.ok(md, in_district, {{"action", "verify"}})["status"], "closed");

    // In the district only: the district for the worker of both; outside all their grids: 400.
    r = self_handled(both, 1, 1, 103.365, 23.365);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.json()["grid_id"], district);
    expect_refused(self_handled(wide, 1, 1, 103.405, 23.405), 400, "invalid_field", "lat");
}

// ---- Push and Open311 ----------------------------------------------------------------------

// The statistics' new figures (API.md §8) counted from the real actions, not from rows written
// by hand: one report through each branch, then the running sums, a recomputation (`civicsnapd
// check`) and the closure rates, from which the parked and voided tickets are left out.
TEST_F(WorkflowBranches, TheNewFiguresCountTheRealActions) {
    const std::string window = "from=2026-11-19T00:00:00Z&to=2026-11-21T00:00:00Z";
    auto total = [&] {
        auto r = d.get("/api/v1/stats/closure?" + window, c.dispatcher.token);
        EXPECT_EQ(r.status, 200) << r.body;
        return r.json()["total"];
    };
    const auto before = total();
    for (const char* figure : {"checked", "refuted", "parked", "self_handled", "voided"})
        EXPECT_EQ(before[figure], 0) << figure;

    const auto confirmed = checking(c.w1);
    ASSERT_EQ(with_photos(c.w1, confirmed, {{"action", "confirm_check"}}, 1).status, 200);
    const auto refuted = checking(c.w1);
    c.ok(c.w1, refuted, {{"action", "refute_check"}, {"reason", "现场无此问题"}});
    const auto parked = accepted_in_g2();
    c.ok(c.m2, parked, {{"action", "park"}, {"reason", "待财政拨款"}, {"until", "2026-12-20T00:00:00Z"}});
    const auto voided = submitted();
    c.ok(c.dispatcher, voided, {{"action", "void"}, {"reason", "误报录入"}});
    ASSERT_EQ(self_handled(c.w2, 1, 1).status, 201);

    const auto after = total();
    EXPECT_EQ(after["checked"], 2) << after.dump();  // confirmed and refuted both went through 核实
    EXPECT_EQ(after["refuted"], 1) << after.dump();
    EXPECT_EQ(after["parked"], 1) << after.dump();
    EXPECT_EQ(after["self_handled"], 1) << after.dump();
    EXPECT_EQ(after["voided"], 1) << after.dump();
    EXPECT_EQ(after["received"], before["received"].get<std::int64_t>() + 5) << after.dump();

    // A parked ticket far past its deadline is still not overdue.
    c.set_clock("2026-12-10T00:00:00Z");
    EXPECT_EQ(total()["overdue_open"], 0);
    // Unparked, its clock runs again.
    c.ok(c.m2, parked, {{"action", "unpark"}});
    EXPECT_EQ(total()["parked"], 0);

    EXPECT_EQ(d.stop(), 0);
    const auto check = run_ledger_check(d.data_dir());
    EXPECT_EQ(check.exit_code, 0) << check.output;
}

TEST_F(WorkflowBranches, Open311MapsTheNewStatuses) {
    const auto status_of = [&](std::int64_t id) {
        auto r = d.get("/open311/v2/requests/" + std::to_string(id) + ".json", "");
        EXPECT_EQ(r.status, 200) << r.body;
        return r.json()[0]["status"].get<std::string>();
    };
    const auto check = checking(c.w1);
    EXPECT_EQ(status_of(check), "open");
    const auto parked = accepted_in_g2();
    c.ok(c.m2, parked, {{"action", "park"}, {"reason", "x"}, {"until", "2026-12-01T00:00:00Z"}});
    EXPECT_EQ(status_of(parked), "open");
    const auto voided = submitted();
    c.ok(c.dispatcher, voided, {{"action", "void"}, {"reason", "x"}});
    EXPECT_EQ(status_of(voided), "closed");

    auto open = d.get("/open311/v2/requests.json?status=open", "");
    ASSERT_EQ(open.status, 200) << open.body;
    std::set<std::int64_t> open_ids;
    for (const auto& req : open.json()) open_ids.insert(std::stoll(req["service_request_id"].get<std::string>()));
    EXPECT_TRUE(open_ids.contains(check));
    EXPECT_TRUE(open_ids.contains(parked));
    EXPECT_FALSE(open_ids.contains(voided));
}

}  // namespace
