// The storage engine: group commit, per-job isolation, durability before acknowledgement,
// migrations.
#include "server/store/database.hpp"
#include "server/store/migrations.hpp"
#include "server/store/reports_repo.hpp"
#include "server/store/sqlite.hpp"
#include "tests/support/one_open_report.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <filesystem>
#include <functional>
#include <future>
#include <latch>
#include <regex>
#include <set>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace {

using civic::store::Conn;
using civic::store::Writer;

struct TempDb {
    TempDb() {
        char tmpl[] = "/tmp/civicsnap-store-XXXXXX";
        dir = mkdtemp(tmpl);
        path = dir + "/test.db";
    }
    ~TempDb() { std::filesystem::remove_all(dir); }
    std::string dir, path;
};

// Applies the migrations named before `first_skipped` and records them, as an older binary
// would have left the database; returns how many.
std::size_t migrate_before(Conn& conn, std::string_view first_skipped) {
    const auto& all = civic::store::migrations();
    std::size_t applied = 0;
    for (; applied < all.size() && all[applied].name < first_skipped; ++applied) conn.exec(all[applied].sql);
    conn.exec("PRAGMA user_version = " + std::to_string(applied));
    return applied;
}

std::int64_t count_rows(const std::string& path) {
    Conn reader(path, Conn::Mode::read_only);
    auto q = reader.query("SELECT count(*) FROM t");
    q.next();
    return q.int64(0);
}

// Runs one job through the writer (Writer::enqueue) or an engine (StorageEngine::write) and
// waits for its completion, which must be a success.
template <class Sink>
void run_job(Sink& sink, std::function<void(Conn&)> job) {
    std::promise<void> done;
    civic::store::WriteJob w{std::move(job), [&](std::exception_ptr e) {
                                 EXPECT_FALSE(e);
                                 done.set_value();
                             }};
    if constexpr (requires { sink.enqueue(std::move(w)); })
        sink.enqueue(std::move(w));
    else
        sink.write(std::move(w));
    done.get_future().wait();
}

// Eight clients, each writing a page of table t a job and waiting for it: small batches back to
// back, `pages` frames in all (and a few of the table's own).
void write_pages(Writer& writer, int pages) {
    constexpr int kClients = 8;
    std::vector<std::thread> clients;
    for (int i = 0; i < kClients; ++i)
        clients.emplace_back([&] {
            for (int j = 0; j < pages / kClients; ++j)
                run_job(writer, [](Conn& c) { c.exec("INSERT INTO t VALUES (randomblob(3500))"); });
        });
    for (auto& t : clients) t.join();
}

TEST(Writer, BatchesQueuedJobsIntoOneCommit) {
    TempDb db;
    Writer writer(db.path);
    std::promise<void> made;
    writer.enqueue({[](Conn& c) { c.exec("CREATE TABLE t (v INTEGER UNIQUE)"); },
                    [&](std::exception_ptr e) {
                        EXPECT_FALSE(e);
                        made.set_value();
                    }});
    made.get_future().wait();

    // Hold the writer inside a job while 50 more are queued: they must commit together.
    std::latch release(1);
    std::promise<void> blocker_running;
    writer.enqueue({[&](Conn&) {
                        blocker_running.set_value();
                        release.wait();
                    },
                    [](std::exception_ptr) {}});
    blocker_running.get_future().wait();
    const auto batches_before = writer.stats().batches.load();
    constexpr int kJobs = 50;
    std::vector<std::promise<std::int64_t>> seen(kJobs);
    for (int i = 0; i < kJobs; ++i) {
        writer.enqueue({[i](Conn& c) { c.query("INSERT INTO t (v) VALUES (?)").args(i).run(); },
                        [&, i](std::exception_ptr e) {
                            EXPECT_FALSE(e);
                            // Acknowledged only after COMMIT: another connection already sees the row.
                            seen[static_cast<std::size_t>(i)].set_value(count_rows(db.path));
                        }});
    }
    release.count_down();
    for (auto& s : seen) EXPECT_EQ(s.get_future().get(), kJobs);
    EXPECT_EQ(writer.stats().batches.load() - batches_before, 2);  // the blocker's batch + one for all 50
    EXPECT_EQ(writer.stats().last_batch_size.load(), kJobs);
}

