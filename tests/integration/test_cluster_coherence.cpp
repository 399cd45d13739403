// Coherence across nodes (API.md §1.1, docs/postgresql.md "Coherence across nodes"): two daemons
// over one PostgreSQL database. A logout, a changed category, a new report and the test clock made
// on one node hold on the other within a second; a push reaches its subscribers whichever node
// they are connected to; all of it survives the loss of a node's listener connection. PostgreSQL
// pass only (integration_pg.cluster_coherence); the SQLite pass skips them.
#include "support/cluster.hpp"
#include "support/stream_client.hpp"
#include "support/test_database.hpp"
#include "ticket_city.hpp"

#include "server/store/pg/pg_conn.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

namespace civic::test {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// API.md §1.1: what one node changed is in force on every node within this.
constexpr auto kCoherenceLimit = 1000ms;
// Between two looks of a deadline-bounded check: short beside the limit, long enough to leave the
// nodes some CPU.
constexpr auto kRetryPause = 5ms;

// Retries `holds` until it is true or `limit` has passed since `since` (an attempt started
// before the limit counts). Returns how long after `since` it held, or nullopt.
std::optional<std::chrono::milliseconds> time_until(Clock::time_point since, const std::function<bool()>& holds,
                                                    std::chrono::milliseconds limit = kCoherenceLimit) {
    for (;;) {
        const auto attempt = Clock::now();
        if (holds()) return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since);
        if (attempt - since > limit) return std::nullopt;
        std::this_thread::sleep_for(kRetryPause);
    }
}

void report_delay(const char* what, std::chrono::milliseconds delay) {
    std::cout << "[coherence] " << what << ": " << delay.count() << " ms" << std::endl;
}

class PgCoherence : public ::testing::Test {
protected:
    void SetUp() override {
        if (!database_on_postgresql()) GTEST_SKIP() << "cluster tests run in the PostgreSQL pass";
        cluster_.emplace();
    }
    Daemon& a() { return cluster_->node(0); }
    Daemon& b() { return cluster_->node(1); }
    // A connection of the test's own to the nodes' database.
    store::pg::Conn sql() { return store::pg::Conn(cluster_->database_uri()); }

    std::optional<Cluster> cluster_;
};

TEST_F(PgCoherence, AReportSubmittedOnAAcceptedOnBIsPushedToTheReporterOnA) {
    TicketCity c{a()};
    StreamClient reporter_on_a(a().port(), "/api/v1/stream", c.r1.token);
    StreamClient manager_on_b(b().port(), "/api/v1/stream", c.m1.token);

    const auto id = c.submit(c.r1)["id"].get<std::int64_t>();
    EXPECT_EQ(reporter_on_a.next()["report_id"], id);  // A's own push
    auto e = manager_on_b.next();                      // A's commit, pushed by B
    EXPECT_EQ(e["type"], "report.created");
    EXPECT_EQ(e["report_id"], id);
    EXPECT_EQ(e["status"], "submitted");
    EXPECT_EQ(e["grid_id"], c.g1);

    const auto accepted =
        b().post("/api/v1/reports/" + std::to_string(id) + "/actions", {{"action", "accept"}}, c.m1.token);
    ASSERT_EQ(accepted.status, 200) << accepted.body;
    e = reporter_on_a.next();  // B's commit, pushed by A
    EXPECT_EQ(e["type"], "report.updated");
    EXPECT_EQ(e["report_id"], id);
    EXPECT_EQ(e["status"], "assigned");
    EXPECT_EQ(e["assignee_id"], c.w1.id);
    EXPECT_EQ(e["at"], kStart);  // B's clock is the one set on A
    EXPECT_EQ(manager_on_b.next()["status"], "assigned");

    // Each change came once: the next event of each is the next report (submitted on B).
    const auto next = post_multipart(
        b(), "/api/v1/reports",
        multipart({{"category", "t-garbage"}, {"description", "又一处"}, {"lat", 23.376}, {"lon", 103.376}},
                  {make_jpeg(64, 48, 77)}),
        c.r1.token);
    ASSERT_EQ(next.status, 201) << next.body;
    const auto next_id = next.json()["id"];
    EXPECT_EQ(reporter_on_a.next()["report_id"], next_id);
    EXPECT_EQ(manager_on_b.next()["report_id"], next_id);
}

