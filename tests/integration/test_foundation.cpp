// API.md §0, §1, §9 over real HTTP: conventions, errors, limits, process behaviour.
#include "support/daemon.hpp"
#include "support/raw_http.hpp"
#include "support/test_database.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include <sys/socket.h>
#include <unistd.h>

using civic::test::Daemon;
using civic::test::metric_value;
using civic::test::raw_exchange;
using nlohmann::json;

namespace {

Daemon& shared_daemon() {
    static Daemon d;
    return d;
}

TEST(Foundation, HealthzAnswersOkWithRequestId) {
    auto r = shared_daemon().get("/healthz");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.json(), json({{"status", "ok"}}));
    EXPECT_FALSE(r.header("x-request-id").empty());
    EXPECT_EQ(r.header("content-type"), "application/json");
}

TEST(Foundation, EchoesClientRequestId) {
    auto r = shared_daemon().request("GET", "/healthz", "", {{"X-Request-Id", "app-42.retry-1"}});
    EXPECT_EQ(r.header("x-request-id"), "app-42.retry-1");
    // An id with characters that could forge log lines is replaced, not echoed.
    auto bad = shared_daemon().request("GET", "/healthz", "", {{"X-Request-Id", "a\"b{c}"}});
    EXPECT_NE(bad.header("x-request-id"), "a\"b{c}");
    EXPECT_FALSE(bad.header("x-request-id").empty());
}

TEST(Foundation, UnknownPathIs404InApiFormat) {
    auto r = shared_daemon().get("/api/v1/no-such-thing");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.error_code(), "not_found");
    EXPECT_FALSE(r.json()["error"]["message"].get<std::string>().empty());
    EXPECT_FALSE(r.header("x-request-id").empty());
    // A non-numeric id does not match a typed {id:int} parameter: just another unknown path.
    EXPECT_EQ(shared_daemon().get("/api/v1/categories/x/y").status, 404);
}

TEST(Foundation, KnownPathWithOtherMethodIs405) {
    auto r = shared_daemon().request("DELETE", "/api/v1/categories");
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.error_code(), "method_not_allowed");
    EXPECT_EQ(r.header("allow"), "GET");
    auto p = shared_daemon().request("GET", "/api/v1/auth/login");
    EXPECT_EQ(p.status, 405);
    EXPECT_EQ(p.header("allow"), "POST");
}

TEST(Foundation, MalformedQueryIs400) {
    auto r = shared_daemon().get("/api/v1/categories?x=%zz");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.error_code(), "bad_request");
}

TEST(Foundation, MalformedRequestLineGets400AndClose) {
    const auto raw = raw_exchange(shared_daemon().port(), "GARBAGE\r\n\r\n");
    EXPECT_NE(raw.find("HTTP/1.1 400"), std::string::npos) << raw;
    EXPECT_NE(raw.find("bad_request"), std::string::npos);
}

TEST(Foundation, OversizedHeadersGet431) {
    const std::string big(40 * 1024, 'a');  // over 32 KiB
    const auto raw =
        raw_exchange(shared_daemon().port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\n\r\n");
    EXPECT_NE(raw.find("HTTP/1.1 431"), std::string::npos) << raw.substr(0, 200);
}

TEST(Foundation, RequestTargetsUpTo16KiBAreServedLongerOnesGet414) {
    const std::string filler(16 * 1024 - 32, 'a');
    auto ok = shared_daemon().get("/api/v1/categories?x=" + filler);
    EXPECT_EQ(ok.status, 200) << ok.body.substr(0, 200);
    auto r = shared_daemon().get("/api/v1/categories?x=" + std::string(16 * 1024, 'a'));
    EXPECT_EQ(r.status, 414);
    EXPECT_EQ(r.error_code(), "bad_request");
}

TEST(Foundation, OversizedBodyGets413BeforeTheBodyIsSent) {
    // Only the headers are sent: the answer must come without waiting for 10 MB that never arrive.
    const auto raw = raw_exchange(shared_daemon().port(),
                                  "POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                  "Content-Length: 10000000\r\n\r\n",
                                  10000);
    EXPECT_NE(raw.find("HTTP/1.1 413"), std::string::npos) << raw;
    EXPECT_NE(raw.find("payload_too_large"), std::string::npos);
}

TEST(Foundation, ChunkedBodyOverTheLimitGets413) {
    std::string req =
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 10; ++i) req += "400\r\n" + std::string(1024, ' ') + "\r\n";
    req += "0\r\n\r\n";
    const auto raw = raw_exchange(shared_daemon().port(), req);
    EXPECT_NE(raw.find("HTTP/1.1 413"), std::string::npos) << raw.substr(0, 200);
}