// Transaction control runs from kept prepared statements (SqliteBackend::exec): the same
// outcomes and errors as sqlite3_exec gave, every time the same text comes back.
TEST(Conn, TransactionControlKeepsItsOutcomesAndErrors) {
    TempDb tmp;
    Conn conn(tmp.path, Conn::Mode::read_write);
    conn.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)");
    for (int round = 0; round < 3; ++round) {
        conn.exec("BEGIN IMMEDIATE");
        conn.exec("SAVEPOINT job");
        conn.query("INSERT INTO t (v) VALUES (?)").args(round).run();
        conn.exec("RELEASE job");
        conn.exec("SAVEPOINT job");
        conn.query("INSERT INTO t (v) VALUES (?)").args(100 + round).run();
        conn.exec("ROLLBACK TO job; RELEASE job");  // several statements: sqlite3_exec
        conn.exec("COMMIT");
    }
    EXPECT_EQ(count_rows(tmp.path), 3);
    try {
        conn.exec("RELEASE nowhere");
        FAIL() << "released a savepoint that does not exist";
    } catch (const civic::store::DbError& e) {
        EXPECT_NE(std::string(e.what()).find("no such savepoint"), std::string::npos) << e.what();
    }
    EXPECT_THROW(conn.exec("COMMIT"), civic::store::DbError);  // no transaction
    conn.exec("BEGIN");                                        // the connection is still usable
    conn.exec("ROLLBACK");
}

TEST(Writer, AFailingJobRollsBackAlone) {
    TempDb db;
    Writer writer(db.path);
    std::latch release(1);
    std::promise<void> running;
    writer.enqueue({[&](Conn& c) {
                        c.exec("CREATE TABLE t (v INTEGER UNIQUE)");
                        running.set_value();
                        release.wait();
                    },
                    [](std::exception_ptr) {}});
    running.get_future().wait();
    std::promise<bool> ok1, failed, ok2;
    writer.enqueue(
        {[](Conn& c) { c.exec("INSERT INTO t VALUES (1)"); }, [&](std::exception_ptr e) { ok1.set_value(!e); }});
    writer.enqueue({[](Conn& c) {
                        c.exec("INSERT INTO t VALUES (2)");
                        throw std::runtime_error("domain rule broken");  // after writing: must be undone
                    },
                    [&](std::exception_ptr e) { failed.set_value(e != nullptr); }});
    writer.enqueue(
        {[](Conn& c) { c.exec("INSERT INTO t VALUES (3)"); }, [&](std::exception_ptr e) { ok2.set_value(!e); }});
    release.count_down();
    EXPECT_TRUE(ok1.get_future().get());
    EXPECT_TRUE(failed.get_future().get());
    EXPECT_TRUE(ok2.get_future().get());
    Conn reader(db.path, Conn::Mode::read_only);
    auto q = reader.query("SELECT group_concat(v) FROM (SELECT v FROM t ORDER BY v)");
    q.next();
    EXPECT_EQ(q.text(0), "1,3");
}

TEST(Writer, ConstraintViolationIsReportedToItsJob) {
    TempDb db;
    Writer writer(db.path);
    std::promise<std::exception_ptr> outcome;
    writer.enqueue({[](Conn& c) { c.exec("CREATE TABLE t (v INTEGER UNIQUE); INSERT INTO t VALUES (1)"); },
                    [](std::exception_ptr) {}});
    writer.enqueue(
        {[](Conn& c) { c.exec("INSERT INTO t VALUES (1)"); }, [&](std::exception_ptr e) { outcome.set_value(e); }});
    auto e = outcome.get_future().get();
    ASSERT_TRUE(e);
    try {
        std::rethrow_exception(e);
    } catch (const civic::store::DbError& err) {
        EXPECT_TRUE(err.constraint_unique());
    }
}

// A job's savepoint journal (SQLite's sub-journal: the pages the job changed, as they were before
// it) stays in memory up to kStatementJournalSpillBytes. SQLite's default spills it to a temporary
// file past 64 KiB, which an ordinary job passes: one file created and deleted per batch, on the
// writer thread (docs/performance.md, "The writer's temporary files").
std::size_t open_sqlite_temp_files() {
    std::size_t n = 0;
    for (const auto& fd : std::filesystem::directory_iterator("/proc/self/fd")) {
        std::error_code ec;
        const auto target = std::filesystem::read_symlink(fd.path(), ec).string();
        if (!ec && target.find("etilqs_") != std::string::npos) ++n;
    }
    return n;
}

