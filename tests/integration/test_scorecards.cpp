// API.md §4 "Statistics": GET /api/v1/stats/scorecards for workers (按期处置率, 回退, 返工,
// 自处置), managers (准确派遣率) and residents (有效上报率), the managers' scope, and its errors;
// and the weekly bulletin's new figures. The model test drives a seeded mix of tickets through
// every branch over HTTP and computes every figure itself from what it did.
#include "ticket_city.hpp"

#include <array>
#include <ctime>
#include <map>
#include <random>
#include <set>

using namespace civic::test;
using nlohmann::json;

namespace {

constexpr const char* kWindow = "from=2026-11-20T00:00:00Z&to=2026-11-21T00:00:00Z";

struct Scorecards : ::testing::Test {
    Daemon d;
    TicketCity c{d};

    json items(const std::string& role, const std::string& token) {
        auto r = d.get(std::string("/api/v1/stats/scorecards?") + kWindow + "&role=" + role, token);
        EXPECT_EQ(r.status, 200) << r.body;
        return r.json()["items"];
    }
    static json of(const json& list, std::int64_t user_id) {
        for (const auto& item : list)
            if (item["user_id"] == user_id) return item;
        return nullptr;
    }
};

TEST_F(Scorecards, FiguresForWorkersManagersAndResidents) {
    // g1 auto-assigns to w1: closed on time.
    const auto a = c.submit(c.r1)["id"].get<std::int64_t>();
    c.ok(c.m1, a, {{"action", "accept"}});
    c.ok(c.w1, a, {{"action", "start"}});
    ASSERT_EQ(c.resolve(c.w1, a).status, 200);
    c.ok(c.m1, a, {{"action", "rework"}, {"reason", "没扫干净"}});
    ASSERT_EQ(c.resolve(c.w1, a).status, 200);
    c.ok(c.m1, a, {{"action", "verify"}});
    // g2 (no auto-assign): m2 dispatches to w3 twice; w3 returns it once.
    const auto b = c.submit(c.r1, 103.405, 23.405)["id"].get<std::int64_t>();
    c.ok(c.m2, b, {{"action", "accept"}});
    c.ok(c.m2, b, {{"action", "assign"}, {"worker_id", c.w3.id}});
    c.ok(c.w3, b, {{"action", "return"}, {"reason", "不归我管"}});
    c.ok(c.m2, b, {{"action", "assign"}, {"worker_id", c.w3.id}});
    // r2: one rejected report.
    const auto x = c.submit(c.r2)["id"].get<std::int64_t>();
    c.ok(c.m1, x, {{"action", "reject"}, {"reason", "不属实"}});

    const auto workers = items("worker", c.dispatcher.token);
    const auto w1 = of(workers, c.w1.id);
    ASSERT_TRUE(w1.is_object()) << workers.dump();
    EXPECT_EQ(w1["assigned"], 1);
    EXPECT_EQ(w1["closed"], 1);
    EXPECT_EQ(w1["closed_on_time"], 1);
    EXPECT_EQ(w1["on_time_rate"], 1.0);
    EXPECT_EQ(w1["reworked"], 1);
    EXPECT_EQ(w1["returned"], 0);
    EXPECT_EQ(w1["self_handled"], 0);
    const auto w3 = of(workers, c.w3.id);
    EXPECT_EQ(w3["returned"], 1);
    EXPECT_EQ(w3["assigned"], 1);
    EXPECT_EQ(w3["on_time_rate"], nullptr);  // nothing due yet

    const auto managers = items("manager", c.admin);
    const auto m2 = of(managers, c.m2.id);
    EXPECT_EQ(m2["dispatched"], 2);
    EXPECT_EQ(m2["returned"], 1);
    EXPECT_EQ(m2["dispatch_accuracy"], 0.5);
    EXPECT_EQ(of(managers, c.m1.id), nullptr);  // auto-assignment is nobody's dispatch

    const auto residents = items("resident", c.admin);
    EXPECT_EQ(of(residents, c.r1.id)["reports"], 2);
    EXPECT_EQ(of(residents, c.r1.id)["valid_rate"], 1.0);
    EXPECT_EQ(of(residents, c.r2.id)["valid_rate"], 0.0);

    // A manager sees their grids only: m1 sees nothing of g2.
    EXPECT_EQ(of(items("worker", c.m1.token), c.w3.id), nullptr);
    EXPECT_EQ(of(items("manager", c.m1.token), c.m2.id), nullptr);
    EXPECT_EQ(of(items("resident", c.m1.token), c.r1.id)["reports"], 1);
}

TEST_F(Scorecards, ErrorsNameTheFieldAndOtherRolesAreRefused) {
    auto r = d.get(std::string("/api/v1/stats/scorecards?") + kWindow + "&role=mayor", c.admin);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.json()["error"]["field"], "role") << r.body;
    r = d.get(std::string("/api/v1/stats/scorecards?") + kWindow, c.admin);
    EXPECT_EQ(r.json()["error"]["field"], "role") << r.body;
    r = d.get("/api/v1/stats/scorecards?to=2026-11-21T00:00:00Z&role=worker", c.admin);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.json()["error"]["field"], "from") << r.body;
    for (const auto* token : {&c.w1.token, &c.r1.token}) {
        r = d.get(std::string("/api/v1/stats/scorecards?") + kWindow + "&role=worker", *token);
        EXPECT_EQ(r.status, 403) << r.body;
    }
    EXPECT_EQ(d.get(std::string("/api/v1/stats/scorecards?") + kWindow + "&role=worker").status, 401);
}