TEST(Foundation, KeepAliveAndPipelining) {
    const std::string one = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: first\r\n\r\n";
    const std::string two = "GET /api/v1/categories HTTP/1.1\r\nHost: x\r\nX-Request-Id: second\r\n\r\n";
    const std::string three = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-Id: third\r\nConnection: close\r\n\r\n";
    const auto raw = raw_exchange(shared_daemon().port(), one + two + three);
    const auto a = raw.find("X-Request-Id: first");
    const auto b = raw.find("X-Request-Id: second");
    const auto c = raw.find("X-Request-Id: third");
    ASSERT_NE(a, std::string::npos) << raw;
    ASSERT_NE(b, std::string::npos) << raw;
    ASSERT_NE(c, std::string::npos) << raw;
    EXPECT_LT(a, b);  // answered in order
    EXPECT_LT(b, c);
}

// The connection refills one Request for all its requests (server/http/request_head.hpp): none
// sees the last one's id, query, parameters or headers, and a 405's Allow does not linger.
TEST(Foundation, KeepAliveRequestsShareNothing) {
    const std::string requests[] = {
        "GET /api/v1/categories?lang=zh HTTP/1.1\r\nHost: x\r\nX-Request-Id: first-one\r\n\r\n",
        "DELETE /api/v1/categories HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /api/v1/reports/12 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer not-a-token\r\n\r\n",
        "GET /api/v1/categories?x=%zz HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    };
    std::string all;
    for (const auto& r : requests) all += r;
    const auto raw = raw_exchange(shared_daemon().port(), all);
    std::vector<std::string> statuses, ids, heads;
    for (std::size_t at = raw.find("HTTP/1.1 "); at != std::string::npos; at = raw.find("HTTP/1.1 ", at + 1)) {
        const auto end = raw.find("\r\n\r\n", at);
        ASSERT_NE(end, std::string::npos) << raw;
        heads.push_back(raw.substr(at, end - at));
        statuses.push_back(raw.substr(at + 9, 3));
        const auto id = heads.back().find("X-Request-Id: ");
        ASSERT_NE(id, std::string::npos) << heads.back();
        ids.push_back(heads.back().substr(id + 14, heads.back().find("\r\n", id) - id - 14));
    }
    // The categories body holds "HTTP/1.1 " nowhere, so these are the five answers in order.
    ASSERT_EQ(statuses, (std::vector<std::string>{"200", "405", "401", "400", "200"})) << raw;
    EXPECT_EQ(ids[0], "first-one");
    const auto is_hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
    for (std::size_t i = 1; i < ids.size(); ++i) {
        // Made up by the server ("<8 hex digits>-<counter in hex>"), never the last request's.
        ASSERT_GT(ids[i].size(), 9u) << ids[i];
        EXPECT_EQ(ids[i][8], '-') << ids[i];
        EXPECT_TRUE(std::all_of(ids[i].begin(), ids[i].begin() + 8, is_hex)) << ids[i];
        EXPECT_TRUE(std::all_of(ids[i].begin() + 9, ids[i].end(), is_hex)) << ids[i];
        EXPECT_NE(ids[i], ids[i - 1]);
    }
    EXPECT_NE(heads[1].find("Allow: GET"), std::string::npos) << heads[1];
    for (std::size_t i = 2; i < heads.size(); ++i) EXPECT_EQ(heads[i].find("Allow:"), std::string::npos) << heads[i];
}

TEST(Foundation, MetricsInPrometheusFormat) {
    shared_daemon().get("/healthz");
    auto r = shared_daemon().get("/metrics");
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.header("content-type").find("text/plain"), std::string::npos);
    EXPECT_NE(r.body.find("civicsnap_http_requests_total{route=\"/healthz\",status=\"200\"}"), std::string::npos);
    EXPECT_NE(r.body.find("civicsnap_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"}"),
              std::string::npos);
    EXPECT_NE(r.body.find("civicsnap_http_in_flight_requests"), std::string::npos);
    EXPECT_NE(r.body.find("civicsnap_open_connections"), std::string::npos);
    // The decode slots (issue 19): idle between tests, their limit set.
    EXPECT_NE(r.body.find("# TYPE civicsnap_photo_decodes_limit gauge\ncivicsnap_photo_decodes_limit "),
              std::string::npos);
    EXPECT_NE(r.body.find("# TYPE civicsnap_photo_decodes_waiting gauge\ncivicsnap_photo_decodes_waiting "),
              std::string::npos);
    if (civic::test::database_on_postgresql()) {  // the pool's use and retries instead of the writer's queue
        EXPECT_NE(r.body.find("# TYPE civicsnap_pg_connections_in_use gauge"), std::string::npos);
        EXPECT_NE(r.body.find("civicsnap_pg_retries_total "), std::string::npos);
        // This node's listener (docs/postgresql.md "Coherence across nodes").
        EXPECT_NE(r.body.find("\ncivicsnap_pg_listener_connected 1\n"), std::string::npos);
        EXPECT_NE(r.body.find("# TYPE civicsnap_pg_listener_notifications_total counter"), std::string::npos);
        EXPECT_NE(r.body.find("civicsnap_pg_listener_polls_total "), std::string::npos);
        EXPECT_NE(r.body.find("civicsnap_pg_listener_reconnects_total 0\n"), std::string::npos);
        EXPECT_EQ(r.body.find("civicsnap_sqlite_"), std::string::npos);
        EXPECT_EQ(r.body.find("civicsnap_open_points_in_memory"), std::string::npos);  // it searches its table
    } else {
        EXPECT_NE(r.body.find("civicsnap_sqlite_write_queue_depth"), std::string::npos);
        EXPECT_NE(r.body.find("civicsnap_sqlite_last_batch_size"), std::string::npos);
        EXPECT_NE(r.body.find("# TYPE civicsnap_sqlite_wal_frames gauge"), std::string::npos);
        EXPECT_NE(r.body.find("# TYPE civicsnap_sqlite_wal_frames_max gauge"), std::string::npos);
        EXPECT_NE(r.body.find("\ncivicsnap_sqlite_tail_checkpoints_total 0\n"),
                  std::string::npos);  // a fresh city's WAL
        EXPECT_EQ(r.body.find("civicsnap_pg_"), std::string::npos);
        EXPECT_NE(r.body.find("# TYPE civicsnap_open_points_in_memory gauge"), std::string::npos);
        EXPECT_NE(r.body.find("\ncivicsnap_open_points_in_memory_dropped 0\n"), std::string::npos);
    }
}

