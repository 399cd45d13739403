// Cluster tests (issue 13, API.md §1.1): several daemons over one PostgreSQL database. They run
// in the PostgreSQL pass (integration_pg.cluster); the SQLite pass skips them. The photo test
// runs there on one shared file: folder, and again on the run's S3 bucket
// (integration_pg_s3.cluster). docs/postgresql.md "The cluster test" says what each one shows.
#include "common/crypto.hpp"
#include "kiosk_support.hpp"
#include "ledger_support.hpp"
#include "photo_support.hpp"
#include "support/cluster.hpp"
#include "support/pg_cluster.hpp"
#include "support/test_database.hpp"
#include "ticket_city.hpp"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <latch>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace civic::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

class PgNodes : public ::testing::Test {
protected:
    void SetUp() override {
        if (!database_on_postgresql()) GTEST_SKIP() << "cluster tests run in the PostgreSQL pass";
    }
};

// `civicsnapd check --database`: the ledger's and the statistics' invariants hold at the end.
void expect_check_passes(const std::string& database) {
    const auto check = run_database_check(database);
    EXPECT_EQ(check.exit_code, 0) << check.output;
}

// Polls `done` until it holds or `limit` passes (a bound for a loaded machine, not a timing).
bool wait_until(const std::function<bool()>& done, std::chrono::seconds limit = 60s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

// `call` on every node at once: one thread a node, released together by a latch.
std::vector<HttpResponse> on_every_node_at_once(Cluster& cluster,
                                                const std::function<HttpResponse(const Daemon&)>& call) {
    std::vector<HttpResponse> answers(cluster.size());
    std::latch go(static_cast<std::ptrdiff_t>(cluster.size()));
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < cluster.size(); ++i)
        threads.emplace_back([&, i] {
            go.arrive_and_wait();
            try {
                answers[i] = call(cluster.node(i));
            } catch (const std::exception& e) {
                ADD_FAILURE() << "node " << i << ": " << e.what();
            }
        });
    for (auto& t : threads) t.join();
    return answers;
}

// One answer acted; every other is its replay: the same status and body, marked replayed.
void expect_one_effect_and_replays(const std::vector<HttpResponse>& answers, int status) {
    std::size_t replays = 0;
    for (const auto& a : answers) {
        EXPECT_EQ(a.status, status) << a.body;
        EXPECT_EQ(a.body, answers.front().body);
        if (a.header("idempotent-replayed") == "true") ++replays;
    }
    EXPECT_EQ(replays, answers.size() - 1);
}

// A resident's whole points statement, read page by page through `d`.
std::vector<json> statement_of(const Daemon& d, const std::string& token) {
    constexpr int kMaxPages = 20;
    std::vector<json> lines;
    std::string cursor;
    for (int page = 0; page < kMaxPages; ++page) {
        const auto r = d.get("/api/v1/me/points/ledger?limit=200" + (cursor.empty() ? "" : "&cursor=" + cursor), token);
        if (r.status != 200) throw std::runtime_error("statement: " + r.body);
        const auto j = r.json();
        for (const auto& line : j["items"]) lines.push_back(line);
        if (j["next_cursor"].is_null()) return lines;
        cursor = j["next_cursor"].get<std::string>();
    }
    throw std::runtime_error("a statement longer than the test ever writes");
}

std::int64_t sum_of_kind(const std::vector<json>& lines, const std::string& kind, int* count = nullptr) {
    std::int64_t sum = 0;
    for (const auto& line : lines)
        if (line["kind"] == kind) {
            sum += line["amount"].get<std::int64_t>();
            if (count) ++*count;
        }
    return sum;
}

