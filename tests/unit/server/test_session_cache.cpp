// The session cache may answer only while nothing that could change a resolution has committed:
// each kind of change the 'auth' epoch of schema/007_epochs.sql watches must drop every entry, and the drop must
// be visible by the time the writer reports the change's job as done.
#include "server/api/session_cache.hpp"
#include "server/store/database.hpp"
#include "server/store/migrations.hpp"
#include "server/store/sqlite.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <string>

namespace {

using civic::api::Caller;
using civic::api::SessionCache;
using civic::domain::Role;
using civic::store::Conn;
using civic::store::SqliteEngine;

constexpr std::int64_t kNow = 1'800'000'000;

struct SessionCacheTest : ::testing::Test {
    SessionCacheTest() {
        char tmpl[] = "/tmp/civicsnap-sessions-XXXXXX";
        dir = mkdtemp(tmpl);
        engine = std::make_unique<SqliteEngine>(SqliteEngine::Options{dir + "/test.db", 1}, pool);
        engine->at_startup([](Conn& conn) {
            civic::store::migrate(conn);
            conn.exec(
                "INSERT INTO users (id, phone, password_hash, display_name, role, created_at) "
                "VALUES (1, '13800000001', 'x', 'Manager', 'manager', 0), (2, '13800000002', 'x', 'Resident', "
                "'resident', "
                "0);"
                "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (x'01', 1, 0, 9999999999);"
                "INSERT INTO grids (id, code, name, boundary, auto_assign, area_m2, created_at) "
                "VALUES (7, 'g7', 'Grid 7', '{}', 1, 1.0, 0);");
        });
        cache = std::make_unique<SessionCache>(*engine);
    }
    ~SessionCacheTest() override {
        engine->stop();
        pool.join();
        std::filesystem::remove_all(dir);
    }

    // Runs `sql` as one writer job and waits until it is acknowledged.
    void write(const std::string& sql) {
        std::promise<void> done;
        engine->write({[&](Conn& c) { c.exec(sql); },
                       [&](std::exception_ptr e) {
                           EXPECT_FALSE(e);
                           done.set_value();
                       }});
        done.get_future().wait();
    }

    // Caches the manager under token hash "t" as read at the current epoch.
    void remember() {
        cache->remember("t", Caller{1, Role::manager, "Manager", "13800000001", {}}, kNow + 3600, cache->epoch());
    }

    std::string dir;
    boost::asio::thread_pool pool{1};
    std::unique_ptr<SqliteEngine> engine;
    std::unique_ptr<SessionCache> cache;
};

TEST_F(SessionCacheTest, AnswersUntilTheSessionExpires) {
    remember();
    ASSERT_TRUE(cache->find("t", kNow));
    EXPECT_EQ(cache->find("t", kNow)->role, Role::manager);
    EXPECT_FALSE(cache->find("t", kNow + 3600));
    EXPECT_FALSE(cache->find("other", kNow));
}

TEST_F(SessionCacheTest, SurvivesWritesThatCannotChangeAResolution) {
    remember();
    write("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (x'02', 2, 0, 9999999999)");
    write(
        "INSERT INTO users (phone, password_hash, display_name, role, created_at) VALUES ('13800000003', 'x', 'N', "
        "'resident', 0)");
    EXPECT_TRUE(cache->find("t", kNow));
}

TEST_F(SessionCacheTest, EveryWatchedChangeDropsTheEntries) {
    const char* changes[] = {
        "DELETE FROM sessions WHERE token_hash = x'01'",
        "UPDATE sessions SET expires_at = 1 WHERE token_hash = x'02'",
        "UPDATE users SET role = 'worker' WHERE id = 1",
        "INSERT INTO user_grids (user_id, grid_id) VALUES (1, 7)",
        "UPDATE user_grids SET grid_id = 7 WHERE user_id = 1",
        "DELETE FROM user_grids WHERE user_id = 1",
        "DELETE FROM users WHERE id = 3",
    };
    write("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (x'02', 2, 0, 9999999999)");
    write(
        "INSERT INTO users (id, phone, password_hash, display_name, role, created_at) VALUES (3, '13800000003', 'x', "
        "'N', 'resident', 0)");
    for (const char* sql : changes) {
        SCOPED_TRACE(sql);
        remember();
        ASSERT_TRUE(cache->find("t", kNow));
        write(sql);
        EXPECT_FALSE(cache->find("t", kNow));
    }
}

TEST_F(SessionCacheTest, AReadThatRacedACommitIsNotKept) {
    // A reader took the epoch, then a change committed before it remembered what it read.
    const auto read_epoch = cache->epoch();
    write("UPDATE users SET display_name = 'Renamed' WHERE id = 1");
    cache->remember("t", Caller{1, Role::manager, "Manager", "13800000001", {}}, kNow + 3600, read_epoch);
    EXPECT_FALSE(cache->find("t", kNow));
}

TEST_F(SessionCacheTest, ARolledBackChangeKeepsTheEntries) {
    remember();
    std::promise<void> done;
    engine->write({[](Conn& c) {
                       c.exec("DELETE FROM sessions");
                       throw std::runtime_error("changed my mind");
                   },
                   [&](std::exception_ptr e) {
                       EXPECT_TRUE(e);
                       done.set_value();
                   }});
    done.get_future().wait();
    EXPECT_TRUE(cache->find("t", kNow));
}

}  // namespace
