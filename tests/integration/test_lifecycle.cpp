// API.md §4 "Lifecycle": every action from the roles allowed to take it and from those refused,
// over real HTTP, following the transition table in docs/api.md.
#include "ticket_city.hpp"

using namespace civic::test;
using nlohmann::json;

namespace {

struct Lifecycle : ::testing::Test {
    Daemon d;
    TicketCity c{d};
};

TEST_F(Lifecycle, HappyPathFromSubmitToClosedPaysPointsAndRecordsEveryEvent) {
    const auto report = c.submit(c.r1);
    const auto id = report["id"].get<std::int64_t>();
    EXPECT_EQ(report["status"], "submitted");
    EXPECT_EQ(report["grid_id"], c.g1);
    EXPECT_EQ(report["deadline_at"], nullptr);
    EXPECT_EQ(report["deadline_light"], nullptr);
    EXPECT_EQ(report["points_awarded"], 0);

    // accept: deadline from the category's SLA, points, auto-assignment to the least loaded
    // worker of the grid (both have none: the lower id wins).
    auto t = c.ok(c.m1, id, {{"action", "accept"}});
    EXPECT_EQ(t["status"], "assigned");
    EXPECT_EQ(t["assignee_id"], c.w1.id);
    EXPECT_EQ(t["accepted_at"], kStart);
    EXPECT_EQ(t["deadline_at"], "2026-11-21T00:00:00Z");
    EXPECT_EQ(t["deadline_light"], "green");
    EXPECT_EQ(t["points_awarded"], 5);

    t = c.ok(c.w1, id, {{"action", "start"}});
    EXPECT_EQ(t["status"], "in_progress");

    auto resolved = c.resolve(c.w1, id, 2);
    ASSERT_EQ(resolved.status, 200) << resolved.body;
    t = resolved.json();
    EXPECT_EQ(t["status"], "resolved");
    EXPECT_EQ(t["resolved_at"], kStart);
    EXPECT_EQ(t["deadline_light"], nullptr);
    ASSERT_EQ(t["photos"].size(), 3u);
    EXPECT_EQ(t["photos"][0]["stage"], "report");
    EXPECT_EQ(t["photos"][1]["stage"], "resolution");
    EXPECT_EQ(t["photos"][2]["stage"], "resolution");

    c.set_clock("2026-11-20T06:00:00Z");
    t = c.ok(c.m1, id, {{"action", "verify"}});
    EXPECT_EQ(t["status"], "closed");
    EXPECT_EQ(t["closed_at"], "2026-11-20T06:00:00Z");
    EXPECT_EQ(t["points_awarded"], 15);
    EXPECT_FALSE(t["overdue"].get<bool>());

    const auto full = c.get(c.r1, id);
    std::vector<std::string> actions, to;
    for (const auto& e : full["events"]) {
        actions.push_back(e["action"]);
        to.push_back(e["to"]);
    }
    EXPECT_EQ(actions, (std::vector<std::string>{"submit", "accept", "start", "resolve", "verify"}));
    EXPECT_EQ(to, (std::vector<std::string>{"submitted", "assigned", "in_progress", "resolved", "closed"}));
    EXPECT_EQ(full["events"][0]["from"], nullptr);
    EXPECT_EQ(full["events"][0]["actor_id"], c.r1.id);
    EXPECT_EQ(full["events"][1]["actor_id"], c.m1.id);
    EXPECT_EQ(full["events"][4]["at"], "2026-11-20T06:00:00Z");

    auto points = d.get("/api/v1/me/points", c.r1.token);
    if (points.status == 200) {  // once the points endpoints have landed
        EXPECT_EQ(points.json()["balance"], 15) << points.body;
    }
}

TEST_F(Lifecycle, AutoAssignPicksTheLeastLoadedWorker) {
    const auto a = c.submit(c.r1)["id"].get<std::int64_t>();
    const auto b = c.submit(c.r1)["id"].get<std::int64_t>();
    const auto e = c.submit(c.r1)["id"].get<std::int64_t>();
    EXPECT_EQ(c.ok(c.m1, a, {{"action", "accept"}})["assignee_id"], c.w1.id);
    EXPECT_EQ(c.ok(c.m1, b, {{"action", "accept"}})["assignee_id"], c.w2.id);
    EXPECT_EQ(c.ok(c.m1, e, {{"action", "accept"}})["assignee_id"], c.w1.id);
}

TEST_F(Lifecycle, GridWithoutAutoAssignStaysAcceptedUntilAssigned) {
    const auto id = c.submit(c.r1, 103.405, 23.405)["id"].get<std::int64_t>();
    auto t = c.ok(c.m2, id, {{"action", "accept"}});
    EXPECT_EQ(t["status"], "accepted");
    EXPECT_EQ(t["assignee_id"], nullptr);
    auto wrong = c.act(c.m2, id, {{"action", "assign"}, {"worker_id", c.w1.id}});  // w1 works in g1
    EXPECT_EQ(wrong.status, 400);
    EXPECT_EQ(wrong.json()["error"]["field"], "worker_id");
    auto not_worker = c.act(c.m2, id, {{"action", "assign"}, {"worker_id", c.m2.id}});
    EXPECT_EQ(not_worker.json()["error"]["field"], "worker_id");
    t = c.ok(c.m2, id, {{"action", "assign"}, {"worker_id", c.w3.id}});
    EXPECT_EQ(t["status"], "assigned");
    EXPECT_EQ(t["assignee_id"], c.w3.id);
}

TEST_F(Lifecycle, WrongRoleOrGridIsForbiddenAndStrangersSeeNothing) {
    const auto id = c.submit(c.r1)["id"].get<std::int64_t>();
    const json accept = {{"action", "accept"}};
    EXPECT_EQ(c.act(c.m2, id, accept).status, 403);  // another grid's manager
    EXPECT_EQ(c.act(c.w1, id, accept).status, 403);  // a worker
    EXPECT_EQ(c.act(c.r1, id, accept).status, 403);  // the reporter
    auto stranger = c.act(c.r2, id, accept);         // another resident may not know it exists
    EXPECT_EQ(stranger.status, 404);
    EXPECT_EQ(stranger.error_code(), "not_found");
    auto admin = d.post("/api/v1/reports/" + std::to_string(id) + "/actions", accept, c.admin);
    EXPECT_EQ(admin.status, 403);
    EXPECT_EQ(d.post("/api/v1/reports/" + std::to_string(id) + "/actions", accept).status, 401);
    EXPECT_EQ(c.act(c.m1, 999999, accept).status, 404);

    // Only the assignee works the ticket.
    c.ok(c.dispatcher, id, {{"action", "accept"}});  // dispatchers act on every grid
    auto other_worker = c.act(c.w2, id, {{"action", "start"}});
    EXPECT_EQ(other_worker.status, 403);
    EXPECT_EQ(other_worker.error_code(), "forbidden");
    EXPECT_EQ(c.act(c.m1, id, {{"action", "start"}}).status, 403);
    // set_grid is the dispatcher's alone.
    EXPECT_EQ(c.act(c.m1, id, {{"action", "set_grid"}, {"grid_id", c.g2}}).status, 403);
}

TEST_F(Lifecycle, ActionsFromTheWrongStatusAreInvalidTransitions) {
    const auto id = c.submit(c.r1)["id"].get<std::int64_t>();
    for (const char* action : {"verify", "start", "rework"}) {
        auto r = c.act(action == std::string("start") ? c.w1 : c.m1, id, {{"action", action}, {"reason", "x"}});
        if (action == std::string("start")) {
            EXPECT_EQ(r.status, 403) << "start is the assignee's, and there is none yet";
            continue;
        }
        EXPECT_EQ(r.status, 409) << action;
        EXPECT_EQ(r.error_code(), "invalid_transition") << action;
    }
    auto extend = c.act(c.m1, id, {{"action", "extend"}, {"hours", 2}, {"reason", "rain"}});
    EXPECT_EQ(extend.error_code(), "invalid_transition");
    c.ok(c.m1, id, {{"action", "accept"}});
    EXPECT_EQ(c.act(c.m1, id, {{"action", "accept"}}).error_code(), "invalid_transition");
    EXPECT_EQ(c.act(c.m1, id, {{"action", "reject"}, {"reason", "late"}}).error_code(), "invalid_transition");
    EXPECT_EQ(c.act(c.w1, id, {{"action", "resolve"}}).status, 400);  // no photo: checked first
    auto resolve_early = c.resolve(c.w1, id);
    EXPECT_EQ(resolve_early.error_code(), "invalid_transition");
    // Nothing changed by the refusals.
    const auto t = c.get(c.m1, id);
    EXPECT_EQ(t["status"], "assigned");
    EXPECT_EQ(t["events"].size(), 2u);
    EXPECT_EQ(t["photos"].size(), 1u);
}

TEST_F(Lifecycle, RejectAndMarkDuplicateEndTheTicketWithoutPoints) {
    const auto first = c.submit(c.r1)["id"].get<std::int64_t>();
    const auto second = c.submit(c.r2)["id"].get<std::int64_t>();
    const auto third = c.submit(c.r2)["id"].get<std::int64_t>();

    auto no_reason = c.act(c.m1, first, {{"action", "reject"}});
    EXPECT_EQ(no_reason.status, 400);
    EXPECT_EQ(no_reason.json()["error"]["field"], "reason");
    auto t = c.ok(c.m1, first, {{"action", "reject"}, {"reason", "不属于城市管理范围"}});
    EXPECT_EQ(t["status"], "rejected");
    EXPECT_EQ(t["points_awarded"], 0);
    EXPECT_EQ(c.get(c.r1, first)["events"][1]["note"], "不属于城市管理范围");

    EXPECT_EQ(c.act(c.m1, second, {{"action", "mark_duplicate"}}).json()["error"]["field"], "of");
    EXPECT_EQ(c.act(c.m1, second, {{"action", "mark_duplicate"}, {"of", second}}).json()["error"]["field"], "of");
    EXPECT_EQ(c.act(c.m1, second, {{"action", "mark_duplicate"}, {"of", 987654}}).json()["error"]["field"], "of");
    t = c.ok(c.m1, second, {{"action", "mark_duplicate"}, {"of", third}});
    EXPECT_EQ(t["status"], "duplicate");
    EXPECT_EQ(t["duplicate_of"], third);
    EXPECT_EQ(c.act(c.m1, second, {{"action", "accept"}}).error_code(), "invalid_transition");
}

TEST_F(Lifecycle, ReturnReworkAndRatingsFollowTheTable) {
    const auto id = c.submit(c.r1)["id"].get<std::int64_t>();
    c.ok(c.m1, id, {{"action", "accept"}});
    auto t = c.ok(c.w1, id, {{"action", "return"}, {"reason", "需要专业设备"}});
    EXPECT_EQ(t["status"], "accepted");
    EXPECT_EQ(t["assignee_id"], nullptr);
    EXPECT_EQ(c.act(c.w1, id, {{"action", "start"}}).status, 403);  // no longer theirs
    c.ok(c.m1, id, {{"action", "assign"}, {"worker_id", c.w2.id}});
    c.ok(c.w2, id, {{"action", "start"}});
    ASSERT_EQ(c.resolve(c.w2, id).status, 200);

    t = c.ok(c.m1, id, {{"action", "rework"}, {"reason", "未清理干净"}});
    EXPECT_EQ(t["status"], "in_progress");
    EXPECT_EQ(t["rework_count"], 1);
    EXPECT_EQ(t["resolved_at"], nullptr);
    ASSERT_EQ(c.resolve(c.w2, id).status, 200);

    // Rating: the reporter only, once, when resolved or closed; 1–2 on resolved is rework.
    const std::string path = "/api/v1/reports/" + std::to_string(id) + "/rating";
    EXPECT_EQ(d.post(path, {{"rating", 2}}, c.r2.token).status, 404);
    EXPECT_EQ(d.post(path, {{"rating", 2}}, c.m1.token).status, 403);
    EXPECT_EQ(d.post(path, {{"rating", 6}}, c.r1.token).json()["error"]["field"], "rating");
    EXPECT_EQ(d.post(path, {{"rating", "5"}}, c.r1.token).json()["error"]["field"], "rating");
    auto rated = d.post(path, {{"rating", 2}, {"comment", "还是很脏"}}, c.r1.token);
    ASSERT_EQ(rated.status, 200) << rated.body;
    EXPECT_EQ(rated.json()["status"], "in_progress");
    EXPECT_EQ(rated.json()["rating"], 2);
    EXPECT_EQ(rated.json()["rework_count"], 2);
    EXPECT_EQ(d.post(path, {{"rating", 5}}, c.r1.token).error_code(), "invalid_transition");

    const auto events = c.get(c.m1, id)["events"];
    EXPECT_EQ(events.back()["action"], "rate");
    EXPECT_EQ(events.back()["from"], "resolved");
    EXPECT_EQ(events.back()["to"], "in_progress");
}

TEST_F(Lifecycle, RatingBeforeResolutionIsRefused) {
    const auto id = c.submit(c.r1)["id"].get<std::int64_t>();
    auto r = d.post("/api/v1/reports/" + std::to_string(id) + "/rating", {{"rating", 5}}, c.r1.token);
    EXPECT_EQ(r.error_code(), "invalid_transition");
}

TEST_F(Lifecycle, DeadlinesExtendReclassifyAndTurnOverdue) {
    const auto id = c.submit(c.r1)["id"].get<std::int64_t>();
    c.ok(c.m1, id, {{"action", "accept"}});  // deadline 2026-11-21T00:00Z (24 h)

    auto bad = c.act(c.m1, id, {{"action", "extend"}, {"hours", 0}, {"reason", "x"}});
    EXPECT_EQ(bad.json()["error"]["field"], "hours");
    bad = c.act(c.m1, id, {{"action", "extend"}, {"hours", 721}, {"reason", "x"}});
    EXPECT_EQ(bad.json()["error"]["field"], "hours");
    EXPECT_EQ(c.act(c.m1, id, {{"action", "extend"}, {"hours", 12}}).json()["error"]["field"], "reason");
    auto t = c.ok(c.m1, id, {{"action", "extend"}, {"hours", 12}, {"reason", "大雨"}});
    EXPECT_EQ(t["deadline_at"], "2026-11-21T12:00:00Z");

    // Re-classified to a 4 h category: accepted_at + 4 h + the 12 h extension.
    EXPECT_EQ(c.act(c.m1, id, {{"action", "set_category"}, {"category", "nope"}}).json()["error"]["field"], "category");
    t = c.ok(c.m1, id, {{"action", "set_category"}, {"category", "t-manhole"}});
    EXPECT_EQ(t["category"], "t-manhole");
    EXPECT_EQ(t["deadline_at"], "2026-11-20T16:00:00Z");

    // Light: green < 80 % of the 16 h, yellow from 12.8 h, red after the deadline.
    c.set_clock("2026-11-20T12:00:00Z");
    EXPECT_EQ(c.get(c.m1, id)["deadline_light"], "green");
    c.set_clock("2026-11-20T13:00:00Z");
    EXPECT_EQ(c.get(c.m1, id)["deadline_light"], "yellow");
    EXPECT_FALSE(c.get(c.m1, id)["overdue"].get<bool>());
    c.set_clock("2026-11-20T16:00:01Z");
    t = c.get(c.m1, id);
    EXPECT_EQ(t["deadline_light"], "red");
    EXPECT_TRUE(t["overdue"].get<bool>());

    auto list = d.get("/api/v1/reports?overdue=true", c.m1.token);
    ASSERT_EQ(list.status, 200);
    ASSERT_EQ(list.json()["items"].size(), 1u);
    EXPECT_EQ(list.json()["items"][0]["id"], id);
}

TEST_F(Lifecycle, DispatcherReroutesTicketsOutsideEveryGrid) {
    const auto report = c.submit(c.r1, 100.0, 20.0);
    const auto id = report["id"].get<std::int64_t>();
    EXPECT_EQ(report["grid_id"], nullptr);
    EXPECT_EQ(c.act(c.m1, id, {{"action", "accept"}}).status, 403);  // the dispatcher's queue
    EXPECT_EQ(c.act(c.dispatcher, id, {{"action", "set_grid"}, {"grid_id", 424242}}).json()["error"]["field"],
              "grid_id");
    auto t = c.ok(c.dispatcher, id, {{"action", "set_grid"}, {"grid_id", c.g1}});
    EXPECT_EQ(t["grid_id"], c.g1);
    t = c.ok(c.m1, id, {{"action", "accept"}});  // now the grid manager's
    EXPECT_EQ(t["status"], "assigned");
    EXPECT_EQ(c.act(c.dispatcher, id, {{"action", "set_grid"}, {"grid_id", c.g2}}).error_code(), "invalid_transition");
}

TEST_F(Lifecycle, MalformedActionsAreBadRequests) {
    const auto id = c.submit(c.r1)["id"].get<std::int64_t>();
    const std::string path = "/api/v1/reports/" + std::to_string(id) + "/actions";
    EXPECT_EQ(d.request("POST", path, "{not json", {{"Authorization", "Bearer " + c.m1.token}}).error_code(),
              "bad_request");
    EXPECT_EQ(c.act(c.m1, id, json::object()).json()["error"]["field"], "action");
    EXPECT_EQ(c.act(c.m1, id, {{"action", "explode"}}).json()["error"]["field"], "action");
    EXPECT_EQ(c.act(c.m1, id, {{"action", 7}}).json()["error"]["field"], "action");
    EXPECT_EQ(c.act(c.m1, id, {{"action", "assign"}, {"worker_id", "w1"}}).json()["error"]["field"], "worker_id");
    EXPECT_EQ(d.post("/api/v1/reports/abc/actions", {{"action", "accept"}}, c.m1.token).error_code(), "bad_request");
    EXPECT_EQ(d.get(path, c.m1.token).status, 405);
    EXPECT_EQ(c.get(c.m1, id)["events"].size(), 1u);
}

}  // namespace