// A write burst: client threads, two a node, each writing as soon as its last answer came back —
// donations of 1 point by one resident, each under an Idempotency-Key of its own, and every
// eighth write a registration. It keeps every write acknowledged (201) and every answer it did not
// expect. A node marked down may stop answering: its threads then end. 503 `unavailable` with
// Retry-After is an expected answer to a request that an outage of the database overlapped (sent
// during one, or one began before its answer came), and to no other.
class WriteBurst {
public:
    static constexpr std::size_t kMaxNodes = 4;
    static constexpr std::size_t kThreadsPerNode = 2;
    static constexpr const char* kPassword = "burst-pass-1";
    struct Donation {
        std::string key;
        std::int64_t id = 0;
    };

    WriteBurst(Cluster& cluster, std::string donor_token) : cluster_(cluster), donor_(std::move(donor_token)) {
        if (cluster.size() > kMaxNodes) throw std::logic_error("WriteBurst: too many nodes");
        for (std::size_t t = 0; t < cluster.size() * kThreadsPerNode; ++t)
            threads_.emplace_back([this, t] { client(t, t % cluster_.size()); });
    }
    ~WriteBurst() { stop(); }
    WriteBurst(const WriteBurst&) = delete;
    WriteBurst& operator=(const WriteBurst&) = delete;

    void mark_down(std::size_t node) { down_.at(node) = true; }
    // Around a stop, a restart or any outage of the database: odd epochs are outages.
    void outage_begins() { ++outage_epoch_; }
    void outage_ends() { ++outage_epoch_; }
    std::size_t acked(std::size_t node) const { return acked_.at(node); }
    std::size_t unavailable(std::size_t node) const { return unavailable_.at(node); }

    void stop() {
        stop_ = true;
        for (auto& t : threads_)
            if (t.joinable()) t.join();
    }
    // Read after stop().
    const std::vector<Donation>& donations() const { return donations_; }
    const std::vector<std::string>& phones() const { return phones_; }
    const std::vector<std::string>& unexpected() const { return unexpected_; }

private:
    // While the database is down each client waits this long before its next write, so an outage
    // costs tens of requests rather than thousands. Pacing only: no assertion rests on it.
    static constexpr auto kPauseAfter503 = 50ms;

    void client(std::size_t thread, std::size_t node) {
        const Daemon& d = cluster_.node(node);  // the burst ends before any node is replaced
        for (int n = 0; !stop_; ++n) {
            const bool registration = n % 8 == 7;
            char phone[16];
            std::snprintf(phone, sizeof phone, "136%02zu%06d", thread, n);
            const auto key = "burst-" + std::to_string(thread) + "-" + std::to_string(n);
            const int epoch_at_send = outage_epoch_;
            HttpResponse r;
            try {
                r = registration ? d.post("/api/v1/auth/register",
                                          {{"phone", phone}, {"password", kPassword}, {"display_name", "突发"}})
                                 : d.post("/api/v1/me/donations", {{"fund", "charity"}, {"points", 1}}, donor_,
                                          {{"Idempotency-Key", key}});
            } catch (const std::exception& e) {
                if (!down_.at(node)) note("node " + std::to_string(node) + ": no answer: " + e.what());
                return;
            }
            if (r.status == 201) {
                const auto body = json::parse(r.body, nullptr, false);  // never throw on a client thread
                if (!registration && !(body.is_object() && body.contains("id") && body["id"].is_number_integer())) {
                    note("node " + std::to_string(node) + ": a donation's 201 without an id: " + r.body);
                    continue;
                }
                std::lock_guard lock(mutex_);
                if (registration)
                    phones_.push_back(phone);
                else
                    donations_.push_back({key, body["id"].get<std::int64_t>()});
                ++acked_.at(node);
            } else if ((epoch_at_send % 2 == 1 || outage_epoch_ != epoch_at_send) && r.status == 503 &&
                       r.error_code() == "unavailable" && !r.header("retry-after").empty()) {
                ++unavailable_.at(node);
                std::this_thread::sleep_for(kPauseAfter503);
            } else {
                note("node " + std::to_string(node) + " (outage epoch " + std::to_string(epoch_at_send) +
                     "): " + (registration ? "registration" : "donation") + " → " + std::to_string(r.status) + " " +
                     r.body.substr(0, 200));
            }
        }
    }