TEST(Writer, AJobsSavepointJournalStaysInMemory) {
    TempDb db;
    Writer writer(db.path);
    // ~75 pages of rows, committed: a job that rewrites them all journals ~300 KB of old pages.
    run_job(writer, [](Conn& c) {
        c.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
        for (int i = 0; i < 300; ++i) c.query("INSERT INTO t (v) VALUES (zeroblob(1000))").run();
    });
    std::size_t during = 99;
    run_job(writer, [&](Conn& c) {
        c.exec("UPDATE t SET v = randomblob(1000)");
        during = open_sqlite_temp_files();  // the sub-journal's file would be open until COMMIT
    });
    EXPECT_EQ(during, 0u);
}

TEST(Writer, StopDrainsTheQueue) {
    TempDb db;
    std::atomic<int> done{0};
    {
        Writer writer(db.path);
        writer.enqueue({[](Conn& c) { c.exec("CREATE TABLE t (v INTEGER)"); }, [&](std::exception_ptr) { ++done; }});
        for (int i = 0; i < 100; ++i)
            writer.enqueue({[i](Conn& c) { c.query("INSERT INTO t VALUES (?)").args(i).run(); },
                            [&](std::exception_ptr e) {
                                EXPECT_FALSE(e);
                                ++done;
                            }});
        writer.stop();
    }
    EXPECT_EQ(done.load(), 101);
    EXPECT_EQ(count_rows(db.path), 100);
}

// The writer's commits only append to the WAL; the background checkpointer copies the frames
// into the database file (SQLite would otherwise do it inside the committing COMMIT).
TEST(Writer, CheckpointsRunOnTheirOwnThread) {
    TempDb db;
    Writer writer(db.path);
    std::promise<void> written;
    writer.enqueue({[](Conn& c) {
                        c.exec("CREATE TABLE t (b BLOB)");
                        c.exec("INSERT INTO t VALUES (randomblob(8388608))");  // ≈ 2,050 pages
                    },
                    [&](std::exception_ptr e) {
                        EXPECT_FALSE(e);
                        written.set_value();
                    }});
    written.get_future().wait();
    // Wait for the event itself (no deadline is asserted; ctest's timeout bounds a hang).
    while (writer.checkpointer().completed() == 0) std::this_thread::yield();
    EXPECT_GE(std::filesystem::file_size(db.path), 8u << 20);  // the pages are in the main file
    EXPECT_EQ(writer.stats().batches.load(), 1);               // and the writer did nothing more
    EXPECT_EQ(count_rows(db.path), 1);
}

// Under steady writes the checkpointer never finds the WAL fully copied at a transaction's start,
// so the WAL never started over and grew with every commit. The writer now copies the tail
// itself once the WAL holds kRestartFrames, and the WAL starts over: it stays bounded.
TEST(Writer, TheWalStartsOverUnderSteadyWrites) {
    TempDb db;
    Writer writer(db.path);
    run_job(writer, [](Conn& c) { c.exec("CREATE TABLE t (b BLOB)"); });
    constexpr int kPages = 6 * Writer::kRestartFrames;
    write_pages(writer, kPages);
    const auto& stats = writer.stats();
    // Bounded: without the change the WAL reached 32,197 frames here. Whether the writer or the
    // checkpointer started it over depends on this machine's load (a busy full scripts/test run
    // once saw the checkpointer keep up); the writer's own part is the next test's.
    EXPECT_LT(stats.max_wal_frames.load(), 2 * Writer::kRestartFrames);
    Conn reader(db.path, Conn::Mode::read_only);
    auto q = reader.query("SELECT count(*) FROM t");
    q.next();
    EXPECT_EQ(q.int64(0), kPages);
}

