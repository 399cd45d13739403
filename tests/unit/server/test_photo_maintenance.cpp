// The photo tools' rules (server/store/photo_maintenance.hpp, docs/photos.md §6) against an
// in-memory store, where every answer of the store can be chosen: the sweep removes only old
// objects no row names, keeps one whose time it cannot read, and removes nothing when the store
// fails under it; copy-photos refuses an original whose bytes do not hash to its name. The same
// tools against the real daemon, on files and on S3: tests/integration/test_photo_store.cpp.
#include "common/crypto.hpp"
#include "common/errors.hpp"
#include "server/store/photo_files.hpp"
#include "server/store/photo_maintenance.hpp"
#include "server/store/photo_store.hpp"
#include "server/store/sqlite.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>

#include <filesystem>
#include <fstream>
#include <map>

namespace {

namespace asio = boost::asio;
using namespace civic::store;

// Objects by name; `fail_*` make the next calls of that kind throw like an unreachable store.
class MemoryStore final : public PhotoStore {
public:
    std::map<std::string, std::pair<std::string, std::int64_t>> objects;  // name -> bytes, modified
    std::map<std::string, std::int64_t> stat_time;                        // modified seen by stat, if other
    bool fail_list = false, fail_stat = false, fail_remove = false;
    int removes = 0;