TEST_F(PgCoherence, ALogoutOnAIsRefusedOnBWithinASecond) {
    const auto token = a().register_resident("13700000101");
    ASSERT_EQ(b().get("/api/v1/me", token).status, 200);  // B now has the token cached
    ASSERT_EQ(b().get("/api/v1/me", token).status, 200);
    const auto out = a().post("/api/v1/auth/logout", nlohmann::json::object(), token);
    ASSERT_EQ(out.status, 204) << out.body;
    const auto since = Clock::now();
    const auto delay = time_until(since, [&] { return b().get("/api/v1/me", token).status == 401; });
    ASSERT_TRUE(delay) << "B still accepts a token logged out on A";
    report_delay("logout on A refused on B", *delay);
}

TEST_F(PgCoherence, TheTestClockSetOnAHoldsOnBWithinASecond) {
    const auto admin = a().admin_token();
    // Near the real clock: the admin's session, opened now, must not look expired.
    const auto days_ahead = [](int days) {
        const std::time_t t = std::time(nullptr) + days * 86400;
        std::tm tm{};
        ::gmtime_r(&t, &tm);
        char buf[32];
        std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
        return std::string(buf);
    };
    const auto first = days_ahead(2), second = days_ahead(1), at_restart = days_ahead(3);
    const auto as_of_on_b = [&] {
        const auto r = b().get("/api/v1/stats/closure?from=2026-11-01T00:00:00Z&to=2026-12-31T00:00:00Z", admin);
        EXPECT_EQ(r.status, 200) << r.body;
        return r.json().value("as_of", "");
    };
    for (const auto& pinned : {first, second}) {
        const auto set = a().post("/api/v1/admin/clock", {{"now", pinned}}, admin);
        ASSERT_EQ(set.status, 200) << set.body;
        const auto delay = time_until(Clock::now(), [&] { return as_of_on_b() == pinned; });
        ASSERT_TRUE(delay) << "B's clock is not " << pinned;
        report_delay("test clock set on A holds on B", *delay);
    }
    // Back to the real clock on A: B follows.
    ASSERT_EQ(a().post("/api/v1/admin/clock", {{"now", nullptr}}, admin).status, 200);
    ASSERT_TRUE(time_until(Clock::now(), [&] { return as_of_on_b() != second; }));
    // A node started later reads the shared clock at start.
    ASSERT_EQ(b().post("/api/v1/admin/clock", {{"now", at_restart}}, admin).status, 200);
    cluster_->restart(0);
    const auto r = a().get("/api/v1/stats/closure?from=2026-11-01T00:00:00Z&to=2026-12-31T00:00:00Z", admin);
    EXPECT_EQ(r.json().value("as_of", ""), at_restart);
}

TEST_F(PgCoherence, ANearbyReportMadeOnAIsAPossibleDuplicateOnBWithinASecond) {
    TicketCity c{a()};
    const auto first = c.submit(c.r1)["id"].get<std::int64_t>();
    const auto duplicates_on_b = [&] {
        const auto r = b().get("/api/v1/reports/" + std::to_string(first), c.m1.token);
        EXPECT_EQ(r.status, 200) << r.body;
        return r.json()["possible_duplicates"];
    };
    ASSERT_EQ(duplicates_on_b(), nlohmann::json::array());  // kept by B under its open_reports epoch
    ASSERT_EQ(duplicates_on_b(), nlohmann::json::array());
    const auto second = c.submit(c.r2, 103.3751, 23.3751)["id"].get<std::int64_t>();
    const auto delay = time_until(Clock::now(), [&] { return duplicates_on_b() == nlohmann::json::array({second}); });
    ASSERT_TRUE(delay) << "B still shows " << duplicates_on_b();
    report_delay("new report on A in possible_duplicates on B", *delay);
}