// The writer's own part, without timing: one batch past kRestartFrames leaves the checkpointer
// asleep (it is woken only below), so the writer copies the tail and restarts the WAL itself, and
// the next batch's commit finds it short again.
TEST(Writer, ABatchPastTheRestartSizeStartsTheWalOverItself) {
    TempDb db;
    Writer writer(db.path);
    run_job(writer, [](Conn& c) { c.exec("CREATE TABLE t (b BLOB)"); });
    run_job(writer, [](Conn& c) {
        for (int i = 0; i < Writer::kRestartFrames + 500; ++i) c.exec("INSERT INTO t VALUES (randomblob(3500))");
    });
    // The tail checkpoint runs after the batch's answers: the next job's batch starts after it.
    run_job(writer, [](Conn& c) { c.exec("INSERT INTO t VALUES (1)"); });
    const auto& stats = writer.stats();
    EXPECT_GE(stats.max_wal_frames.load(), Writer::kRestartFrames);
    EXPECT_EQ(stats.tail_checkpoints.load(), 1);
    EXPECT_EQ(stats.tail_checkpoints_busy.load(), 0);
    EXPECT_EQ(writer.checkpointer().completed(), 0);
    EXPECT_LT(stats.wal_frames.load(), 10);  // the WAL started over at that batch's BEGIN
}

// A read that outlasts many batches (a backup, a year's statistics) keeps its snapshot in the WAL,
// so the WAL cannot start over until it ends. The writer's attempts, each of which waits for
// that reader a little, are then spaced by kWakeFrames: a few, not one per batch. Once the read
// ends, the next attempt succeeds and the WAL starts over.
TEST(Writer, ALongReadDefersTheWalsRestartWithoutAWaitPerBatch) {
    TempDb db;
    Writer writer(db.path);
    run_job(writer, [](Conn& c) { c.exec("CREATE TABLE t (b BLOB)"); });
    Conn reader(db.path, Conn::Mode::read_only);
    reader.exec("BEGIN");
    {
        auto q = reader.query("SELECT count(*) FROM t");  // the snapshot is taken here, held to COMMIT
        ASSERT_TRUE(q.next());
    }
    write_pages(writer, 3 * Writer::kRestartFrames);
    const auto& stats = writer.stats();
    EXPECT_EQ(stats.tail_checkpoints.load(), 0);
    EXPECT_GT(stats.tail_checkpoints_busy.load(), 0);
    // ≈ 3 x kRestartFrames frames, the first attempt at kRestartFrames: at most one per kWakeFrames.
    EXPECT_LE(stats.tail_checkpoints_busy.load(),
              (stats.max_wal_frames.load() - Writer::kRestartFrames) / civic::store::Checkpointer::kWakeFrames + 1);
    EXPECT_GE(stats.wal_frames.load(), 3 * Writer::kRestartFrames);  // it could not start over

    reader.exec("COMMIT");
    write_pages(writer, 2 * civic::store::Checkpointer::kWakeFrames);
    EXPECT_GT(stats.tail_checkpoints.load(), 0);
    EXPECT_LT(stats.wal_frames.load(), Writer::kRestartFrames);
}

TEST(Database, CoroutinesAwaitWritesAndReads) {
    TempDb tmp;
    boost::asio::thread_pool pool(2);
    civic::store::Database db({tmp.path, 2}, pool);
    boost::asio::io_context ioc;
    std::int64_t read_back = -1;
    bool threw = false;
    boost::asio::co_spawn(
        ioc,
        [&]() -> boost::asio::awaitable<void> {
            co_await db.write([](Conn& c) { c.exec("CREATE TABLE t (v INTEGER UNIQUE)"); });
            const auto id = co_await db.write(
                [](Conn& c) { return c.query("INSERT INTO t VALUES (7) RETURNING rowid").run_returning_id(); });
            EXPECT_EQ(id, 1);
            try {
                co_await db.write([](Conn& c) { c.exec("INSERT INTO t VALUES (7)"); });
            } catch (const civic::store::DbError& e) {
                threw = e.constraint_unique();
            }
            read_back = co_await db.read([](Conn& c) {
                auto q = c.query("SELECT v FROM t");
                q.next();
                return q.int64(0);
            });
        },
        boost::asio::detached);
    ioc.run();
    EXPECT_TRUE(threw);
    EXPECT_EQ(read_back, 7);
}