    void note(const std::string& what) {
        std::lock_guard lock(mutex_);
        unexpected_.push_back(what);
    }

    Cluster& cluster_;
    const std::string donor_;
    std::atomic<bool> stop_{false};
    std::atomic<int> outage_epoch_{0};
    std::array<std::atomic<bool>, kMaxNodes> down_{};
    std::array<std::atomic<std::size_t>, kMaxNodes> acked_{};
    std::array<std::atomic<std::size_t>, kMaxNodes> unavailable_{};
    std::mutex mutex_;
    std::vector<Donation> donations_;
    std::vector<std::string> phones_;
    std::vector<std::string> unexpected_;
    std::vector<std::thread> threads_;  // last: started once everything above exists
};

void expect_no_unexpected_answer(const WriteBurst& burst) {
    for (const auto& u : burst.unexpected()) ADD_FAILURE() << u;
}

// What a burst did, for the log (the figures in docs/postgresql.md "The cluster test").
void print_burst(const WriteBurst& burst, std::size_t nodes) {
    std::string per_node;
    for (std::size_t i = 0; i < nodes; ++i)
        per_node += " node " + std::to_string(i) + ": " + std::to_string(burst.acked(i)) + " acknowledged, " +
                    std::to_string(burst.unavailable(i)) + " × 503;";
    std::printf("[cluster] burst: %zu donations, %zu registrations acknowledged;%s\n", burst.donations().size(),
                burst.phones().size(), per_node.c_str());
}

// Every write the burst saw acknowledged is there, read through `d`: each donation is in the
// donor's statement and its key replays the same answer; each registered phone logs in.
void expect_every_acknowledged_write_present(const Daemon& d, const WriteBurst& burst, const std::string& donor) {
    std::set<std::int64_t> donated;
    for (const auto& line : statement_of(d, donor))
        if (line["kind"] == "donation") donated.insert(line["id"].get<std::int64_t>());
    for (const auto& donation : burst.donations()) {
        EXPECT_TRUE(donated.contains(donation.id)) << "donation " << donation.id << " acknowledged, then lost";
        const auto replay = d.post("/api/v1/me/donations", {{"fund", "charity"}, {"points", 1}}, donor,
                                   {{"Idempotency-Key", donation.key}});
        ASSERT_EQ(replay.status, 201) << replay.body;
        EXPECT_EQ(replay.header("idempotent-replayed"), "true") << donation.key;
        EXPECT_EQ(replay.json()["id"], donation.id);
    }
    for (const auto& phone : burst.phones())
        EXPECT_NO_THROW(d.login(phone, WriteBurst::kPassword)) << phone << " registered, then lost";
}

