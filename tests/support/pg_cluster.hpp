#pragma once
// Test support: a throwaway PostgreSQL cluster (docs/postgresql.md, "Tests").
//
// One cluster per test run, shared by every test process: the ctest fixture `pg_cluster_start`
// (tests/support/pg_fixture_main.cpp) runs initdb into a temporary directory, starts the server
// on a unix socket in that directory (and on a free loopback port), migrates a template database
// once, and writes the cluster's address to a state file named by $CIVIC_PG_STATE;
// `pg_cluster_stop` (FIXTURES_CLEANUP, so it runs even when tests failed) stops it and removes
// the directory. Each test then takes a database of its own with CREATE DATABASE … TEMPLATE …
// (milliseconds). A test binary run by hand without $CIVIC_PG_STATE starts a cluster of its own
// and stops it at exit.
//
// As root (CI), initdb and the server run as the `postgres` system user, which Debian's
// `postgresql` package creates (scripts/setup installs it); initdb refuses to run as root.
//
// Settings for a throwaway cluster: fsync=off and full_page_writes=off (an OS crash would lose
// it, which does not matter here); synchronous_commit stays on, so a crash of the server itself
// (pg_ctl stop -m immediate, kill -9) loses nothing acknowledged, as in production;
// wal_level=minimal (no archiving or standbys), which with STRATEGY FILE_COPY makes a test's
// CREATE DATABASE take tens of milliseconds.
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace civic::test {

inline constexpr const char* kPgMigratedTemplate = "civic_template";

class PgCluster {
public:
    struct Options {
        std::string bin_dir = "/usr/lib/postgresql/15/bin";
        bool tcp = true;      // also listen on 127.0.0.1 at a free port
        std::string os_user;  // who runs the server; "" = `postgres` when root, else oneself
        int max_connections = 300;
    };

    // initdb + pg_ctl start. Throws std::runtime_error with initdb's or the server's log.
    static std::unique_ptr<PgCluster> start(Options options);
    static std::unique_ptr<PgCluster> start() { return start(Options{}); }
    // A cluster another process started (the fixture), from its state file. Not owned: the
    // destructor leaves it running.
    static std::unique_ptr<PgCluster> attach(const std::string& state_file);
    // Stops the cluster a state file describes and removes its directory; false if there was
    // none. For the fixture's cleanup step and for a run interrupted before it.
    static bool stop_from_state(const std::string& state_file);

    PgCluster(const PgCluster&) = delete;
    PgCluster& operator=(const PgCluster&) = delete;
    ~PgCluster();  // stop() if owned

    void save(const std::string& state_file) const;
    void release() { owned_ = false; }  // leave it running past this object (the fixture)
    void stop();                        // immediate shutdown, then the directory goes; idempotent
    void restart();                     // pg_ctl restart -m fast (every connection is dropped)
    // An outage of any length: pg_ctl stop -m fast (the files stay), then pg_ctl start again.
    void pause();
    void resume();

    const std::string& dir() const { return dir_; }
    int port() const { return port_; }
    bool tcp() const { return tcp_; }
    double start_ms() const { return start_ms_; }                  // initdb + server start, as measured by start()
    std::string socket_conninfo(const std::string& dbname) const;  // host=<dir> port=… user=postgres dbname=…
    std::string tcp_conninfo(const std::string& dbname) const;     // host=127.0.0.1 (tcp() only)
    std::string conninfo(const std::string& dbname) const { return socket_conninfo(dbname); }
    std::string uri(const std::string& dbname) const;  // postgresql://postgres@127.0.0.1:PORT/db

    // Runs SQL (no parameters) on the `postgres` database as the superuser.
    void admin(const std::string& sql) const;
    // A new database copied from `template_db`, with a name unique across processes.
    std::string create_database(const std::string& template_db = "template1") const;
    void drop_database(const std::string& name) const;
    // Creates `name`, lets `fill(conninfo)` set it up, then marks it a template (no connection
    // may stay open to it: CREATE DATABASE … TEMPLATE refuses a template in use).
    void create_template(const std::string& name, const std::function<void(const std::string& conninfo)>& fill) const;

private:
    PgCluster() = default;
    std::string bin(const char* tool) const { return bin_dir_ + "/" + tool; }
    // Runs a PostgreSQL program as the cluster's OS user, output to `log`; its exit status.
    int run(const std::vector<std::string>& argv, const std::string& log) const;

    std::string bin_dir_;
    std::string dir_;
    std::string os_user_;
    int port_ = 0;
    bool tcp_ = false;
    bool owned_ = false;
    bool stopped_ = false;
    double start_ms_ = 0;
};

// A database of one's own, dropped (WITH FORCE) when it goes.
class PgDatabase {
public:
    explicit PgDatabase(const PgCluster& cluster, const std::string& template_db = kPgMigratedTemplate);
    PgDatabase(const PgDatabase&) = delete;
    PgDatabase& operator=(const PgDatabase&) = delete;
    ~PgDatabase();
    const std::string& name() const { return name_; }
    std::string conninfo() const { return cluster_.conninfo(name_); }

private:
    const PgCluster& cluster_;
    std::string name_;
};

// The cluster for this process: the fixture's (via $CIVIC_PG_STATE) or, without it, one started
// on first use — `on_start` then prepares it (creates the migrated template) — and stopped at
// exit (std::atexit).
PgCluster& shared_pg_cluster(const std::function<void(PgCluster&)>& on_start = {});

}  // namespace civic::test