// A read job sees one snapshot, as PostgreSQL's REPEATABLE READ read jobs do: a commit made by
// the writer while the job runs (between its two queries) is seen by neither query, so a view
// never pairs a ticket's row with events of another commit. The next job sees it.
TEST(Database, AReadJobSeesOneSnapshot) {
    TempDb tmp;
    boost::asio::thread_pool pool(1);
    civic::store::Database db({tmp.path, 1}, pool);
    auto& engine = db.engine();
    const auto commit = [&](std::string sql) { run_job(engine, [sql](Conn& c) { c.exec(sql); }); };
    const auto value = [](Conn& c) {
        auto q = c.query("SELECT v FROM t");
        EXPECT_TRUE(q.next());
        return q.int64(0);
    };
    commit("CREATE TABLE t (v INTEGER); INSERT INTO t VALUES (1)");
    std::int64_t first = 0, second = 0, next_job = 0;
    engine.read([&](Conn& c) {
        first = value(c);
        commit("UPDATE t SET v = 2");
        second = value(c);
    });
    engine.read([&](Conn& c) { next_job = value(c); });
    EXPECT_EQ(first, 1);
    EXPECT_EQ(second, 1);
    EXPECT_EQ(next_job, 2);

    // A job that throws ends its read transaction too: the pooled connection it gives back does
    // not keep serving the old snapshot.
    EXPECT_THROW(engine.read([&](Conn& c) {
        value(c);
        throw std::runtime_error("the job's own failure");
    }),
                 std::runtime_error);
    commit("UPDATE t SET v = 3");
    engine.read([&](Conn& c) { next_job = value(c); });
    EXPECT_EQ(next_job, 3);
}

TEST(Migrations, ApplyInOrderAndRecordTheVersion) {
    TempDb tmp;
    Conn conn(tmp.path, Conn::Mode::read_write);
    const int version = civic::store::migrate(conn);
    EXPECT_EQ(version, static_cast<int>(civic::store::migrations().size()));
    auto q = conn.query("PRAGMA user_version");
    q.next();
    EXPECT_EQ(q.int64(0), version);
    EXPECT_EQ(civic::store::migrate(conn), version);  // idempotent
}

// 008 moves 006's one media_url per report into a table of up to six, keeps what partners sent
// before, and leaves earlier reports placed and earlier keys on open/closed.
TEST(Migrations, Open311UpdatesKeepWhatEarlierVersionsStored) {
    TempDb tmp;
    Conn conn(tmp.path, Conn::Mode::read_write);
    const auto& all = civic::store::migrations();
    ASSERT_EQ(migrate_before(conn, "008"), 7u);
    conn.exec(
        "INSERT INTO users (id, phone, password_hash, display_name, role, created_at) "
        "VALUES (1, 'open311-partner:x', '!', 'P', 'resident', 0);"
        "INSERT INTO categories (code, name, sla_hours, points_on_accept, points_on_close, created_at) "
        "VALUES ('c', 'c', 1, 0, 0, 0);"
        "INSERT INTO open311_partners (id, name, key_hash, user_id, created_at) VALUES (1, 'P', x'00', 1, 0);"
        "INSERT INTO reports (id, status, category, description, lat, lon, reporter_id, created_at, updated_at) "
        "VALUES (5, 'submitted', 'c', 'd', 23.3, 103.3, 1, 0, 0);"
        "INSERT INTO open311_media_urls (report_id, url) VALUES (5, 'https://partner.example/5.jpg');");
    EXPECT_EQ(civic::store::migrate(conn), static_cast<int>(all.size()));
    auto media = conn.query("SELECT report_id, position, url FROM open311_report_media");
    ASSERT_TRUE(media.next());
    EXPECT_EQ(media.int64(0), 5);
    EXPECT_EQ(media.int64(1), 0);
    EXPECT_EQ(media.text(2), "https://partner.example/5.jpg");
    EXPECT_FALSE(media.next());
    auto located = conn.query("SELECT located FROM reports WHERE id = 5");
    ASSERT_TRUE(located.next());
    EXPECT_EQ(located.int64(0), 1);
    auto extended = conn.query("SELECT extended_statuses FROM open311_partners WHERE id = 1");
    ASSERT_TRUE(extended.next());
    EXPECT_EQ(extended.int64(0), 0);
    auto old = conn.query("SELECT count(*) FROM sqlite_master WHERE name = 'open311_media_urls'");
    ASSERT_TRUE(old.next());
    EXPECT_EQ(old.int64(0), 0);
}

