// The photo store's tools against the real daemon (docs/photos.md): `civicsnapd sweep-photos`
// removes orphans — objects no row names and older than --older-than — while the daemon
// serves, and never a named or a young one; `civicsnapd copy-photos` moves a city's store
// (resumable, SHA-256 checked) so that a daemon on the destination serves every photo.
// Run on files, and on S3 by the ctest entry integration_photos_s3 (CIVIC_TEST_PHOTOS=s3).
#include "common/crypto.hpp"
#include "ledger_support.hpp"
#include "support/s3_server.hpp"
#include "support/scratch_dir.hpp"
#include "ticket_city.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>

namespace civic::test {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The run's store (S3 bucket, or a file folder of `data_dir`), as --photos and environment.
std::string env_prefix() {
    if (!photos_on_s3()) return "";
    const auto& e = S3Server::shared()->endpoint();
    return "AWS_ACCESS_KEY_ID='" + e.access_key + "' AWS_SECRET_ACCESS_KEY='" + e.secret_key + "' ";
}

CommandResult tool(const std::string& args) { return run_command(env_prefix() + CIVICSNAPD_PATH + " " + args); }

std::int64_t count_in(const std::string& output, const std::string& what) {
    std::smatch m;
    if (!std::regex_search(output, m, std::regex("(\\d+) " + what))) return -1;
    return std::stoll(m[1]);
}

// Writes `bytes` as photo `name` into a file store at `dir` (ab/cd/<name>).
void put_file(const std::string& dir, const std::string& name, const std::string& bytes) {
    const auto path = fs::path(dir) / name.substr(0, 2) / name.substr(2, 2) / name;
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
}

std::string unique_jpeg() {
    static std::mt19937 rng{std::random_device{}()};
    return make_jpeg(40, 30, static_cast<int>(rng() % 1'000'000'000));
}

TEST(PhotoStore, SqliteSweepRemovesOnlyOldOrphansWhileTheDaemonServes) {
    Daemon d;
    TicketCity c(d);
    const auto report = c.submit(c.r1);
    const auto url = report["photos"][0]["url"].get<std::string>();
    const auto store = photos_on_s3() ? photo_store_arg() : "file:" + d.data_dir() + "/photos";

    // An orphan: bytes stored with no row naming them (a PUT whose report then failed to commit).
    const auto orphan = unique_jpeg();
    const auto orphan_name = crypto::sha256_hex(orphan) + ".jpg";
    ScratchDir source;
    put_file(source.path, orphan_name, orphan);
    auto copied = tool("copy-photos --from 'file:" + source.path + "' --to '" + store + "'");
    ASSERT_EQ(copied.exit_code, 0) << copied.output;
    ASSERT_EQ(count_in(copied.output, "copied"), 1) << copied.output;

    const auto sweep = "sweep-photos --data-dir '" + d.data_dir() + "' --photos '" + store + "'";
    auto young = tool(sweep);  // the default: only orphans older than an hour
    ASSERT_EQ(young.exit_code, 0) << young.output;
    EXPECT_EQ(count_in(young.output, "orphans removed"), 0) << young.output;
    EXPECT_GE(count_in(young.output, "unnamed but younger"), 1) << young.output;

    auto old = tool(sweep + " --older-than 0");
    ASSERT_EQ(old.exit_code, 0) << old.output;
    EXPECT_GE(count_in(old.output, "orphans removed"), 1) << old.output;
    EXPECT_GE(count_in(old.output, "named by rows"), 2) << old.output;  // the report's photo and thumbnail

    // The named photo and its thumbnail are still served; the orphan is gone (copying it again
    // finds nothing there).
    EXPECT_EQ(d.get(url, c.r1.token).status, 200);
    EXPECT_EQ(d.get(url + "?variant=thumb", c.r1.token).status, 200);
    auto again = tool("copy-photos --from 'file:" + source.path + "' --to '" + store + "'");
    EXPECT_EQ(count_in(again.output, "copied"), 1) << again.output;
    // And intake still works on the swept store.
    c.submit(c.r2);
}

// The sweep on either engine (--database: the daemon's own; the PostgreSQL pass runs it on
// PostgreSQL) with an orphan really an hour old: its file's time set back, as a failed intake's
// would be after an hour. The named photos are made as old and stay; a young orphan stays.
TEST(PhotoStore, SweepRemovesAnHourOldOrphanAndKeepsNamedAndYoungOnesOnEitherEngine) {
    ScratchDir dir;
    const auto folder = dir.path + "/photos";
    Daemon d(Daemon::Options{.data_dir = dir.path, .photos = "file:" + folder});
    TicketCity c(d);
    const auto report = c.submit(c.r1);
    const auto url = report["photos"][0]["url"].get<std::string>();
    const auto sha = report["photos"][0]["sha256"].get<std::string>();

    const auto old_orphan = unique_jpeg(), young_orphan = unique_jpeg();
    const auto old_name = crypto::sha256_hex(old_orphan) + ".jpg",
               young_name = crypto::sha256_hex(young_orphan) + ".jpg";
    put_file(folder, old_name, old_orphan);
    put_file(folder, young_name, young_orphan);
    const auto path_of = [&](const std::string& name) {
        return fs::path(folder) / name.substr(0, 2) / name.substr(2, 2) / name;
    };
    const auto two_hours_ago = fs::file_time_type::clock::now() - std::chrono::hours(2);
    fs::last_write_time(path_of(old_name), two_hours_ago);
    fs::last_write_time(path_of(sha + ".jpg"), two_hours_ago);  // named: kept whatever its age

    const auto database = database_for(d.data_dir());  // "" on SQLite: the data dir's file
    auto swept = tool("sweep-photos --data-dir '" + d.data_dir() + "' --photos 'file:" + folder + "'" +
                      (database.empty() ? "" : " --database '" + database + "'"));
    ASSERT_EQ(swept.exit_code, 0) << swept.output;
    EXPECT_EQ(count_in(swept.output, "orphans removed"), 1) << swept.output;
    EXPECT_EQ(count_in(swept.output, "unnamed but younger"), 1) << swept.output;
    EXPECT_EQ(count_in(swept.output, "named by rows"), 2) << swept.output;  // the photo and its thumbnail
    EXPECT_FALSE(fs::exists(path_of(old_name)));
    EXPECT_TRUE(fs::exists(path_of(young_name)));
    EXPECT_EQ(d.get(url, c.r1.token).status, 200);
    EXPECT_EQ(d.get(url + "?variant=thumb", c.r1.token).status, 200);
}

TEST(PhotoStore, CopyPhotosMovesACityResumablyAndChecksEveryHash) {
    ScratchDir data, target;
    const auto source_store = "file:" + data.path + "/photos";
    const auto target_store = photos_on_s3() ? photo_store_arg() : "file:" + target.path;
    std::vector<std::pair<std::string, std::string>> photos;  // url, sha256
    {
        Daemon d(Daemon::Options{.data_dir = data.path, .photos = source_store});
        TicketCity c(d);
        for (int i = 0; i < 3; ++i) {
            auto r = post_multipart(
                d, "/api/v1/reports",
                multipart({{"category", "t-garbage"}, {"description", "搬家"}, {"lat", 23.375}, {"lon", 103.375}},
                          {unique_jpeg()}),
                c.r1.token);
            ASSERT_EQ(r.status, 201) << r.body;
            photos.emplace_back(r.json()["photos"][0]["url"], r.json()["photos"][0]["sha256"]);
        }
        const auto copy = "copy-photos --from '" + source_store + "' --to '" + target_store + "'";
        auto first = tool(copy);  // while the daemon serves
        ASSERT_EQ(first.exit_code, 0) << first.output;
        EXPECT_EQ(count_in(first.output, "copied"), 6) << first.output;  // 3 originals + 3 thumbnails
        auto second = tool(copy);                                        // resumed: nothing left to do
        ASSERT_EQ(second.exit_code, 0) << second.output;
        EXPECT_EQ(count_in(second.output, "copied"), 0) << second.output;
        EXPECT_EQ(count_in(second.output, "already in"), 6) << second.output;

        // An object whose bytes do not match its name stops the copy with its name.
        const auto bad_name = crypto::sha256_hex(unique_jpeg()) + ".jpg";
        put_file(data.path + "/photos", bad_name, "not the bytes of that hash");
        auto bad = tool(copy);
        EXPECT_EQ(bad.exit_code, 1) << bad.output;
        EXPECT_NE(bad.output.find(bad_name), std::string::npos) << bad.output;
        fs::remove(fs::path(data.path) / "photos" / bad_name.substr(0, 2) / bad_name.substr(2, 2) / bad_name);
    }
    // The moved city: the same data dir, photos from the destination.
    fs::rename(fs::path(data.path) / "photos", fs::path(data.path) / "photos-old");
    Daemon moved(Daemon::Options{.data_dir = data.path, .photos = target_store});
    const auto manager = moved.login("13700000001", "staff-pass-1");  // TicketCity's m1
    for (const auto& [url, sha] : photos) {
        auto r = moved.get(url, manager);
        ASSERT_EQ(r.status, 200) << url << r.body;
        EXPECT_EQ(crypto::sha256_hex(r.body), sha);
        EXPECT_EQ(moved.get(url + "?variant=thumb", manager).status, 200);
    }
}

// `civicsnapd backup` of a city whose photos live outside its data dir: a folder elsewhere is
// copied into the backup, a bucket stays where it is and is checked; either way the restored
// daemon serves every photo, and a photo the database names but the store lacks fails the backup.
TEST(PhotoStore, SqliteBackupCopiesAPhotoFolderAndChecksABucket) {
    ScratchDir data, elsewhere, parent;
    const auto store = photos_on_s3() ? photo_store_arg() : "file:" + elsewhere.path;
    Daemon d(Daemon::Options{.data_dir = data.path, .photos = store});
    TicketCity c(d);
    const auto report = c.submit(c.r1);
    const auto url = report["photos"][0]["url"].get<std::string>();
    const auto sha = report["photos"][0]["sha256"].get<std::string>();

    const auto copy = parent.path + "/copy";
    auto backup = tool("backup --data-dir '" + data.path + "' --photos '" + store + "' --to '" + copy + "'");
    ASSERT_EQ(backup.exit_code, 0) << backup.output;
    EXPECT_EQ(count_in(backup.output, "referenced photos present"), 1) << backup.output;
    EXPECT_NE(backup.output.find("ledger invariants hold"), std::string::npos) << backup.output;
    if (photos_on_s3()) {
        EXPECT_NE(backup.output.find("photos stay in s3://"), std::string::npos) << backup.output;
        EXPECT_FALSE(fs::exists(copy + "/photos"));
    } else {
        EXPECT_TRUE(fs::exists(fs::path(copy) / "photos" / sha.substr(0, 2) / sha.substr(2, 2) / (sha + ".jpg")));
    }

    {  // The restore: the copied folder (the default --photos), or the same bucket.
        Daemon restored(Daemon::Options{.data_dir = copy, .photos = photos_on_s3() ? store : ""});
        const auto manager = restored.login("13700000001", "staff-pass-1");  // TicketCity's m1
        auto photo = restored.get(url, manager);
        ASSERT_EQ(photo.status, 200) << photo.body;
        EXPECT_EQ(crypto::sha256_hex(photo.body), sha);
        EXPECT_EQ(restored.get(url + "?variant=thumb", manager).status, 200);
    }

    if (photos_on_s3()) return;  // removing an object behind the daemon's back: the folder case
    fs::remove(fs::path(elsewhere.path) / sha.substr(0, 2) / sha.substr(2, 2) / (sha + ".jpg"));
    auto broken =
        tool("backup --data-dir '" + data.path + "' --photos '" + store + "' --to '" + parent.path + "/copy2'");
    EXPECT_EQ(broken.exit_code, 1) << broken.output;
    EXPECT_NE(broken.output.find("photo " + sha + ".jpg is referenced by the database but missing from file:" +
                                 parent.path + "/copy2/photos (1 missing in all)"),
              std::string::npos)
        << broken.output;
}

// Either tool against a store nobody answers: one line on stderr, exit 2, and nothing removed
// from the store that does answer.
TEST(PhotoStore, ToolsOnAnUnreachableStoreExit2AndTouchNothing) {
    ScratchDir dir;  // the data dir's own photo folder, whatever the run's store
    Daemon d(Daemon::Options{.data_dir = dir.path, .photos = "file:" + dir.path + "/photos"});
    TicketCity c(d);
    const auto url = c.submit(c.r1)["photos"][0]["url"].get<std::string>();
    const std::string nobody = "'s3://civic-test?endpoint=http://127.0.0.1:1' ";
    const std::string env = "AWS_ACCESS_KEY_ID=a AWS_SECRET_ACCESS_KEY=b ";
    const auto files = "'file:" + d.data_dir() + "/photos' ";
    std::vector<std::string> tools = {"copy-photos --from " + nobody + "--to " + files,
                                      "copy-photos --from " + files + "--to " + nobody};
    // sweep-photos reads the names from the daemon's database (either engine).
    const auto database = database_for(d.data_dir());
    tools.push_back("sweep-photos --data-dir '" + d.data_dir() + "' --older-than 0 --photos " + nobody +
                    (database.empty() ? "" : " --database '" + database + "'"));
    for (const auto& args : tools) {
        const auto r = run_command(env + CIVICSNAPD_PATH + " " + args);
        EXPECT_EQ(r.exit_code, 2) << args << r.output;
        EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
        EXPECT_NE(r.output.find("unavailable"), std::string::npos) << r.output;
    }
    EXPECT_EQ(d.get(url, c.r1.token).status, 200);
    EXPECT_EQ(d.get(url + "?variant=thumb", c.r1.token).status, 200);
}

}  // namespace
}  // namespace civic::test