// A resident with points to give away in a burst.
std::string donor(const Daemon& d, const std::string& phone) {
    const auto token = d.register_resident(phone);
    grant_points(d, user_id_of(d, token), 100'000);
    return token;
}

TEST_F(PgNodes, AnAccountMadeOnOneNodeLogsInOnTheOther) {
    Cluster cluster;
    const auto token_a = cluster.node(0).register_resident("13700000001", "两地居民");
    const auto me_a = cluster.node(0).get("/api/v1/me", token_a);
    ASSERT_EQ(me_a.status, 200) << me_a.body;
    const auto token_b = cluster.node(1).login("13700000001", "resident-pass-1");
    const auto me_b = cluster.node(1).get("/api/v1/me", token_b);
    ASSERT_EQ(me_b.status, 200) << me_b.body;
    EXPECT_EQ(me_a.json()["id"], me_b.json()["id"]);
    // A token issued by one node is good on the other: sessions live in the shared database.
    EXPECT_EQ(cluster.node(1).get("/api/v1/me", token_a).status, 200);
    expect_check_passes(cluster.database_uri());
}

// The same request retried on the other node while the first is still running (a kiosk or an
// app behind a load balancer): one effect, one stored answer, replayed to the other.
TEST_F(PgNodes, OneIdempotencyKeyRacedOnTwoNodesActsOnce) {
    constexpr int kRounds = 3;
    constexpr std::int64_t kGranted = 1000, kGoodsCost = 10, kHonourCost = 20, kStock = 10;
    Cluster cluster;
    const auto& a = cluster.node(0);
    const auto& b = cluster.node(1);
    const auto kiosk = register_kiosk(a);
    add_reward(a, "CL-SOAP", kGoodsCost, kStock);
    add_reward(a, "CL-HONOUR", kHonourCost, kStock, "honour");
    const auto resident = a.register_resident("13700000021");
    grant_points(a, user_id_of(a, resident), kGranted);

    for (int round = 0; round < kRounds; ++round) {
        // A kiosk redemption: each copy signed afresh (a signature is accepted once), same key and body.
        const auto code = redeem_token(round % 2 == 0 ? a : b, resident);
        const auto items = json::array({json{{"sku", "CL-SOAP"}, {"qty", 1}}});
        const auto key = "cluster-redeem-" + std::to_string(round);
        expect_one_effect_and_replays(
            on_every_node_at_once(cluster, [&](const Daemon& d) { return kiosk_redeem(d, kiosk, code, items, key); }),
            201);
        // 兑荣誉 from the app, which takes an Idempotency-Key too.
        const Headers idempotency = {{"Idempotency-Key", "cluster-honour-" + std::to_string(round)}};
        expect_one_effect_and_replays(
            on_every_node_at_once(cluster,
                                  [&](const Daemon& d) {
                                      return d.post("/api/v1/me/exchanges", {{"type", "honour"}, {"sku", "CL-HONOUR"}},
                                                    resident, idempotency);
                                  }),
            201);
    }

    // One debit and one stock decrement a key, seen through either node.
    for (std::size_t i = 0; i < cluster.size(); ++i) {
        EXPECT_EQ(balance_of(cluster.node(i), resident), kGranted - kRounds * (kGoodsCost + kHonourCost));
        EXPECT_EQ(stock_of(cluster.node(i), "CL-SOAP"), kStock - kRounds);
        EXPECT_EQ(stock_of(cluster.node(i), "CL-HONOUR"), kStock - kRounds);
    }
    const auto lines = statement_of(b, resident);
    int redemptions = 0, honours = 0;
    EXPECT_EQ(sum_of_kind(lines, "redemption", &redemptions), -kRounds * kGoodsCost);
    EXPECT_EQ(sum_of_kind(lines, "honour_exchange", &honours), -kRounds * kHonourCost);
    EXPECT_EQ(redemptions, kRounds);
    EXPECT_EQ(honours, kRounds);
    expect_check_passes(cluster.database_uri());
}

// Twenty accepts of one resident's tickets, ten on each node, released together: the day's cap is
// paid exactly (one accept in part, the rest not at all) and every accept counts in merit.
TEST_F(PgNodes, TwentyAcceptsAcrossTwoNodesPayExactlyTheDailyCap) {
    constexpr int kTickets = 20;
    constexpr std::int64_t kPoints = 10, kCap = 35;  // 3½ accepts' worth
    Cluster cluster(Cluster::Options{.extra_args = {"--daily-points-cap", std::to_string(kCap)}});
    TicketCity c(cluster.node(0));  // pins node 0's clock to kStart
    // Each node's test clock is its own today: pin the others to the same day too.
    for (std::size_t i = 1; i < cluster.size(); ++i)
        ASSERT_EQ(cluster.node(i).post("/api/v1/admin/clock", {{"now", kStart}}, cluster.node(i).admin_token()).status,
                  200);
    c.category("cl-road", 24, static_cast<int>(kPoints), 0);
    std::vector<std::int64_t> tickets;
    for (int i = 0; i < kTickets; ++i)  // outside both grids (the dispatcher's), 100 m apart
        tickets.push_back(c.submit(c.r1, 103.50 + 0.001 * i, 23.50, "cl-road")["id"].get<std::int64_t>());

    std::vector<HttpResponse> answers(kTickets);
    std::latch go(kTickets);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < kTickets; ++i)
        threads.emplace_back([&, i] {
            const auto& node = cluster.node(i % cluster.size());
            go.arrive_and_wait();
            try {
                answers[i] = node.post("/api/v1/reports/" + std::to_string(tickets[i]) + "/actions",
                                       {{"action", "accept"}}, c.dispatcher.token);
            } catch (const std::exception& e) {
                ADD_FAILURE() << e.what();
            }
        });
    for (auto& t : threads) t.join();
    for (const auto& r : answers) EXPECT_EQ(r.status, 200) << r.body;

    for (std::size_t i = 0; i < cluster.size(); ++i) {
        const auto points = cluster.node(i).get("/api/v1/me/points", c.r1.token).json();
        EXPECT_EQ(points["balance"], kCap);
        EXPECT_EQ(points["lifetime_earned"], kCap);
        EXPECT_EQ(points["merit"]["reports_accepted"], kTickets) << "merit counts every accept, paid or not";
    }
    EXPECT_EQ(sum_of_kind(statement_of(cluster.node(1), c.r1.token), "report_accepted"), kCap);
    expect_check_passes(cluster.database_uri());
}