// A keep-alive connection answered once, left open: the server has accepted it by then.
int answered_connection(unsigned short port) {
    const int fd = civic::test::connect_loopback(port);
    const std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    EXPECT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
    const auto got = civic::test::read_response_head(fd);
    EXPECT_TRUE(got.starts_with("HTTP/1.1 200")) << got;
    return fd;
}

// Connections are handed to the I/O contexts in turn (the test daemon runs two): six held open
// at once are three on each, whichever context the turn starts at.
TEST(Foundation, ConnectionsAreSpreadOverTheIoContexts) {
    auto& daemon = shared_daemon();
    std::vector<int> held;
    for (int i = 0; i < 6; ++i) held.push_back(answered_connection(daemon.port()));
    const auto body = daemon.get("/metrics").body;
    for (const int fd : held) ::close(fd);
    const auto on_first = metric_value(body, "civicsnap_io_context_connections{context=\"0\"}");
    const auto on_second = metric_value(body, "civicsnap_io_context_connections{context=\"1\"}");
    EXPECT_EQ(metric_value(body, "civicsnap_io_context_connections{context=\"2\"}"), -1) << body;
    EXPECT_GE(on_first, 3) << body;
    EXPECT_GE(on_second, 3) << body;
    EXPECT_GE(metric_value(body, "civicsnap_open_connections"), 7) << body;  // the six and /metrics's own
    EXPECT_GE(metric_value(body, "civicsnap_io_context_connections_total{context=\"0\"}"), on_first);
    EXPECT_GE(metric_value(body, "civicsnap_io_context_connections_total{context=\"1\"}"), on_second);
}

