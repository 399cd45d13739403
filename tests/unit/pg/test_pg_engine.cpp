// store::PgEngine, the daemon's database on PostgreSQL (docs/postgresql.md, "The daemon on
// PostgreSQL"): a write job is one transaction, its commit observers run before it completes and
// only after a commit, a job run again after a serialization failure is observed once, reads are
// read-only, and a server that cannot be reached is a DatabaseStartError at migrate().
#include "server/store/commit_epoch.hpp"
#include "server/store/pg_database.hpp"
#include "server/store/sqlite.hpp"
#include "tests/unit/pg/pg_support.hpp"

#include <future>
#include <stdexcept>

using civic::store::CommitEpoch;
using civic::store::Conn;
using civic::store::DbError;
using civic::store::PgEngine;
using civic::test::PgTest;
using civic::test::scalar;

namespace {

class PgEngineTest : public PgTest {
protected:
    void SetUp() override {
        connect()->exec(
            "INSERT INTO users (id, phone, password_hash, display_name, role, created_at) "
            "VALUES (1, '13800000001', 'x', 'Manager', 'manager', 0)");
        civic::store::pg::PoolOptions options;
        options.conninfo = conninfo();
        options.max_connections = 2;
        engine = std::make_unique<PgEngine>(options);
        engine->migrate();  // nothing to apply: the database is a copy of the migrated template
    }
    void TearDown() override { engine->stop(); }

    // Submits `run` as a write job; returns its error (null when committed) and, through
    // `epoch_at_completion`, what `epoch` said when the job completed.
    std::exception_ptr write(std::function<void(Conn&)> run, const CommitEpoch& epoch,
                             std::uint64_t& epoch_at_completion) {
        std::promise<std::exception_ptr> done;
        engine->write({std::move(run), [&](std::exception_ptr e) {
                           epoch_at_completion = epoch.current();
                           done.set_value(e);
                       }});
        return done.get_future().get();
    }

    std::unique_ptr<PgEngine> engine;
};

TEST_F(PgEngineTest, ObserversRunAfterTheCommitAndBeforeTheJobCompletes) {
    CommitEpoch auth(*engine, "auth");
    const auto before = auth.current();
    std::uint64_t seen = 0;
    EXPECT_FALSE(write([](Conn& c) { c.exec("UPDATE users SET role = 'worker' WHERE id = 1"); }, auth, seen));
    EXPECT_GT(seen, before);
    EXPECT_EQ(scalar(*connect(), "SELECT count(*) FROM users WHERE role = 'worker'"), 1);

    // A job that throws is rolled back and moves nothing; a write that changes no watched table
    // leaves the epoch where it was.
    const auto after_change = auth.current();
    EXPECT_TRUE(write(
        [](Conn& c) {
            c.exec("UPDATE users SET role = 'admin' WHERE id = 1");
            throw std::runtime_error("changed my mind");
        },
        auth, seen));
    EXPECT_EQ(seen, after_change);
    EXPECT_FALSE(write([](Conn& c) { c.exec("UPDATE epochs SET n = n WHERE false"); }, auth, seen));
    EXPECT_EQ(seen, after_change);
    EXPECT_EQ(scalar(*connect(), "SELECT count(*) FROM users WHERE role = 'worker'"), 1);
}

// The epochs a write moved reach the engine as its triggers' notices (schema 021), not by a read
// after it: a job that raised more notices than a connection keeps, the epoch's among the lost
// ones, still moves every epoch; a job that moved another counter leaves this one.
TEST_F(PgEngineTest, AnEpochMovedBeyondTheNoticesKeptStillMoves) {
    CommitEpoch auth(*engine, "auth");
    const auto before = auth.current();
    std::uint64_t seen = 0;
    EXPECT_FALSE(write(
        [](Conn& c) {
            c.exec(
                "INSERT INTO categories (code, name, sla_hours, points_on_accept, points_on_close, created_at) "
                "VALUES ('x-test', 'X', 24, 1, 1, 0)");
        },
        auth, seen));
    EXPECT_EQ(seen, before) << "the categories' counter moved, not auth's";
    EXPECT_FALSE(write(
        [](Conn& c) {
            c.exec("DO $$ BEGIN FOR i IN 1..100 LOOP RAISE NOTICE 'noise %', i; END LOOP; END $$");
            c.exec("UPDATE users SET role = 'worker' WHERE id = 1");
        },
        auth, seen));
    EXPECT_GT(seen, before);
}

// A bump rolled back to a savepoint told the session a value the COMMIT did not keep, and the
// next bump commits that same value: taken for the committed one, it would make the next write's
// (and the listener's) reading of it look already seen, and that change would never move the
// epoch. A transaction rolled back to a savepoint moves every epoch instead.
TEST_F(PgEngineTest, ABumpRolledBackToASavepointDoesNotHideTheNextOne) {
    CommitEpoch auth(*engine, "auth");
    std::uint64_t seen = 0;
    EXPECT_FALSE(write(
        [](Conn& c) {
            civic::store::Savepoint undone(c);
            c.exec("UPDATE users SET role = 'worker' WHERE id = 1");
            undone.rollback();
        },
        auth, seen));
    const auto before = seen;
    EXPECT_FALSE(write([](Conn& c) { c.exec("UPDATE users SET role = 'worker' WHERE id = 1"); }, auth, seen));
    EXPECT_GT(seen, before) << "the committed bump moves the epoch";
}

TEST_F(PgEngineTest, AJobRunAgainAfterASerializationFailureIsCommittedOnce) {
    CommitEpoch auth(*engine, "auth");
    int runs = 0;
    std::uint64_t seen = 0;
    EXPECT_FALSE(write(
        [&](Conn& c) {
            c.exec("UPDATE users SET display_name = display_name || '!' WHERE id = 1");
            if (++runs == 1) throw DbError(DbError::Kind::retry, "40001", "could not serialize access");
        },
        auth, seen));
    EXPECT_EQ(runs, 2);
    EXPECT_EQ(scalar(*connect(), "SELECT length(display_name) FROM users WHERE id = 1"), 8);  // "Manager!"
    EXPECT_EQ(engine->pool().stats().retries.load(), 1);
}

TEST_F(PgEngineTest, ReadsRunInAReadOnlyTransaction) {
    std::int64_t users = 0;
    engine->read([&](Conn& c) {
        auto q = c.query("SELECT count(*) FROM users");
        q.next();
        users = q.int64(0);
    });
    EXPECT_EQ(users, 1);
    EXPECT_THROW(engine->read([](Conn& c) { c.exec("DELETE FROM users"); }), DbError);
    EXPECT_EQ(scalar(*connect(), "SELECT count(*) FROM users"), 1);
}

TEST(PgEngineStart, AnUnreachableServerIsADatabaseStartError) {
    civic::store::pg::PoolOptions options;
    options.conninfo = "postgresql://postgres@127.0.0.1:1/none?connect_timeout=2";
    PgEngine engine(options);
    EXPECT_THROW(engine.migrate(), civic::store::DatabaseStartError);
    engine.stop();
}

}  // namespace