// ---- The model: every figure computed from the actions the test took --------------------------

constexpr std::int64_t kHour = 3600;

std::string rfc3339(std::int64_t t) {
    const auto tt = static_cast<std::time_t>(t);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&tt));
    return buf;
}

// One ticket as the test saw it.
struct Ticket {
    std::int64_t id = 0, grid = 0, reporter = 0, sla_hours = 0;
    std::string status;
    std::optional<std::int64_t> assignee, accepted_at, closed_at, last_assigner;
    bool self_handled = false, checked = false, refuted = false, reworked = false;
    std::optional<std::int64_t> deadline() const {
        if (!accepted_at) return std::nullopt;
        return *accepted_at + sla_hours * kHour;  // no extension or parking on the closed paths below
    }
    bool closed_on_time() const { return status == "closed" && deadline() && *closed_at <= *deadline(); }
    bool overdue_open(std::int64_t now) const {
        return accepted_at && !closed_at && status != "parked" && status != "voided" && *deadline() < now;
    }
};

struct Model {
    std::vector<Ticket> tickets;
    // The dispatches and returns, for the managers' figures and the workers' 回退.
    struct Action {
        std::int64_t grid, actor;
        std::string what;                     // "assign" | "return"
        std::optional<std::int64_t> charged;  // a return: the latest earlier assigner
    };
    std::vector<Action> actions;
};

json ratio(std::int64_t num, std::int64_t den) {
    return den == 0 ? json(nullptr) : json(static_cast<double>(num) / static_cast<double>(den));
}