// 016 rebuilds the open reports' R*Tree with their creation time as a third dimension, 022 in
// the store's units (store::open_point_time): every point indexed before them is still found,
// and only within its time window.
TEST(Migrations, OpenReportPointsKeepTheirReportsAndGainTheirTime) {
    TempDb tmp;
    Conn conn(tmp.path, Conn::Mode::read_write);
    const auto& all = civic::store::migrations();
    migrate_before(conn, "016");
    // 2026-01-01, where 32-bit floats step by 18 s in the store's units (by 128 s in seconds)
    constexpr std::int64_t kCreated = 1'767'225'600;
    conn.exec(civic::test::one_open_report_sql(5, kCreated) +
              "INSERT INTO open_report_points (id, min_lon, max_lon, min_lat, max_lat) "
              "VALUES (5, 103.3, 103.3, 23.3, 23.3);");
    EXPECT_EQ(civic::store::migrate(conn), static_cast<int>(all.size()));
    {  // since 022 in the store's units, rounded outwards to the R*Tree's 32-bit floats
        auto t = conn.query("SELECT min_created, max_created FROM open_report_points WHERE id = 5");
        ASSERT_TRUE(t.next());
        EXPECT_LE(t.real(0), civic::store::open_point_time(kCreated));
        EXPECT_GE(t.real(1), civic::store::open_point_time(kCreated));
        EXPECT_LT(t.real(1) - t.real(0),
                  civic::store::open_point_time(kCreated + 60) - civic::store::open_point_time(kCreated));
    }
    auto found = [&](std::int64_t since, std::int64_t until) {
        std::vector<std::int64_t> ids;
        for (const auto& r : civic::store::open_reports_in_box(conn, "c", 103.29, 23.29, 103.31, 23.31, since, until))
            ids.push_back(r.id);
        return ids;
    };
    EXPECT_EQ(found(kCreated - 10, kCreated + 10), std::vector<std::int64_t>{5});
    EXPECT_EQ(found(kCreated, kCreated), std::vector<std::int64_t>{5});  // both ends inclusive
    // Within the R*Tree's rounding but outside the window: the row's exact time decides.
    EXPECT_TRUE(found(kCreated + 1, kCreated + 100).empty());
    EXPECT_TRUE(found(kCreated - 100, kCreated - 1).empty());
    EXPECT_TRUE(found(kCreated + 86'400, kCreated + 2 * 86'400).empty());

    // A report indexed after the migration carries its time the same way.
    conn.exec(
        "INSERT INTO reports (id, status, category, description, lat, lon, reporter_id, created_at, updated_at) "
        "VALUES (6, 'submitted', 'c', 'd', 23.3, 103.3, 1, " +
        std::to_string(kCreated + 3600) + ", 0)");
    civic::store::ReportRow six;
    six.id = 6;
    six.category = "c";
    six.lon = 103.3;
    six.lat = 23.3;
    six.created_at = kCreated + 3600;
    civic::store::index_open_report(conn, six);
    EXPECT_EQ(found(kCreated, kCreated + 3600), (std::vector<std::int64_t>{5, 6}));
    EXPECT_EQ(found(kCreated + 1, kCreated + 7200), std::vector<std::int64_t>{6});
}