// kill -9 of node A while clients write to both nodes: B answers every request it gets, nothing
// either node acknowledged is lost, and A restarted on its data dir serves again.
TEST_F(PgNodes, AKilledNodeLosesNoAcknowledgedWriteAndTheOtherKeepsServing) {
    constexpr std::size_t kAcksBeforeKill = 10, kAcksAfterKill = 10;
    Cluster cluster;
    const auto giver = donor(cluster.node(0), "13700000031");
    {
        WriteBurst burst(cluster, giver);
        ASSERT_TRUE(wait_until([&] { return burst.acked(0) >= kAcksBeforeKill && burst.acked(1) >= kAcksBeforeKill; }));
        burst.mark_down(0);
        cluster.node(0).kill_hard();  // A's clients have requests in flight
        const auto acked_by_b_at_kill = burst.acked(1);
        ASSERT_TRUE(wait_until([&] { return burst.acked(1) >= acked_by_b_at_kill + kAcksAfterKill; }));
        burst.stop();
        print_burst(burst, cluster.size());
        expect_no_unexpected_answer(burst);
        expect_every_acknowledged_write_present(cluster.node(1), burst, giver);
    }
    cluster.restart(0);
    const auto& a = cluster.node(0);
    // A is back on its data dir and serves what B wrote while it was down.
    EXPECT_EQ(statement_of(a, giver), statement_of(cluster.node(1), giver));
    const auto more = a.post("/api/v1/me/donations", {{"fund", "charity"}, {"points", 1}}, giver,
                             {{"Idempotency-Key", "after-restart"}});
    EXPECT_EQ(more.status, 201) << more.body;
    EXPECT_EQ(balance_of(a, giver), balance_of(cluster.node(1), giver));
    expect_check_passes(cluster.database_uri());
}