TEST(Foundation, OpenApiListsEveryEndpoint) {
    auto r = shared_daemon().get("/api/v1/openapi.json");
    ASSERT_EQ(r.status, 200);
    const auto doc = r.json();
    EXPECT_EQ(doc["openapi"], "3.1.0");
    // The endpoints of API.md §1–§3 and §9 (the clock only exists with --test-clock).
    const std::vector<std::pair<std::string, std::string>> expected = {
        {"/healthz", "get"},
        {"/metrics", "get"},
        {"/api/v1/openapi.json", "get"},
        {"/api/v1/auth/register", "post"},
        {"/api/v1/auth/login", "post"},
        {"/api/v1/auth/logout", "post"},
        {"/api/v1/me", "get"},
        {"/api/v1/admin/users", "post"},
        {"/api/v1/admin/grids", "post"},
        {"/api/v1/grids", "get"},
        {"/api/v1/admin/categories", "post"},
        {"/api/v1/categories", "get"},
        {"/api/v1/admin/clock", "post"},
    };
    for (const auto& [path, method] : expected) {
        EXPECT_TRUE(doc["paths"].contains(path) && doc["paths"][path].contains(method)) << method << " " << path;
    }
}

TEST(Foundation, SigtermExitsCleanly) {
    Daemon d;
    EXPECT_EQ(d.get("/healthz").status, 200);
    EXPECT_EQ(d.stop(), 0);
}

TEST(Foundation, DataSurvivesRestart) {
    char tmpl[] = "/tmp/civicsnap-restart-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    {
        Daemon d(Daemon::Options{.extra_args = {}, .test_clock = true, .demo = false, .data_dir = tmpl});
        d.register_resident("13600000077");
        EXPECT_EQ(d.stop(), 0);
    }
    {
        Daemon d(Daemon::Options{.extra_args = {}, .test_clock = true, .demo = false, .data_dir = tmpl});
        EXPECT_NO_THROW(d.login("13600000077", "resident-pass-1"));
    }
    std::filesystem::remove_all(tmpl);
}

TEST(TestClock, WithoutFlagThePathIs404) {
    Daemon d(Daemon::Options{.extra_args = {}, .test_clock = false, .demo = false, .data_dir = {}});
    auto r = d.post("/api/v1/admin/clock", {{"now", "2026-11-30T00:00:00Z"}}, d.admin_token());
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.error_code(), "not_found");
}