// The scorecard items the API should answer, for the tickets of `grids` (empty: all).
json expected_items(const Model& m, const std::string& role, const std::set<std::int64_t>& people,
                    const std::set<std::int64_t>& grids, std::int64_t now) {
    auto in_scope = [&](std::int64_t grid) { return grids.empty() || grids.contains(grid); };
    std::map<std::int64_t, json> out;
    if (role == "worker") {
        auto item = [&](std::int64_t id) -> json& {
            if (!out.contains(id))
                out[id] = {{"user_id", id}, {"assigned", 0}, {"closed", 0},   {"closed_on_time", 0},
                           {"due", 0},      {"returned", 0}, {"reworked", 0}, {"self_handled", 0}};
            return out[id];
        };
        for (const auto& t : m.tickets) {
            if (!in_scope(t.grid) || !t.assignee || !people.contains(*t.assignee)) continue;
            auto& w = item(*t.assignee);
            w["assigned"] = w["assigned"].get<int>() + 1;
            if (t.status == "closed") w["closed"] = w["closed"].get<int>() + 1;
            if (t.closed_on_time()) w["closed_on_time"] = w["closed_on_time"].get<int>() + 1;
            if (t.status == "closed" || t.overdue_open(now)) w["due"] = w["due"].get<int>() + 1;
            if (t.reworked) w["reworked"] = w["reworked"].get<int>() + 1;
            if (t.self_handled) w["self_handled"] = w["self_handled"].get<int>() + 1;
        }
        for (const auto& a : m.actions)
            if (a.what == "return" && in_scope(a.grid) && people.contains(a.actor))
                item(a.actor)["returned"] = item(a.actor)["returned"].get<int>() + 1;
        for (auto& [id, w] : out) {
            w["on_time_rate"] = ratio(w["closed_on_time"].get<int>(), w["due"].get<int>());
            w.erase("due");
        }
    } else if (role == "manager") {
        auto item = [&](std::int64_t id) -> json& {
            if (!out.contains(id)) out[id] = {{"user_id", id}, {"dispatched", 0}, {"returned", 0}};
            return out[id];
        };
        for (const auto& a : m.actions) {
            if (!in_scope(a.grid)) continue;
            if (a.what == "assign" && people.contains(a.actor))
                item(a.actor)["dispatched"] = item(a.actor)["dispatched"].get<int>() + 1;
            if (a.what == "return" && a.charged && people.contains(*a.charged))
                item(*a.charged)["returned"] = item(*a.charged)["returned"].get<int>() + 1;
        }
        for (auto& [id, x] : out)
            x["dispatch_accuracy"] =
                1.0 - static_cast<double>(x["returned"].get<int>()) / static_cast<double>(x["dispatched"].get<int>());
    } else {
        std::map<std::int64_t, std::array<int, 4>> n;  // reports, accepted, rejected, duplicate
        for (const auto& t : m.tickets) {
            if (!in_scope(t.grid) || !people.contains(t.reporter)) continue;
            auto& c = n[t.reporter];
            ++c[0];
            if (t.accepted_at) ++c[1];
            if (t.status == "rejected") ++c[2];
            if (t.status == "duplicate") ++c[3];
        }
        for (const auto& [id, c] : n)
            out[id] = {{"user_id", id},
                       {"reports", c[0]},
                       {"accepted", c[1]},
                       {"valid_rate", ratio(c[1], c[1] + c[2] + c[3])}};
    }
    json items = json::array();
    for (auto& [id, x] : out) items.push_back(std::move(x));
    return items;
}

// The server's items with the model's keys only (the name aside).
json comparable(const json& items, const json& like) {
    json out = json::array();
    for (const auto& item : items) {
        json x = json::object();
        for (const auto& [key, value] : like.empty() ? item.items() : like[0].items()) x[key] = item.at(key);
        out.push_back(std::move(x));
    }
    return out;
}

