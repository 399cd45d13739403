// Operating many nodes over one PostgreSQL database (issue 13, API.md §1.1): the keys every node
// shares (`civicsnapd init-secrets`, `--secrets-dir`), the first start of several nodes at once on
// an empty database, and rate limits counted across nodes. `SecretsDir.*` runs in both passes;
// `PgOps.*` in the PostgreSQL pass (integration_pg.cluster_ops), skipped in the SQLite one.
#include "ledger_support.hpp"
#include "support/cluster.hpp"
#include "support/scratch_dir.hpp"
#include "support/secrets_dir.hpp"
#include "support/test_database.hpp"
#include "support/uploads.hpp"
#include "ticket_city.hpp"

#include "server/store/pg/pg_conn.hpp"
#include "server/store/pg/pg_migrate.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <thread>

namespace civic::test {
namespace {

namespace fs = std::filesystem;

CommandResult civicsnapd(const std::string& args) { return run_command(std::string(CIVICSNAPD_PATH) + " " + args); }

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

unsigned mode_of(const fs::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return 0;
    return st.st_mode & 0777;
}

std::size_t lines_in(const std::string& text) {
    return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

bool contains(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

// Exit status 2, one line saying `what`, and the daemon never listened.
void expect_refused(const CommandResult& r, const std::string& what) {
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_EQ(lines_in(r.output), 1u) << r.output;
    EXPECT_TRUE(contains(r.output, what)) << r.output;
    EXPECT_FALSE(contains(r.output, "listening")) << r.output;
}

TEST(SecretsDir, InitSecretsCreatesTheKeysOnceAndNeverOverwrites) {
    ScratchDir root;
    const fs::path dir = fs::path(root.path) / "shared" / "secrets";  // parents made too
    const auto first = civicsnapd("init-secrets --secrets-dir '" + dir.string() + "'");
    ASSERT_EQ(first.exit_code, 0) << first.output;
    EXPECT_TRUE(contains(first.output, "created " + (dir / "master.key").string())) << first.output;
    EXPECT_TRUE(contains(first.output, "created " + (dir / "credit_ed25519.pem").string())) << first.output;
    EXPECT_EQ(mode_of(dir), 0700u);
    EXPECT_EQ(mode_of(dir / "master.key"), 0600u);
    EXPECT_EQ(mode_of(dir / "credit_ed25519.pem"), 0600u);
    EXPECT_EQ(fs::file_size(dir / "master.key"), 32u);
    EXPECT_TRUE(contains(read_file(dir / "credit_ed25519.pem"), "BEGIN PRIVATE KEY"));
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++entries;
    EXPECT_EQ(entries, 2u) << "no temporary file is left behind";

    const auto seal_key = read_file(dir / "master.key");
    const auto credit_key = read_file(dir / "credit_ed25519.pem");
    const auto again = civicsnapd("init-secrets --secrets-dir '" + dir.string() + "'");
    ASSERT_EQ(again.exit_code, 0) << again.output;
    EXPECT_TRUE(contains(again.output, "kept the existing " + (dir / "master.key").string())) << again.output;
    EXPECT_TRUE(contains(again.output, "kept the existing " + (dir / "credit_ed25519.pem").string())) << again.output;
    EXPECT_FALSE(contains(again.output, "created")) << again.output;
    EXPECT_EQ(read_file(dir / "master.key"), seal_key);
    EXPECT_EQ(read_file(dir / "credit_ed25519.pem"), credit_key);

    // One key lost: only that one is made again, the other kept as it was.
    fs::remove(dir / "master.key");
    const auto one = civicsnapd("init-secrets --secrets-dir '" + dir.string() + "'");
    ASSERT_EQ(one.exit_code, 0) << one.output;
    EXPECT_TRUE(contains(one.output, "created " + (dir / "master.key").string())) << one.output;
    EXPECT_TRUE(contains(one.output, "kept the existing " + (dir / "credit_ed25519.pem").string())) << one.output;
    EXPECT_NE(read_file(dir / "master.key"), seal_key);
    EXPECT_EQ(read_file(dir / "credit_ed25519.pem"), credit_key);
}

TEST(SecretsDir, InitSecretsRefusesABadDirectoryOrAKeyItCannotUse) {
    ScratchDir root;
    const auto file = fs::path(root.path) / "a-file";
    std::ofstream(file) << "not a directory";
    expect_refused(civicsnapd("init-secrets --secrets-dir '" + file.string() + "'"), "is not a directory");
    expect_refused(civicsnapd("init-secrets --secrets-dir '" + (file / "secrets").string() + "'"), "cannot create it");
    // A damaged key is reported, never replaced.
    const auto dir = fs::path(root.path) / "secrets";
    fs::create_directories(dir);
    std::ofstream(dir / "master.key") << "too short";
    expect_refused(civicsnapd("init-secrets --secrets-dir '" + dir.string() + "'"), "not a sealing key");
    EXPECT_EQ(read_file(dir / "master.key"), "too short");
    // The flag is required.
    EXPECT_EQ(civicsnapd("init-secrets").exit_code, 2);
}

// With SQLite (one node) an explicit --secrets-dir is read as given — two daemons on it sign with
// one key — and a directory without the keys is refused rather than filled in.
TEST(SecretsDir, AnExplicitDirectoryIsUsedAsItIsOnEitherEngine) {
    ScratchDir root;
    const auto empty = fs::path(root.path) / "empty";
    fs::create_directories(empty);
    expect_refused(civicsnapd("--listen 127.0.0.1:0 --no-access-log --data-dir '" + root.path +
                              "/data' --secrets-dir '" + empty.string() + "'"),
                   "master.key: missing; create the keys once with civicsnapd init-secrets --secrets-dir");
    EXPECT_TRUE(fs::is_empty(empty));

    const auto shared = (fs::path(root.path) / "shared").string();
    init_secrets(shared);
    Daemon::Options o;
    o.extra_args = {"--secrets-dir", shared};
    Daemon a(o);
    Daemon b(o);
    const auto key_a = a.get("/api/v1/credit/public-key");
    ASSERT_EQ(key_a.status, 200) << key_a.body;
    EXPECT_EQ(b.get("/api/v1/credit/public-key").body, key_a.body);
    EXPECT_FALSE(fs::exists(fs::path(a.data_dir()) / "secrets")) << "no key of its own";
}

// The PostgreSQL pass only: these need the run's cluster.
class PgOps : public ::testing::Test {
protected:
    void SetUp() override {
        if (!database_on_postgresql()) GTEST_SKIP() << "PostgreSQL pass only (ctest integration_pg.cluster_ops)";
    }
};

TEST_F(PgOps, ServeWithoutTheSharedKeysIsRefusedBeforeListening) {
    const auto url = pg_uri(create_pg_database());
    ScratchDir root;
    const auto serve = [&](const std::string& more) {
        return civicsnapd("--listen 127.0.0.1:0 --no-access-log --data-dir '" + root.path + "/data' --database '" +
                          url + "'" + more);
    };
    expect_refused(serve(""), "needs --secrets-dir DIR holding the keys every node shares");
    const auto dir = fs::path(root.path) / "secrets";
    fs::create_directories(dir);
    expect_refused(serve(" --secrets-dir '" + dir.string() + "'"), "master.key: missing");
    init_secrets(dir.string());
    const auto seal_key = read_file(dir / "master.key");
    fs::remove(dir / "credit_ed25519.pem");
    expect_refused(serve(" --secrets-dir '" + dir.string() + "'"), "credit_ed25519.pem: missing");
    std::ofstream(dir / "credit_ed25519.pem") << "-----BEGIN PRIVATE KEY-----\nbroken\n";
    expect_refused(serve(" --secrets-dir '" + dir.string() + "'"), "not an Ed25519 private key");
    // Nothing was invented: the broken key and the sealing key are as they were, and the data dir
    // holds no keys of its own.
    EXPECT_EQ(read_file(dir / "master.key"), seal_key);
    EXPECT_EQ(read_file(dir / "credit_ed25519.pem"), "-----BEGIN PRIVATE KEY-----\nbroken\n");
    EXPECT_FALSE(fs::exists(fs::path(root.path) / "data" / "secrets"));
}

TEST_F(PgOps, ThreeNodesStartingAtOnceOnAnEmptyDatabaseMakeTheSchemaTheAdminAndTheDemoCityOnce) {
    const auto database = create_pg_database(/*empty=*/true);
    const auto url = pg_uri(database);
    ScratchDir root;
    const auto secrets = root.path + "/secrets";
    init_secrets(secrets);
    constexpr std::size_t kNodes = 3;
    std::vector<std::unique_ptr<Daemon>> nodes(kNodes);
    std::vector<std::string> failures(kNodes);
    {
        std::vector<std::thread> starters;
        for (std::size_t i = 0; i < kNodes; ++i)
            starters.emplace_back([&, i] {
                try {
                    Daemon::Options o;
                    o.demo = true;
                    o.extra_args = {"--database", url, "--secrets-dir", secrets, "--demo-seed", "0"};
                    nodes[i] = std::make_unique<Daemon>(o);
                } catch (const std::exception& e) {
                    failures[i] = e.what();
                }
            });
        for (auto& t : starters) t.join();
    }
    for (std::size_t i = 0; i < kNodes; ++i) ASSERT_TRUE(nodes[i]) << "node " << i << ": " << failures[i];

    std::size_t made_admin = 0, loaded_demo = 0, found_demo = 0;
    for (const auto& n : nodes) {
        made_admin += contains(n->output(), "created admin account") ? 1 : 0;
        loaded_demo += contains(n->output(), "loaded the demo city") ? 1 : 0;
        found_demo += contains(n->output(), "demo city already present") ? 1 : 0;
    }
    EXPECT_EQ(made_admin, 1u);
    EXPECT_EQ(loaded_demo, 1u);
    EXPECT_EQ(found_demo, kNodes - 1);

    store::pg::Conn conn(url);
    const auto count = [&](const std::string& sql) {
        auto q = conn.query(sql);
        q.next();
        return q.int64(0);
    };
    const auto migrations = static_cast<std::int64_t>(store::pg::migrations().size());
    EXPECT_EQ(count("SELECT count(*) FROM schema_migrations"), migrations);
    EXPECT_EQ(count("SELECT max(version) FROM schema_migrations"), migrations);
    EXPECT_EQ(count("SELECT count(*) FROM users WHERE phone = '" + std::string(kAdminPhone) + "'"), 1);
    // The demo city once: one kiosk (kiosks have no natural unique key a second load would hit).
    EXPECT_EQ(count("SELECT count(*) FROM kiosks"), 1);
    // Every node serves the one admin and the one city.
    const auto grids = count("SELECT count(*) FROM grids");
    EXPECT_GT(grids, 0);
    for (const auto& n : nodes) {
        const auto listed = n->get("/api/v1/grids", n->admin_token());
        ASSERT_EQ(listed.status, 200) << listed.body;
        EXPECT_EQ(static_cast<std::int64_t>(listed.json()["items"].size()), grids);
    }
    nodes.clear();
    drop_pg_database(database);
}

// Two nodes with one limit turned on (the launcher turns both off; later flags win).
Cluster::Options limited(const std::string& flag, const std::string& per_hour) {
    Cluster::Options o;
    o.extra_args = {flag, per_hour};
    return o;
}

void set_clock(Daemon& d, const std::string& now) {
    const auto r = d.post("/api/v1/admin/clock", {{"now", now}}, d.admin_token());
    ASSERT_EQ(r.status, 200) << r.body;
}

void set_clocks(Cluster& cluster, const std::string& now) {
    for (std::size_t i = 0; i < cluster.size(); ++i) set_clock(cluster.node(i), now);
}

HttpResponse register_as(const Daemon& d, const std::string& phone) {
    return d.post("/api/v1/auth/register",
                  {{"phone", phone}, {"password", "resident-pass-1"}, {"display_name", "居民"}});
}

void expect_rate_limited(const HttpResponse& r, const std::string& retry_after) {
    EXPECT_EQ(r.status, 429) << r.body;
    EXPECT_EQ(r.error_code(), "rate_limited") << r.body;
    EXPECT_EQ(r.header("retry-after"), retry_after);
}

TEST_F(PgOps, RegistrationsAreLimitedAcrossNodes) {
    Cluster cluster(limited("--registrations-per-hour", "4"));
    set_clocks(cluster, "2026-11-20T08:00:00Z");
    auto& a = cluster.node(0);
    auto& b = cluster.node(1);
    // Four an hour from one address: two spent on each node.
    EXPECT_EQ(register_as(a, "13600000001").status, 201);
    EXPECT_EQ(register_as(b, "13600000002").status, 201);
    EXPECT_EQ(register_as(a, "13600000003").status, 201);
    EXPECT_EQ(register_as(b, "13600000004").status, 201);
    expect_rate_limited(register_as(a, "13600000005"), "900");  // one token every 15 minutes
    expect_rate_limited(register_as(b, "13600000005"), "900");
    EXPECT_EQ(a.post("/api/v1/auth/login", {{"phone", "13600000005"}, {"password", "resident-pass-1"}}).status, 401)
        << "the refused registrations created nothing";

    set_clocks(cluster, "2026-11-20T08:15:00Z");  // one token back, for both nodes
    EXPECT_EQ(register_as(b, "13600000005").status, 201);
    expect_rate_limited(register_as(a, "13600000006"), "900");
}

TEST_F(PgOps, ReportSubmissionsAreLimitedAcrossNodesAndFullBucketsAreSwept) {
    Cluster cluster(limited("--reports-per-hour", "2"));
    auto& a = cluster.node(0);
    auto& b = cluster.node(1);
    TicketCity c(a);  // sets node A's clock to kStart
    set_clock(b, kStart);
    int seed = 0;
    const auto report = [&](const Daemon& d, const Person& who) {
        return post_multipart(
            d, "/api/v1/reports",
            multipart({{"category", "t-garbage"}, {"description", "井盖缺失"}, {"lat", 23.375}, {"lon", 103.375}},
                      {make_jpeg(64, 48, ++seed)}),
            who.token);
    };
    ASSERT_EQ(report(a, c.r1).status, 201);
    ASSERT_EQ(report(b, c.r1).status, 201);
    expect_rate_limited(report(a, c.r1), "1800");  // two an hour: a token every 30 minutes
    expect_rate_limited(report(b, c.r1), "1800");
    EXPECT_EQ(report(b, c.r2).status, 201) << "another resident has a bucket of their own";
    const auto mine = a.get("/api/v1/reports", c.r1.token).json();
    EXPECT_EQ(mine["items"].size(), 2u) << "the refused reports were not stored";

    // Two hours on, r1's bucket is full and untouched: the next take on a node sweeps it away.
    set_clocks(cluster, "2026-11-20T02:00:00Z");
    EXPECT_EQ(report(a, c.r2).status, 201);
    store::pg::Conn conn(cluster.database_uri());
    const auto bucket_of = [&](const Person& who) {
        auto q = conn.query("SELECT count(*) FROM rate_limit_buckets WHERE limiter = 'reports' AND key = ?");
        q.args(std::to_string(who.id));
        q.next();
        return q.int64(0);
    };
    EXPECT_EQ(bucket_of(c.r1), 0) << "swept";
    EXPECT_EQ(bucket_of(c.r2), 1);
    EXPECT_EQ(report(b, c.r1).status, 201) << "a swept bucket starts full again";
}

}  // namespace
}  // namespace civic::test