TEST_F(PgCoherence, ACategoryCreatedOnAIsListedOnBWithinASecond) {
    const auto admin = a().admin_token();
    const auto listed_on_b = [&](const std::string& code) {
        const auto list = b().get("/api/v1/categories").json();
        for (const auto& c : list["items"])
            if (c["code"] == code) return true;
        return false;
    };
    ASSERT_FALSE(listed_on_b("coh-bench"));  // B keeps the list
    const auto made = a().post(
        "/api/v1/admin/categories",
        {{"code", "coh-bench"}, {"name", "长椅"}, {"sla_hours", 24}, {"points_on_accept", 1}, {"points_on_close", 2}},
        admin);
    ASSERT_EQ(made.status, 201) << made.body;
    const auto delay = time_until(Clock::now(), [&] { return listed_on_b("coh-bench"); });
    ASSERT_TRUE(delay) << "B does not list a category made on A";
    report_delay("category created on A listed on B", *delay);
}

// A change whose notification never came (here: made with triggers off, moving the counter by
// hand, as a lost notification would leave it) is caught by the poll of the epochs table.
TEST_F(PgCoherence, ThePollCatchesAChangeWhoseNotificationWasLost) {
    const auto token = a().register_resident("13700000102");
    const auto me = b().get("/api/v1/me", token);
    ASSERT_EQ(me.status, 200);
    const auto user_id = me.json()["id"].get<std::int64_t>();
    const auto notifications_before = b().metric("civicsnap_pg_listener_notifications_total");
    auto conn = sql();
    conn.exec("BEGIN; SET LOCAL session_replication_role = replica; DELETE FROM sessions WHERE user_id = " +
              std::to_string(user_id) + "; UPDATE epochs SET n = n + 1 WHERE name = 'auth'; COMMIT");
    const auto delay = time_until(Clock::now(), [&] { return b().get("/api/v1/me", token).status == 401; });
    ASSERT_TRUE(delay) << "B still accepts a token whose session is gone";
    report_delay("change without a notification seen by the poll", *delay);
    EXPECT_EQ(b().metric("civicsnap_pg_listener_notifications_total"), notifications_before);
    EXPECT_GT(b().metric("civicsnap_pg_listener_polls_total"), 0);
}

TEST_F(PgCoherence, CoherenceHoldsAfterTheListenerConnectionsAreKilled) {
    TicketCity c{a()};
    for (auto* node : {&a(), &b()}) ASSERT_EQ(node->metric("civicsnap_pg_listener_reconnects_total"), 0);
    auto conn = sql();
    auto killed = conn.query(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE application_name = 'civicsnap-listener' AND datname = current_database()");
    ASSERT_TRUE(killed.next());
    ASSERT_EQ(killed.int64(0), 2);
    for (auto* node : {&a(), &b()}) {
        ASSERT_TRUE(time_until(
            Clock::now(), [&] { return node->metric("civicsnap_pg_listener_reconnects_total") == 1; }, 10'000ms))
            << "a listener did not reconnect";
        EXPECT_EQ(node->metric("civicsnap_pg_listener_connected"), 1);
    }

    // A logout on A is refused on B within a second, as before.
    ASSERT_EQ(b().get("/api/v1/me", c.r2.token).status, 200);
    ASSERT_EQ(a().post("/api/v1/auth/logout", nlohmann::json::object(), c.r2.token).status, 204);
    ASSERT_TRUE(time_until(Clock::now(), [&] { return b().get("/api/v1/me", c.r2.token).status == 401; }));

    // A change made on B is pushed to the reporter connected to A.
    StreamClient reporter_on_a(a().port(), "/api/v1/stream", c.r1.token);
    const auto id = c.submit(c.r1)["id"].get<std::int64_t>();
    EXPECT_EQ(reporter_on_a.next()["report_id"], id);
    ASSERT_EQ(b().post("/api/v1/reports/" + std::to_string(id) + "/actions", {{"action", "accept"}}, c.m1.token).status,
              200);
    const auto e = reporter_on_a.next();
    EXPECT_EQ(e["report_id"], id);
    EXPECT_EQ(e["status"], "assigned");

    // A payload that is not an event is counted and dropped; the listener carries on.
    conn.exec("SELECT pg_notify('civic_report', 'not an event')");
    ASSERT_TRUE(time_until(
        Clock::now(), [&] { return b().metric("civicsnap_pg_listener_malformed_total") == 1; }, 5000ms));
    ASSERT_EQ(b().post("/api/v1/reports/" + std::to_string(id) + "/actions", {{"action", "start"}}, c.w1.token).status,
              200);
    EXPECT_EQ(reporter_on_a.next()["status"], "in_progress");
}

}  // namespace
}  // namespace civic::test
