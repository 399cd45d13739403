// --database (API.md §1.1, docs/postgresql.md): the start-time checks of either engine (a bad
// value, an unreachable server: one line on stderr, exit 2, nothing listening), and, in the
// PostgreSQL pass (integration_pg.database), `civicsnapd migrate` and `check --database`, a
// schema newer than the binary, and an outage of the server: 503 with Retry-After while it is
// down, service again once it is back, without a restart of the daemon.
#include "ledger_support.hpp"
#include "support/pg_cluster.hpp"
#include "support/scratch_dir.hpp"
#include "support/secrets_dir.hpp"

#include "server/store/pg/pg_conn.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

namespace civic::test {
namespace {

CommandResult civicsnapd(const std::string& args) { return run_command(std::string(CIVICSNAPD_PATH) + " " + args); }

// With its keys (a postgresql:// database needs --secrets-dir), so that the database is what fails.
CommandResult serve_with(const std::string& data_dir, const std::string& database) {
    init_secrets(data_dir + "/secrets");
    return civicsnapd("--listen 127.0.0.1:0 --no-access-log --data-dir '" + data_dir + "' --database '" + database +
                      "' --secrets-dir '" + data_dir + "/secrets'");
}

// Exit status 2, one line saying `what`, and the daemon never listened.
void expect_refused(const CommandResult& r, const std::string& what) {
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
    EXPECT_NE(r.output.find(what), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("listening"), std::string::npos) << r.output;
}

// A loopback port nothing listens on (bound once, then released).
int unused_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

TEST(DatabaseStart, MalformedValuesAreRefusedBeforeListening) {
    ScratchDir dir;
    expect_refused(serve_with(dir.path, "mysql://civic@db/civic"), "--database must be sqlite:PATH or postgresql://");
    expect_refused(serve_with(dir.path, "sqlite:"), "sqlite:PATH needs a path");
    // libpq's own parser: an IPv6 host whose bracket is never closed.
    expect_refused(serve_with(dir.path, "postgresql://civic@[::1/civic"), "IPv6");
    expect_refused(civicsnapd("migrate --database 'postgres://[::1/x'"), "civicsnapd migrate: --database");
    expect_refused(civicsnapd("check --database 'mysql://x'"), "civicsnapd check: --database must be");
}

TEST(DatabaseStart, AnUnreachableServerIsRefusedBeforeListening) {
    ScratchDir dir;
    const auto url = "postgresql://civic@127.0.0.1:" + std::to_string(unused_port()) + "/civic?connect_timeout=5";
    expect_refused(serve_with(dir.path, url), "cannot connect to PostgreSQL");
    expect_refused(civicsnapd("migrate --database '" + url + "'"), "cannot connect to PostgreSQL");
    expect_refused(civicsnapd("check --database '" + url + "'"), "cannot connect to PostgreSQL");
}

TEST(DatabaseStart, TheDefaultIsTheDataDirsSqliteFile) {
    ScratchDir dir;
    const auto migrated = civicsnapd("migrate --data-dir '" + dir.path + "'");
    ASSERT_EQ(migrated.exit_code, 0) << migrated.output;
    EXPECT_NE(migrated.output.find("sqlite:" + dir.path + "/civicsnap.db at schema version"), std::string::npos)
        << migrated.output;
    const auto explicit_path = civicsnapd("check --database 'sqlite:" + dir.path + "/civicsnap.db'");
    EXPECT_EQ(explicit_path.exit_code, 0) << explicit_path.output;
}

// backup copies the SQLite file (PostgreSQL has its own backups); the sweep reads either engine,
// and one it cannot reach stops it before the store is touched.
TEST(DatabaseStart, BackupRefusesADatabaseUrlAndTheSweepAnUnreachableOne) {
    ScratchDir dir;
    const std::string url = "postgresql://civic@127.0.0.1:1/civic";
    expect_refused(
        civicsnapd("backup --data-dir '" + dir.path + "' --database '" + url + "' --to '" + dir.path + "/copy'"),
        "civicsnapd backup: works on --data-dir's SQLite database only");
    expect_refused(civicsnapd("sweep-photos --data-dir '" + dir.path + "' --database '" + url + "'"),
                   "civicsnapd sweep-photos: " + url + ": cannot connect to PostgreSQL");
    expect_refused(civicsnapd("sweep-photos --data-dir '" + dir.path + "'"),
                   "civicsnapd sweep-photos: no database at " + dir.path + "/civicsnap.db");
}

// The PostgreSQL pass only: these need the run's cluster.
#define REQUIRE_POSTGRESQL_RUN() \
    if (!database_on_postgresql()) GTEST_SKIP() << "PostgreSQL pass only (ctest integration_pg.database)"

TEST(PgDaemon, MigrateBringsAnEmptyDatabaseUpOnceThenCheckPasses) {
    REQUIRE_POSTGRESQL_RUN();
    const auto url = pg_uri(create_pg_database(/*empty=*/true));
    const auto first = civicsnapd("migrate --database '" + url + "'");
    ASSERT_EQ(first.exit_code, 0) << first.output;
    EXPECT_EQ(first.output.find("(0 migrations applied)"), std::string::npos) << first.output;
    const auto again = civicsnapd("migrate --database '" + url + "'");
    ASSERT_EQ(again.exit_code, 0) << again.output;
    EXPECT_NE(again.output.find("(0 migrations applied)"), std::string::npos) << again.output;
    const auto check = civicsnapd("check --database '" + url + "'");
    EXPECT_EQ(check.exit_code, 0) << check.output;
    EXPECT_NE(check.output.find("invariants hold"), std::string::npos) << check.output;
}

TEST(PgDaemon, CheckFindsATamperedBalance) {
    REQUIRE_POSTGRESQL_RUN();
    Daemon d;
    const auto token = d.register_resident("13700000101");
    grant_points(d, user_id_of(d, token), 40);
    ASSERT_EQ(run_ledger_check(d.data_dir()).exit_code, 0);
    store::pg::Conn(database_for(d.data_dir()))
        .exec("UPDATE ledger_accounts SET balance = balance + 5 WHERE kind = 'resident'");
    const auto check = run_ledger_check(d.data_dir());
    EXPECT_EQ(check.exit_code, 1) << check.output;
    EXPECT_NE(check.output.find("transfers sum to 40"), std::string::npos) << check.output;
}

TEST(PgDaemon, ASchemaNewerThanTheBinaryIsRefused) {
    REQUIRE_POSTGRESQL_RUN();
    const auto url = pg_uri(create_pg_database());
    store::pg::Conn(url).exec(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, '999_from_the_future.sql', 0)");
    ScratchDir dir;
    expect_refused(serve_with(dir.path, url), "newer than this binary");
    expect_refused(civicsnapd("migrate --database '" + url + "'"), "newer than this binary");
    expect_refused(civicsnapd("check --database '" + url + "'"), "run a newer civicsnapd");
}

TEST(PgDaemon, AnOutageGives503WithRetryAfterThenServiceResumes) {
    REQUIRE_POSTGRESQL_RUN();
    // A private cluster: stopping the run's shared one would fail every other test.
    auto cluster = PgCluster::start();
    const auto url = cluster->uri(cluster->create_database());
    Daemon d(Daemon::Options{.extra_args = {"--database", url}});
    const auto token = d.register_resident("13700000102");
    ASSERT_EQ(d.get("/api/v1/me/points", token).status, 200);

    cluster->pause();
    for (int i = 0; i < 3; ++i) {  // each request meets the dead connections or a refused connect
        const auto read = d.get("/api/v1/me/points", token);
        EXPECT_EQ(read.status, 503) << read.body;
        EXPECT_EQ(read.error_code(), "unavailable") << read.body;
        EXPECT_FALSE(read.header("retry-after").empty());
    }
    const auto write = d.post("/api/v1/auth/register",
                              {{"phone", "13700000103"}, {"password", "resident-pass-1"}, {"display_name", "R"}});
    EXPECT_EQ(write.status, 503) << write.body;
    EXPECT_FALSE(write.header("retry-after").empty());
    EXPECT_EQ(d.get("/healthz").status, 200);  // liveness does not need the database

    cluster->resume();
    EXPECT_EQ(d.get("/api/v1/me/points", token).status, 200);
    EXPECT_NE(d.register_resident("13700000103"), "");
    const auto metrics = d.get("/metrics").body;
    EXPECT_EQ(metrics.find("civicsnap_pg_connect_failures_total 0\n"), std::string::npos) << metrics;
    const auto check = civicsnapd("check --database '" + url + "'");
    EXPECT_EQ(check.exit_code, 0) << check.output;
}

}  // namespace
}  // namespace civic::test