TEST(TestClock, AdminSetsAndResetsTheClock) {
    auto& d = shared_daemon();
    const auto admin = d.admin_token();
    // A time in the past: the admin's token (valid 30 days from the real now) stays valid.
    auto r = d.post("/api/v1/admin/clock", {{"now", "2026-01-02T03:04:05Z"}}, admin);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["now"], "2026-01-02T03:04:05Z");
    // Offsets are accepted and normalised to UTC.
    r = d.post("/api/v1/admin/clock", {{"now", "2026-01-02T11:04:05+08:00"}}, admin);
    EXPECT_EQ(r.json()["now"], "2026-01-02T03:04:05Z");
    r = d.post("/api/v1/admin/clock", {{"now", nullptr}}, admin);
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(r.json()["now"], "2026-01-02T03:04:05Z");
}

TEST(TestClock, Errors) {
    auto& d = shared_daemon();
    const auto admin = d.admin_token();
    EXPECT_EQ(d.post("/api/v1/admin/clock", {{"now", "yesterday"}}, admin).error_code(), "invalid_field");
    EXPECT_EQ(d.post("/api/v1/admin/clock", {{"now", 5}}, admin).error_code(), "invalid_field");
    EXPECT_EQ(d.post("/api/v1/admin/clock", json::object(), admin).error_code(), "invalid_field");
    EXPECT_EQ(d.post("/api/v1/admin/clock", {{"now", nullptr}}).status, 401);
    const auto resident = d.register_resident("13600000001");
    EXPECT_EQ(d.post("/api/v1/admin/clock", {{"now", nullptr}}, resident).status, 403);
}

TEST(Demo, LoadsTheCityAndPrintsAccounts) {
    Daemon d(Daemon::Options{.extra_args = {}, .test_clock = true, .demo = true, .data_dir = {}});
    EXPECT_NE(d.output().find("demo accounts"), std::string::npos);
    EXPECT_NE(d.output().find("demo kiosk: key_id kiosk_"), std::string::npos);
    auto cats = d.get("/api/v1/categories").json()["items"];
    EXPECT_GE(cats.size(), 16u);
    const auto admin = d.login("13800000000", "demo-admin-2026");  // the demo admin
    auto grids = d.get("/api/v1/grids", admin).json()["items"];
    EXPECT_GE(grids.size(), 6u);
    for (const auto& g : grids) {
        EXPECT_FALSE(g["manager_ids"].empty()) << g["code"];
        EXPECT_GE(g["worker_ids"].size(), 2u) << g["code"];
    }
    // A second start on the same data dir does not load it twice.
    d.stop();
    Daemon again(Daemon::Options{.extra_args = {}, .test_clock = true, .demo = true, .data_dir = d.data_dir()});
    EXPECT_NE(again.output().find("demo city already present"), std::string::npos);
    EXPECT_EQ(again.get("/api/v1/categories").json()["items"].size(), cats.size());
}

}  // namespace

namespace {
// The HTTP fuzzer's route table (tests/fuzz/routes.txt) is `civicsnapd routes --test-clock`:
// when a route is added, regenerate it with `build/bin/civicsnapd routes --test-clock >
// tests/fuzz/routes.txt`.
TEST(RouteTable, FuzzHarnessHasTheDaemonsRoutes) {
    std::string dumped;
    FILE* pipe = ::popen((std::string(CIVICSNAPD_PATH) + " routes --test-clock").c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) dumped.append(buf, n);
    ASSERT_EQ(::pclose(pipe), 0);
    std::ifstream file(std::string(CIVIC_TEST_DATA_DIR) + "/../fuzz/routes.txt", std::ios::binary);
    const std::string checked_in((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    EXPECT_GT(std::count(dumped.begin(), dumped.end(), '\n'), 60);
    EXPECT_NE(dumped.find("POST /open311/v2/requests.xml\n"), std::string::npos);
    EXPECT_NE(dumped.find("GET /dashboard/"), std::string::npos);
    EXPECT_EQ(checked_in, dumped) << "regenerate: build/bin/civicsnapd routes --test-clock > tests/fuzz/routes.txt";
}
}  // namespace