TEST_F(Scorecards, ModelOfSeededTicketsThroughEveryBranchAgreesWithTheScorecardsAndTheBulletin) {
    std::mt19937 rng(17);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    const std::int64_t start = 1'795'132'800;  // kStart, 2026-11-20T00:00:00Z (a Friday, week 2026-W47)
    ASSERT_EQ(rfc3339(start), kStart);
    Model m;
    std::int64_t clock = start;
    auto at = [&](std::int64_t t) {
        clock = t;
        c.set_clock(rfc3339(t));
    };
    constexpr int kTickets = 36;
    for (int i = 0; i < kTickets; ++i) {
        Ticket t;
        const auto created = start + i * 25 * 60;
        at(created);
        const bool in_g1 = pick(2) == 0;
        t.grid = in_g1 ? c.g1 : c.g2;
        const Person& manager = pick(3) == 0 ? c.dispatcher : in_g1 ? c.m1 : c.m2;
        const bool manhole = pick(2) == 0;
        t.sla_hours = manhole ? 4 : 24;
        const double lon = in_g1 ? 103.375 : 103.405;
        const int path = pick(12);
        auto act = [&](const Person& who, std::int64_t minutes_after, json body) {
            at(created + minutes_after * 60);
            auto r = c.ok(who, t.id, body);
            t.status = r["status"].get<std::string>();
            t.assignee =
                r["assignee_id"].is_null() ? std::nullopt : std::optional(r["assignee_id"].get<std::int64_t>());
            return r;
        };
        auto person = [&](std::int64_t id) -> const Person& {
            for (const Person* p : {&c.w1, &c.w2, &c.w3})
                if (p->id == id) return *p;
            throw std::logic_error("not a worker");
        };
        auto assign = [&](const Person& by, std::int64_t minutes_after) {
            const Person& worker = in_g1 ? (pick(2) == 0 ? c.w1 : c.w2) : c.w3;
            act(by, minutes_after, {{"action", "assign"}, {"worker_id", worker.id}});
            m.actions.push_back({t.grid, by.id, "assign", std::nullopt});
            t.last_assigner = by.id;
        };
        auto accept = [&](std::int64_t minutes_after) {
            act(manager, minutes_after, {{"action", "accept"}});
            t.accepted_at = clock;
            if (!in_g1) assign(manager, minutes_after + 10);  // g2 does not auto-assign
        };
        auto close_out = [&](std::int64_t minutes_after, bool rework) {
            const Person& w = person(*t.assignee);
            act(w, minutes_after, {{"action", "start"}});
            ASSERT_EQ(c.resolve(w, t.id).status, 200);
            if (rework) {
                act(manager, minutes_after + 30, {{"action", "rework"}, {"reason", "没扫干净"}});
                t.reworked = true;
                at(created + (minutes_after + 40) * 60);
                ASSERT_EQ(c.resolve(w, t.id).status, 200);
            }
            act(manager, minutes_after + 60, {{"action", "verify"}});
            t.closed_at = clock;
        };
        if (path == 9) {  // 自行处置 by a worker of the grid
            const Person& w = in_g1 ? (pick(2) == 0 ? c.w1 : c.w2) : c.w3;
            std::vector<std::string> before{make_jpeg(64, 48, 9000 + i)}, after{make_jpeg(64, 48, 9500 + i)};
            const json meta = {{"category", manhole ? "t-manhole" : "t-garbage"},
                               {"description", "巡查发现并处置"},
                               {"lat", in_g1 ? 23.375 : 23.405},
                               {"lon", lon},
                               {"self_handled", true}};
            auto r = post_multipart(d, "/api/v1/reports",
                                    multipart_named(meta.dump(), {{"photo", before}, {"after", after}}), w.token);
            ASSERT_EQ(r.status, 201) << r.body;
            t.id = r.json()["id"].get<std::int64_t>();
            t.reporter = w.id;
            t.self_handled = true;
            t.status = "resolved";
            t.assignee = w.id;
            if (pick(2) == 0) {
                act(manager, 90, {{"action", "verify"}});
                t.closed_at = clock;
            }
            m.tickets.push_back(t);
            continue;
        }
        const Person& reporter = pick(3) == 0 ? c.r2 : c.r1;
        t.reporter = reporter.id;
        t.id = c.submit(reporter, lon, in_g1 ? 23.375 : 23.405, manhole ? "t-manhole" : "t-garbage")["id"]
                   .get<std::int64_t>();
        t.status = "submitted";
        switch (path) {
            case 0:
                act(manager, 20, {{"action", "reject"}, {"reason", "不属于城市管理范围"}});
                break;
            case 1:
                if (m.tickets.empty()) {
                    act(manager, 20, {{"action", "reject"}, {"reason", "x"}});
                } else {
                    act(manager, 20, {{"action", "mark_duplicate"}, {"of", m.tickets.front().id}});
                }
                break;
            case 2:
            case 3: {  // 核实, refuted or confirmed (then filed and closed)
                const Person& w = in_g1 ? c.w2 : c.w3;
                act(manager, 15, {{"action", "request_check"}, {"worker_id", w.id}});
                t.checked = true;
                if (path == 2) {
                    act(w, 60, {{"action", "refute_check"}, {"reason", "现场无此问题"}});
                    t.refuted = true;
                    break;
                }
                at(created + 60 * 60);
                std::vector<std::string> photo{make_jpeg(40, 30, 9900 + i)};
                auto r = post_multipart(d, "/api/v1/reports/" + std::to_string(t.id) + "/actions",
                                        multipart({{"action", "confirm_check"}}, photo), w.token);
                ASSERT_EQ(r.status, 200) << r.body;
                accept(80);
                close_out(120, false);
                break;
            }
            case 4:
                accept(30);
                close_out(60 + pick(2) * 300, false);  // late for a 4 h limit when it starts 5 h on
                break;
            case 5: {  // 回退, dispatched again
                accept(30);
                const Person& w = person(*t.assignee);
                act(w, 60, {{"action", "return"}, {"reason", "不归我管"}});
                m.actions.push_back({t.grid, w.id, "return", t.last_assigner});
                assign(pick(2) == 0 ? c.dispatcher : (in_g1 ? c.m1 : c.m2), 70);
                close_out(90, false);
                break;
            }
            case 6:
                accept(30);
                close_out(60, true);
                break;
            case 7:
                accept(30);
                act(manager, 45, {{"action", "park"}, {"reason", "待财政拨款"}, {"until", "2026-12-31T00:00:00Z"}});
                break;
            case 8:
                accept(30);
                act(c.dispatcher, 50, {{"action", "void"}, {"reason", "误报录入"}});
                break;
            case 10:  // left in the worker's hands: overdue once its limit has passed
                accept(30);
                act(person(*t.assignee), 40, {{"action", "start"}});
                break;
            default:  // 11: voided before filing
                act(c.dispatcher, 10, {{"action", "void"}, {"reason", "重复录入"}});
        }
        m.tickets.push_back(t);
    }

    const std::int64_t now = start + 36 * kHour;  // Saturday noon: inside W47, most 4 h limits passed
    at(now);
    // Every figure's branch happened at least once, so the comparison below covers them.
    std::set<std::string> statuses;
    for (const auto& t : m.tickets) statuses.insert(t.status);
    for (const char* s : {"closed", "rejected", "duplicate", "parked", "voided", "in_progress", "resolved"})
        EXPECT_TRUE(statuses.contains(s)) << s;

    const std::set<std::int64_t> workers{c.w1.id, c.w2.id, c.w3.id}, managers{c.m1.id, c.m2.id},
        residents{c.r1.id, c.r2.id};
    for (const auto& [role, people] :
         {std::pair{"worker", workers}, std::pair{"manager", managers}, std::pair{"resident", residents}}) {
        SCOPED_TRACE(role);
        const auto want = expected_items(m, role, people, {}, now);
        EXPECT_EQ(comparable(items(role, c.dispatcher.token), want), want);
        // Managers: their own grid's tickets only.
        for (const auto& [manager, grid] : {std::pair{&c.m1, c.g1}, std::pair{&c.m2, c.g2}}) {
            const auto scoped = expected_items(m, role, people, {grid}, now);
            EXPECT_EQ(comparable(items(role, manager->token), scoped), scoped) << "manager of grid " << grid;
        }
    }

    // The weekly bulletin: every grid's figures, the new ones included, from the same model.
    auto b = d.get("/api/v1/bulletins/weekly?week=2026-W47", c.admin);
    ASSERT_EQ(b.status, 200) << b.body;
    const auto bulletin = b.json();  // not a temporary in the range-for (it would die before the loop)
    ASSERT_FALSE(bulletin["grids"].empty()) << b.body;
    for (const auto& g : bulletin["grids"]) {
        const auto grid = g["key"].get<std::int64_t>();
        std::map<std::string, std::int64_t> n;
        for (const auto& t : m.tickets) {
            if (t.grid != grid) continue;
            ++n["received"];
            n["accepted"] += t.accepted_at ? 1 : 0;
            n["rejected"] += t.status == "rejected";
            n["duplicate"] += t.status == "duplicate";
            n["closed"] += t.status == "closed";
            n["closed_on_time"] += t.closed_on_time();
            n["overdue_open"] += t.overdue_open(now);
            n["reworked"] += t.reworked;
            n["checked"] += t.checked;
            n["refuted"] += t.refuted;
            n["parked"] += t.status == "parked";
            n["self_handled"] += t.self_handled;
            n["voided"] += t.status == "voided";
        }
        for (const auto& [figure, value] : n) EXPECT_EQ(g[figure], value) << figure << " of grid " << grid;
        EXPECT_EQ(g["closure_rate"], ratio(n["closed"], n["closed"] + n["overdue_open"])) << grid;
        EXPECT_EQ(g["on_time_rate"], ratio(n["closed_on_time"], n["closed"] + n["overdue_open"])) << grid;
    }
    EXPECT_EQ(b.json()["grids"].size(), 2u);
}

}  // namespace
