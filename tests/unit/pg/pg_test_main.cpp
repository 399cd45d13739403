// main for pg_tests: attaches to the run's PostgreSQL (the ctest fixture's, via $CIVIC_PG_STATE)
// or, run by hand, starts one for this process and prepares its template as the fixture does.
#include "server/store/pg/pg_migrate.hpp"
#include "tests/unit/pg/pg_support.hpp"

#include <cstdio>
#include <cstdlib>

namespace civic::test {

PgCluster& pg_cluster() {
    return shared_pg_cluster([](PgCluster& cluster) {
        cluster.create_template(kPgMigratedTemplate, [](const std::string& conninfo) {
            store::pg::Conn conn(conninfo);
            store::pg::migrate(conn);
        });
    });
}

namespace {
class PgEnvironment : public ::testing::Environment {
public:
    void SetUp() override {
        const bool shared = std::getenv("CIVIC_PG_STATE") != nullptr;
        auto& cluster = pg_cluster();
        std::printf("[pg] %s PostgreSQL test cluster at %s; its initdb + start took %.0f ms\n",
                    shared ? "the run's" : "this process's", cluster.dir().c_str(), cluster.start_ms());
    }
};
}  // namespace

}  // namespace civic::test

int main(int argc, char** argv) {
    ::testing::InitGoogleTest(&argc, argv);
    ::testing::AddGlobalTestEnvironment(new civic::test::PgEnvironment);
    return RUN_ALL_TESTS();
}