// PostgreSQL stopped and started again, then restarted (`pg_ctl restart -m fast`), under a write
// burst on both nodes (a private server: the run's shared one serves the tests running beside this
// one): while it is down every answer is 201 or 503 `unavailable` with Retry-After, afterwards
// both nodes serve again without a restart of their own, and nothing acknowledged is lost.
TEST_F(PgNodes, APostgresqlOutageUnderLoadGives503sThenBothNodesServeAgain) {
    constexpr std::size_t kAcks = 5;
    const auto server = PgCluster::start();
    const auto database = server->uri(server->create_database());  // empty: node 0 migrates it
    Cluster::Options options;
    options.database_uri = database;
    Cluster cluster(options);
    const auto giver = donor(cluster.node(0), "13700000041");
    std::vector<pid_t> pids;
    for (std::size_t i = 0; i < cluster.size(); ++i) pids.push_back(cluster.node(i).pid());
    {
        WriteBurst burst(cluster, giver);
        const auto every_node = [&](const std::function<bool(std::size_t)>& holds) {
            for (std::size_t i = 0; i < cluster.size(); ++i)
                if (!holds(i)) return false;
            return true;
        };
        // Every node acknowledges kAcks more writes than it had when this is called.
        const auto every_node_serves = [&] {
            std::vector<std::size_t> before;
            for (std::size_t i = 0; i < cluster.size(); ++i) before.push_back(burst.acked(i));
            return wait_until(
                [&] { return every_node([&](std::size_t i) { return burst.acked(i) >= before[i] + kAcks; }); });
        };
        ASSERT_TRUE(every_node_serves());
        // A stop long enough for every node to meet it, then a start.
        burst.outage_begins();
        server->pause();  // pg_ctl stop -m fast: open transactions cut, then connections refused
        ASSERT_TRUE(wait_until([&] { return every_node([&](std::size_t i) { return burst.unavailable(i) > 0; }); }))
            << "each node answers 503 while the database is down";
        server->resume();
        burst.outage_ends();
        ASSERT_TRUE(every_node_serves()) << "both nodes serve again after the stop";
        // pg_ctl restart -m fast under the same load: a short outage nobody waits for.
        burst.outage_begins();
        server->restart();
        burst.outage_ends();
        ASSERT_TRUE(every_node_serves()) << "both nodes serve again after the restart";
        burst.stop();
        print_burst(burst, cluster.size());
        expect_no_unexpected_answer(burst);
        expect_every_acknowledged_write_present(cluster.node(1), burst, giver);
    }
    for (std::size_t i = 0; i < cluster.size(); ++i)
        EXPECT_EQ(cluster.node(i).pid(), pids[i]) << "node " << i << " was not restarted";
    expect_check_passes(database);
}

// Issue 14: nodes sharing one photo store serve each other's photos — the original and its
// thumbnail, the same ETag on both, 304 on If-None-Match. Run on one shared file: folder in the
// PostgreSQL pass and on the run's S3 bucket in integration_pg_s3.cluster.
TEST_F(PgNodes, TwoNodesServeEachOthersPhotosFromOneStore) {
    Cluster cluster;
    EXPECT_EQ(cluster.photos().rfind(photos_on_s3() ? "s3://" : "file:", 0), 0u) << cluster.photos();
    TicketCity c(cluster.node(0));
    for (std::size_t writer = 0; writer < cluster.size(); ++writer) {
        const auto& here = cluster.node(writer);
        const auto& there = cluster.node((writer + 1) % cluster.size());
        // Larger than a thumbnail, so the thumbnail is an object of its own.
        const auto photo = submit_photo(here, c.r1.token, make_jpeg(640, 480, 700 + static_cast<int>(writer)));
        for (const std::string variant : {"", "?variant=thumb"}) {
            const auto target = photo.url + variant;
            const auto near = here.get(target, c.r1.token);
            const auto far = there.get(target, c.r1.token);
            ASSERT_EQ(near.status, 200) << target << " " << near.body.substr(0, 200);
            ASSERT_EQ(far.status, 200) << target << " " << far.body.substr(0, 200);
            EXPECT_EQ(far.body, near.body) << target;
            EXPECT_FALSE(far.header("etag").empty());
            EXPECT_EQ(far.header("etag"), near.header("etag")) << target;
            EXPECT_EQ(get_with(there, target, c.r1.token, {{"If-None-Match", far.header("etag")}}).status, 304);
            // Staff read it on the other node as well (the same authorisation, from the same rows).
            EXPECT_EQ(there.get(target, c.dispatcher.token).status, 200) << target;
        }
        const auto original = there.get(photo.url, c.r1.token);
        EXPECT_EQ(crypto::sha256_hex(original.body), photo.sha256) << "byte for byte";
        EXPECT_EQ(original.header("etag"), quoted(photo.sha256));
    }
    expect_check_passes(cluster.database_uri());
}

}  // namespace
}  // namespace civic::test
