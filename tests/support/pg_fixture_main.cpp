// The ctest fixture around the PostgreSQL tests (tests/CMakeLists.txt):
//   civic-pg-fixture start STATE   initdb, start, migrate the template; address into STATE
//   civic-pg-fixture stop STATE    stop the cluster STATE describes and remove everything
// `start` first stops a cluster left behind by an interrupted run with the same STATE.
#include "server/store/pg/pg_migrate.hpp"
#include "tests/support/pg_cluster.hpp"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>

using namespace civic;

int main(int argc, char** argv) {
    if (argc != 3 || (std::strcmp(argv[1], "start") != 0 && std::strcmp(argv[1], "stop") != 0)) {
        std::fprintf(stderr, "usage: %s start|stop STATE_FILE\n", argv[0]);
        return 2;
    }
    const std::string state = argv[2];
    try {
        if (std::strcmp(argv[1], "stop") == 0) {
            const bool stopped = test::PgCluster::stop_from_state(state);
            std::printf("pg fixture: %s\n", stopped ? "cluster stopped and removed" : "no cluster to stop");
            return 0;
        }
        if (test::PgCluster::stop_from_state(state))
            std::printf("pg fixture: stopped a cluster left by an earlier run\n");
        auto cluster = test::PgCluster::start();
        const auto t0 = std::chrono::steady_clock::now();
        cluster->create_template(test::kPgMigratedTemplate, [](const std::string& conninfo) {
            store::pg::Conn conn(conninfo);
            store::pg::migrate(conn);
        });
        const double template_ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
        // What each test pays for its own database (the first copy warms the caches).
        double copy_ms = 0;
        for (int i = 0; i < 2; ++i) {
            const auto t1 = std::chrono::steady_clock::now();
            const auto name = cluster->create_database(test::kPgMigratedTemplate);
            copy_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count();
            cluster->drop_database(name);
        }
        cluster->save(state);
        cluster->release();
        std::printf(
            "pg fixture: PostgreSQL at %s (port %d): initdb + start %.0f ms, template + %zu migrations %.0f ms, "
            "a test's database %.0f ms\n",
            cluster->dir().c_str(), cluster->port(), cluster->start_ms(), store::pg::migrations().size(), template_ms,
            copy_ms);
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "pg fixture: %s\n", e.what());
        return 1;
    }
}
