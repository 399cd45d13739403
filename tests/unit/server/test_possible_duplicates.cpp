// possible_duplicates on SQLite: the open points held in memory answer as the R*Tree does, follow
// every change in commit order, and the cache never keeps an answer under an epoch newer than
// the snapshot it was read from.
#include "server/domain/possible_duplicates.hpp"
#include "server/store/database.hpp"
#include "server/store/migrations.hpp"
#include "server/store/reports_repo.hpp"
#include "server/store/sqlite.hpp"
#include "tests/support/scratch_dir.hpp"

#include <gtest/gtest.h>
#include <boost/asio/thread_pool.hpp>

#include <future>
#include <random>
#include <string>
#include <vector>

namespace {

using civic::domain::OpenPointsIndex;
using civic::domain::PossibleDuplicatesCache;
using civic::store::Conn;
using civic::store::ReportRow;

// A migrated database in WAL mode, as the daemon's writer leaves it (readers never block it),
// and that writer's connection.
struct MigratedDb {
    civic::test::ScratchDir dir;
    std::string path = dir.path + "/test.db";
    Conn writer{path, Conn::Mode::read_write};
    MigratedDb() {
        writer.exec("PRAGMA journal_mode = WAL");
        civic::store::migrate(writer);
    }
};

constexpr std::int64_t kStart = 1'767'225'600;  // 2026-01-01
const std::vector<std::string> kCategories{"road", "lamp", "t_manhole"};

// A place and time in a 1 km square over 30 days: dense enough that most searches find some.
ReportRow random_report(std::mt19937_64& rng, std::int64_t id, const std::string& category) {
    std::uniform_real_distribution<double> offset(0, 0.01);
    std::uniform_int_distribution<std::int64_t> when(0, 30 * 86'400);
    ReportRow r;
    r.id = id;
    r.category = category;
    r.lon = 103.30 + offset(rng);
    r.lat = 23.30 + offset(rng);
    r.created_at = kStart + when(rng);
    r.located = true;
    return r;
}

std::vector<std::int64_t> searched(OpenPointsIndex& index, Conn& conn, const ReportRow& r, std::uint64_t epoch) {
    std::vector<std::int64_t> ids;
    EXPECT_TRUE(index.search(conn, r, epoch, ids));
    return ids;
}

// Every probe answered from memory as the R*Tree query answers it, for each category (and one
// with no open report), after the first load and after each kind of change.
// `epoch`: as the daemon's would be after the changes made so far.
void expect_same_answers(OpenPointsIndex& index, Conn& reader, std::mt19937_64& rng, std::int64_t max_id,
                         std::uint64_t epoch) {
    std::uniform_int_distribution<std::int64_t> any_id(1, max_id);
    std::uniform_int_distribution<std::size_t> any_category(0, kCategories.size());
    std::size_t found = 0;
    for (int i = 0; i < 400; ++i) {
        const auto c = any_category(rng);
        const auto probe = random_report(rng, any_id(rng), c < kCategories.size() ? kCategories[c] : "none");
        const auto from_table = civic::domain::find_possible_duplicates(reader, probe);
        ASSERT_EQ(searched(index, reader, probe, epoch), from_table) << "probe " << i;
        found += from_table.size();
    }
    EXPECT_GT(found, 400u);  // the probes met points, not only empty boxes
}

TEST(OpenPointsIndex, AnswersAsTheRtreeDoesThroughEveryChange) {
    MigratedDb db;
    auto& writer = db.writer;
    std::mt19937_64 rng(18);
    std::uniform_int_distribution<std::size_t> any_category(0, kCategories.size() - 1);
    std::int64_t next_id = 1;
    writer.exec("BEGIN");
    for (; next_id <= 3000; ++next_id)
        civic::store::index_open_report(writer, random_report(rng, next_id, kCategories[any_category(rng)]));
    writer.exec("COMMIT");

    Conn reader(db.path, Conn::Mode::read_only);
    OpenPointsIndex index;
    std::uint64_t epoch = 1;
    expect_same_answers(index, reader, rng, next_id, epoch);
    EXPECT_EQ(index.size(), 3000u);
    EXPECT_EQ(index.loads(), 1);

    // Closed, re-categorised and new reports, in one commit and then in another: caught up from
    // the logged changes, not loaded again.
    std::uniform_int_distribution<std::int64_t> any_open(1, 3000);
    for (int round = 0; round < 2; ++round) {
        writer.exec("BEGIN");
        for (int i = 0; i < 300; ++i) civic::store::unindex_open_report(writer, any_open(rng));
        for (int i = 0; i < 200; ++i)
            civic::store::recategorise_open_report(writer, any_open(rng), kCategories[any_category(rng)]);
        for (int i = 0; i < 300; ++i, ++next_id)
            civic::store::index_open_report(writer, random_report(rng, next_id, kCategories[any_category(rng)]));
        writer.exec("COMMIT");
        expect_same_answers(index, reader, rng, next_id, ++epoch);
    }
    EXPECT_EQ(index.loads(), 1);
    {  // scoped: a statement left open would hold the reader's snapshot
        auto count = reader.query("SELECT count(*) FROM open_report_points");
        ASSERT_TRUE(count.next());
        EXPECT_EQ(index.size(), static_cast<std::size_t>(count.int64(0)));
    }

    // A change rolled back was never logged: nothing to follow.
    writer.exec("BEGIN");
    civic::store::unindex_open_report(writer, 3001);
    writer.exec("ROLLBACK");
    expect_same_answers(index, reader, rng, next_id, epoch);

    // Changes it had not applied were pruned (as the store prunes past kKeptOpenPointChanges):
    // it loads every point again.
    writer.exec("BEGIN");
    for (int i = 0; i < 50; ++i) civic::store::unindex_open_report(writer, any_open(rng));
    writer.exec("COMMIT");
    writer.exec("DELETE FROM open_point_changes WHERE seq < (SELECT max(seq) FROM open_point_changes)");
    expect_same_answers(index, reader, rng, next_id, ++epoch);
    EXPECT_EQ(index.loads(), 2);
}

// A reader whose snapshot is older than the copy (another reader brought it further) answers
// from the newer copy; one with a newer epoch brings it up to its snapshot first. Until the
// epoch moves, the log is not read: a change the epoch does not count yet is not looked for.
TEST(OpenPointsIndex, FollowsTheNewestSnapshotItWasShown) {
    MigratedDb db;
    auto& writer = db.writer;
    std::mt19937_64 rng(7);
    auto a = random_report(rng, 1, "road");
    auto b = a;
    b.id = 2;
    b.lon += 0.0001;  // ~10 m east
    civic::store::index_open_report(writer, a);

    OpenPointsIndex index;
    Conn old_reader(db.path, Conn::Mode::read_only), new_reader(db.path, Conn::Mode::read_only);
    old_reader.exec("BEGIN");
    EXPECT_EQ(searched(index, old_reader, b, 1), std::vector<std::int64_t>{1});
    civic::store::index_open_report(writer, b);  // committed; the daemon's epoch would move to 2 after it
    EXPECT_EQ(searched(index, new_reader, a, 1), std::vector<std::int64_t>{});  // epoch 1: not looked for
    EXPECT_EQ(searched(index, new_reader, a, 2), std::vector<std::int64_t>{2});
    EXPECT_EQ(searched(index, old_reader, a, 1), std::vector<std::int64_t>{2});  // the copy is newer
    old_reader.exec("COMMIT");
    EXPECT_EQ(index.loads(), 1);
}

// Past its limit the copy is dropped, and a search box of too many cells is left too: the
// caller searches the R*Tree, as before the copy existed.
TEST(OpenPointsIndex, PastItsLimitLeavesTheSearchToTheTable) {
    MigratedDb db;
    auto& writer = db.writer;
    std::mt19937_64 rng(3);
    for (std::int64_t id = 1; id <= 5; ++id) civic::store::index_open_report(writer, random_report(rng, id, "road"));
    OpenPointsIndex index(5);
    std::vector<std::int64_t> ids;
    EXPECT_TRUE(index.search(writer, random_report(rng, 9, "road"), 1, ids));
    EXPECT_EQ(index.size(), 5u);
    // A box of more cells than it looks at: at the antimeridian it spans every longitude.
    auto far_east = random_report(rng, 9, "road");
    far_east.lon = 179.99999;
    EXPECT_FALSE(index.search(writer, far_east, 1, ids));
    civic::store::index_open_report(writer, random_report(rng, 6, "road"));
    EXPECT_FALSE(index.search(writer, random_report(rng, 9, "road"), 2, ids));
    EXPECT_EQ(index.size(), 0u);
    EXPECT_TRUE(index.dropped());
}

// The store keeps the last kKeptOpenPointChanges rows of the log: each row it appends drops
// those that many behind it.
TEST(OpenPointChanges, TheStoreKeepsTheLastOnes) {
    MigratedDb db;
    constexpr auto kKept = civic::store::kKeptOpenPointChanges;
    db.writer.exec("INSERT INTO open_point_changes (seq, report_id) VALUES (1, 1), (" + std::to_string(kKept) +
                   ", 2), (" + std::to_string(kKept + 10) + ", 3)");
    civic::store::unindex_open_report(db.writer, 4);  // appended as kKept + 11
    auto q = db.writer.query("SELECT min(seq), max(seq), count(*) FROM open_point_changes");
    ASSERT_TRUE(q.next());
    EXPECT_EQ(q.int64(0), kKept);  // 1 and nothing else dropped: kKept + 11 - kKept = 11
    EXPECT_EQ(q.int64(1), kKept + 11);
    EXPECT_EQ(q.int64(2), 3);
}

// Runs one write job through the engine and waits for its commit.
void commit(civic::store::StorageEngine& engine, std::function<void(Conn&)> job) {
    std::promise<void> done;
    engine.write({std::move(job), [&](std::exception_ptr e) {
                      EXPECT_FALSE(e);
                      done.set_value();
                  }});
    done.get_future().wait();
}

std::string report_sql(std::int64_t id, double lon) {
    return "INSERT INTO reports (id, status, category, description, lat, lon, reporter_id, created_at, updated_at) "
           "VALUES (" +
           std::to_string(id) + ", 'submitted', 'road', 'd', 23.3, " + std::to_string(lon) + ", 1, " +
           std::to_string(kStart) + ", 0)";
}

// A read job's snapshot starts at its first query. A report committed after that, but before
// the cache is asked, moves the epoch: the answer (without it) must stay under the epoch taken
// before the job, so that the next job, at the new epoch, finds the new report.
TEST(PossibleDuplicatesCache, NeverKeepsAnAnswerUnderAnEpochNewerThanItsSnapshot) {
    civic::test::ScratchDir dir;
    boost::asio::thread_pool pool(1);
    civic::store::Database db({dir.path + "/test.db", 1}, pool);
    auto& engine = db.engine();
    engine.migrate();
    PossibleDuplicatesCache cache(engine);
    ASSERT_NE(cache.points(), nullptr);
    const auto add_report = [&](std::int64_t id, double lon) {
        commit(engine, [&](Conn& c) {
            c.exec(report_sql(id, lon));
            civic::store::index_open_report(c, *civic::store::find_report(c, id));
        });
    };
    commit(engine, [](Conn& c) {
        c.exec(
            "INSERT INTO users (id, phone, password_hash, display_name, role, created_at) "
            "VALUES (1, '13900000001', '!', 'R', 'resident', 0);"
            "INSERT INTO categories (code, name, sla_hours, points_on_accept, points_on_close, created_at) "
            "VALUES ('road', 'Road', 1, 0, 0, 0)");
    });
    add_report(1, 103.3);
    cache.warm(engine);  // as the daemon does at start
    EXPECT_EQ(cache.points()->size(), 1u);
    std::string metrics;
    cache.append_metrics(metrics);
    EXPECT_NE(metrics.find("\ncivicsnap_open_points_in_memory 1\n"), std::string::npos) << metrics;
    EXPECT_NE(metrics.find("\ncivicsnap_open_points_in_memory_dropped 0\n"), std::string::npos) << metrics;

    std::vector<std::int64_t> during, after;
    const auto before = cache.lookup();
    engine.read([&](Conn& c) {
        const auto a = civic::store::find_report(c, 1);  // the snapshot starts here
        add_report(2, 103.3001);                         // ~10 m away, committed now
        during = cache.of(c, *a, before.epoch);
    });
    const auto next = cache.lookup();
    EXPECT_NE(next.epoch, before.epoch);
    engine.read([&](Conn& c) { after = cache.of(c, *civic::store::find_report(c, 1), next.epoch); });
    EXPECT_EQ(during, std::vector<std::int64_t>{});
    EXPECT_EQ(after, std::vector<std::int64_t>{2});
    EXPECT_EQ(cache.points()->loads(), 1);  // warmed once, then followed the log
}

}  // namespace