// 023 gives each point its report's category, exact time and place, and the category's key
// as a fourth axis, computed in SQL as store::category_point_key computes it: points indexed
// before it are found under their own category only, and `check` finds nothing to report.
TEST(Migrations, OpenReportPointsCarryTheirCategoryUnderTheStoresKey) {
    TempDb tmp;
    Conn conn(tmp.path, Conn::Mode::read_write);
    const auto& all = civic::store::migrations();
    migrate_before(conn, "023");
    constexpr std::int64_t kCreated = 1'767'225'600;
    const double t = civic::store::open_point_time(kCreated);
    conn.exec(civic::test::one_open_report_sql(5, kCreated) + civic::test::open_point_sql(5, t) +
              civic::test::varied_category_reports_sql(kCreated, t));
    EXPECT_EQ(civic::store::migrate(conn), static_cast<int>(all.size()));

    EXPECT_EQ(civic::store::open_point_mismatches(conn), std::vector<std::string>{});
    const auto& codes = civic::test::varied_category_codes();
    for (std::size_t i = 0; i < codes.size(); ++i) {
        const auto found =
            civic::store::open_reports_in_box(conn, codes[i], 103.29, 23.29, 103.31, 23.31, kCreated, kCreated);
        ASSERT_EQ(found.size(), 1u) << codes[i];
        EXPECT_EQ(found[0].id, static_cast<std::int64_t>(100 + i));
        EXPECT_EQ(found[0].lon, 103.3);  // the exact double, not the R*Tree's rounded float
        EXPECT_EQ(found[0].lat, 23.3);
    }
    {  // a statement still reading an R*Tree keeps it from being written
        auto key = conn.query("SELECT min_category_key, max_category_key FROM open_report_points WHERE id = 100");
        ASSERT_TRUE(key.next());
        EXPECT_EQ(key.real(0), static_cast<double>(civic::store::category_point_key(codes[0])));
        EXPECT_EQ(key.real(1), key.real(0) + 1);
    }

    // A point whose copy drifted from its report, whose report is gone, that is filed under
    // another key, or an open located report without a point, is reported. A rejected report
    // without a point is not.
    conn.exec("UPDATE reports SET category = 'c' WHERE id = 100");
    conn.exec("UPDATE open_report_points SET min_category_key = 7, max_category_key = 8 WHERE id = 101");
    conn.exec("DELETE FROM open_report_points WHERE id IN (102, 103)");
    conn.exec("UPDATE reports SET status = 'rejected' WHERE id = 103");
    conn.exec(
        "INSERT INTO open_report_points (id, min_lon, max_lon, min_lat, max_lat, min_created, max_created, "
        "min_category_key, max_category_key, category, created_at, lon, lat) "
        "SELECT 999, min_lon, max_lon, min_lat, max_lat, min_created, max_created, min_category_key, "
        "max_category_key, category, created_at, lon, lat FROM open_report_points WHERE id = 104");
    const auto problems = civic::store::open_point_mismatches(conn);
    ASSERT_EQ(problems.size(), 4u) << testing::PrintToString(problems);
    EXPECT_NE(problems[0].find("report 100 "), std::string::npos) << problems[0];
    EXPECT_NE(problems[1].find("report 999 "), std::string::npos) << problems[1];  // no such report
    EXPECT_NE(problems[2].find("category road.pothole-2"), std::string::npos) << problems[2];
    EXPECT_NE(problems[3].find("report 102 has no"), std::string::npos) << problems[3];
}

// The key keeps to 22 bits, so that key + 0.5 is exact in a 32-bit float; codes spread over it.
TEST(OpenPoints, CategoryKeysAreBoundedAndSpread) {
    std::set<std::int64_t> keys;
    for (const auto& code : {"a", "b", "road", "roads", "t-manhole", "t_manhole", "lamp.broken", "zzzzzzzzzzzz"}) {
        const auto key = civic::store::category_point_key(code);
        EXPECT_GE(key, 0);
        EXPECT_LT(key, 1 << 22);
        EXPECT_EQ(static_cast<double>(static_cast<float>(key + 0.5)), key + 0.5);
        keys.insert(key);
    }
    EXPECT_EQ(keys.size(), 8u);
    EXPECT_LT(civic::store::category_point_key(std::string(64, 'z')), 1 << 22);
}

// SQLite evaluates `x IN (three or more constants)` through a temporary b-tree it builds each
// time a trigger runs (schema/018_triggers_without_constant_lists.sql); the triggers every write
// of a report fires compare instead.
TEST(Migrations, NoTriggerBuildsATemporaryTable) {
    TempDb tmp;
    Conn conn(tmp.path, Conn::Mode::read_write);
    civic::store::migrate(conn);
    const std::regex constant_list(R"(\bIN\s*\(\s*('[^']*'|[0-9]+)(\s*,\s*('[^']*'|[0-9]+)){2,}\s*\))",
                                   std::regex::icase);
    auto q = conn.query("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name");
    int triggers = 0;
    while (q.next()) {
        ++triggers;
        EXPECT_FALSE(std::regex_search(q.text(1), constant_list)) << q.text(0) << " tests against a list of constants";
    }
    EXPECT_GT(triggers, 10);
}

TEST(Migrations, RefuseADatabaseFromANewerBinary) {
    TempDb tmp;
    Conn conn(tmp.path, Conn::Mode::read_write);
    civic::store::migrate(conn);
    conn.exec("PRAGMA user_version = 999");
    EXPECT_THROW(civic::store::migrate(conn), civic::store::DbError);
}

}  // namespace