    asio::awaitable<void> put(const std::string& name, const std::string& bytes, const std::string&) override {
        objects[name] = {bytes, 1};
        co_return;
    }
    std::unique_ptr<StagedFile> stage() override {
        return std::make_unique<StagedFile>(std::filesystem::temp_directory_path());
    }
    asio::awaitable<void> put_staged(const std::string& name, StagedFile& staged) override {
        std::ifstream in(staged.path(), std::ios::binary);
        objects[name] = {std::string(std::istreambuf_iterator<char>(in), {}), 1};
        co_return;
    }
    asio::awaitable<std::optional<std::string>> get(const std::string& name, std::uint64_t) override {
        auto it = objects.find(name);
        co_return it == objects.end() ? std::nullopt : std::optional(it->second.first);
    }
    asio::awaitable<std::shared_ptr<PhotoReader>> open(const std::string&, std::uint64_t) override {
        ADD_FAILURE() << "the maintenance tools never stream";
        co_return nullptr;
    }
    asio::awaitable<std::optional<StoredObject>> stat(const std::string& name) override {
        if (fail_stat) throw civic::ApiError::unavailable(5, "down");
        auto it = objects.find(name);
        if (it == objects.end()) co_return std::nullopt;
        auto t = stat_time.count(name) ? stat_time[name] : it->second.second;
        co_return StoredObject{name, it->second.first.size(), t};
    }
    asio::awaitable<void> remove(const std::string& name) override {
        if (fail_remove) throw civic::ApiError::unavailable(5, "down");
        ++removes;
        objects.erase(name);
        co_return;
    }
    asio::awaitable<void> list(const std::function<void(const StoredObject&)>& each) override {
        if (fail_list) throw civic::ApiError::unavailable(5, "down");
        for (const auto& [name, o] : objects) each({name, o.first.size(), o.second});
        co_return;
    }
    asio::awaitable<void> check() override { co_return; }
    std::string describe() const override { return "memory"; }
};

template <class T>
T run(asio::awaitable<T> work) {
    asio::io_context io;
    std::optional<T> out;
    std::exception_ptr error;
    asio::co_spawn(io, std::move(work), [&](std::exception_ptr e, T value) {
        error = e;
        out = std::move(value);
    });
    io.run();
    if (error) std::rethrow_exception(error);
    return std::move(*out);
}

// A database whose photo_blobs name `shas` (the sweep reads nothing else).
struct BlobsDb {
    std::string dir, path;
    explicit BlobsDb(const std::vector<std::string>& shas) {
        char tmpl[] = "/tmp/civicsnap-sweep-XXXXXX";
        dir = ::mkdtemp(tmpl);
        path = dir + "/civicsnap.db";
        Conn conn(path, Conn::Mode::read_write);
        conn.exec("CREATE TABLE photo_blobs (sha256 TEXT PRIMARY KEY, format TEXT NOT NULL)");
        for (const auto& sha : shas) conn.exec("INSERT INTO photo_blobs VALUES ('" + sha + "', 'jpeg')");
    }
    ~BlobsDb() { std::filesystem::remove_all(dir); }
};

std::string sha_of(int i) { return civic::crypto::sha256_hex("photo " + std::to_string(i)); }

constexpr std::int64_t kNow = 1'800'000'000;
constexpr std::int64_t kHour = 3600;

TEST(SweepPhotos, RemovesOnlyOldUnnamedObjects) {
    MemoryStore store;
    store.objects[original_file_name(sha_of(1), "jpeg")] = {"named", kNow - 10 * kHour};
    store.objects[thumbnail_file_name(sha_of(1))] = {"named thumb", kNow - 10 * kHour};
    store.objects[original_file_name(sha_of(2), "jpeg")] = {"old orphan", kNow - 2 * kHour};
    store.objects[original_file_name(sha_of(3), "jpeg")] = {"young orphan", kNow - 60};
    BlobsDb db({sha_of(1)});
    const auto s = run(sweep_photos(store, db.path, kOrphanMinAgeSeconds, kNow));
    EXPECT_EQ(s.objects, 4);
    EXPECT_EQ(s.named, 2);
    EXPECT_EQ(s.young, 1);
    EXPECT_EQ(s.removed, 1);
    EXPECT_EQ(s.removed_bytes, 10);
    EXPECT_EQ(store.objects.count(original_file_name(sha_of(2), "jpeg")), 0u);
    EXPECT_EQ(store.objects.size(), 3u);
}

// Listed old, but uploaded again (refreshed) before the sweep came to it: kept.
TEST(SweepPhotos, ChecksTheAgeAgainJustBeforeRemoving) {
    MemoryStore store;
    const auto name = original_file_name(sha_of(2), "jpeg");
    store.objects[name] = {"orphan", kNow - 2 * kHour};
    store.stat_time[name] = kNow - 1;
    BlobsDb db({});
    const auto s = run(sweep_photos(store, db.path, kOrphanMinAgeSeconds, kNow));
    EXPECT_EQ(s.removed, 0);
    EXPECT_EQ(s.young, 1);
    EXPECT_EQ(store.removes, 0);
}

// A store whose times we cannot read (0: no Last-Modified, or one in a format we do not parse)
// would otherwise make every orphan look 56 years old, fresh uploads included.
TEST(SweepPhotos, NeverRemovesAnObjectWhoseTimeIsUnknown) {
    MemoryStore store;
    store.objects[original_file_name(sha_of(2), "jpeg")] = {"orphan", 0};
    BlobsDb db({});
    for (const std::int64_t min_age : {kOrphanMinAgeSeconds, std::int64_t{0}}) {
        const auto s = run(sweep_photos(store, db.path, min_age, kNow));
        EXPECT_EQ(s.removed, 0) << min_age;
        EXPECT_EQ(s.young, 1) << min_age;
    }
    // Known in the listing, unknown when checked again: kept too.
    const auto name = original_file_name(sha_of(2), "jpeg");
    store.objects[name].second = kNow - 2 * kHour;
    store.stat_time[name] = 0;
    EXPECT_EQ(run(sweep_photos(store, db.path, kOrphanMinAgeSeconds, kNow)).removed, 0);
    EXPECT_EQ(store.removes, 0);
}

// An unreachable store stops the sweep with the store's error, before anything is removed.
TEST(SweepPhotos, UnreachableStoreRemovesNothing) {
    BlobsDb db({});
    for (int which = 0; which < 3; ++which) {
        MemoryStore store;
        store.objects[original_file_name(sha_of(2), "jpeg")] = {"orphan", kNow - 2 * kHour};
        store.fail_list = which == 0;
        store.fail_stat = which == 1;
        store.fail_remove = which == 2;
        EXPECT_THROW(run(sweep_photos(store, db.path, kOrphanMinAgeSeconds, kNow)), civic::ApiError) << which;
        EXPECT_EQ(store.objects.size(), 1u) << which;
    }
}

TEST(CopyPhotos, CopiesWhatIsMissingAndRefusesBytesThatDoNotMatchTheirName) {
    MemoryStore from, to;
    const std::string bytes = "a photo";
    const auto sha = civic::crypto::sha256_hex(bytes);
    from.objects[original_file_name(sha, "jpeg")] = {bytes, 1};
    from.objects[thumbnail_file_name(sha)] = {"its thumbnail", 1};
    auto s = run(copy_photos(from, to));
    EXPECT_EQ(s.copied, 2);
    EXPECT_EQ(to.objects.size(), 2u);
    s = run(copy_photos(from, to));  // resumed: nothing left
    EXPECT_EQ(s.copied, 0);
    EXPECT_EQ(s.present, 2);

    const auto bad = original_file_name(sha_of(9), "png");
    from.objects[bad] = {"not those bytes", 1};
    try {
        run(copy_photos(from, to));
        ADD_FAILURE() << "copied an object whose bytes do not match its name";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
    EXPECT_EQ(to.objects.count(bad), 0u);
}

TEST(PhotoKeys, NamesAndKeysMapOneToOne) {
    const auto name = original_file_name(sha_of(1), "png");
    const auto key = photo_key(name);
    EXPECT_EQ(key, sha_of(1).substr(0, 2) + "/" + sha_of(1).substr(2, 2) + "/" + name);
    EXPECT_EQ(photo_name_of_key(key), name);
    EXPECT_EQ(photo_name_of_key(photo_key(thumbnail_file_name(sha_of(1)))), thumbnail_file_name(sha_of(1)));
    // Foreign objects in a bucket, and names that are not content addresses.
    EXPECT_FALSE(photo_name_of_key("t/abc/" + name));
    EXPECT_FALSE(photo_name_of_key("ff/ff/" + name));
    EXPECT_FALSE(photo_name_of_key(key.substr(0, 6) + "x" + name.substr(1)));
    EXPECT_THROW(photo_key("../" + name), std::invalid_argument);
    EXPECT_THROW(photo_key(sha_of(1)), std::invalid_argument);                      // no extension
    EXPECT_THROW(photo_key(std::string(64, 'A') + ".jpg"), std::invalid_argument);  // upper case
    EXPECT_FALSE(is_photo_file_name(sha_of(1) + ".jpg/x"));
}

}  // namespace

TEST(PhotoStoreFailure, OnlyAStoreThatMayComeBackIsA503) {
    using civic::objstore::Errc;
    for (auto code : {Errc::unavailable, Errc::refused, Errc::no_such_bucket, Errc::bad_response}) {
        const auto e = civic::store::photo_store_failure(civic::objstore::Error{code, 503, "", "", 4});
        EXPECT_EQ(e.status(), 503) << civic::objstore::to_string(code);
    }
    // BadDigest and the like: the store refused the request itself; a retry cannot help.
    const auto rejected =
        civic::store::photo_store_failure(civic::objstore::Error{Errc::rejected, 400, "BadDigest", "", 1});
    EXPECT_EQ(rejected.status(), 500);
}
