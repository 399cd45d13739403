#include "server/store/photo_maintenance.hpp"

#include "common/crypto.hpp"
#include "server/store/photo_files.hpp"
#include "server/store/sqlite.hpp"

#include <set>
#include <stdexcept>
#include <unordered_set>
#include <vector>

namespace civic::store {

namespace asio = boost::asio;

namespace {

std::set<std::string> named_photos(const std::string& db_path) {
    Conn conn(db_path, Conn::Mode::read_only);
    return named_photo_objects(conn);
}

bool is_original(const std::string& name) { return name.find(".thumb.") == std::string::npos; }

}  // namespace

std::set<std::string> named_photo_objects(Conn& conn) {
    std::set<std::string> names;
    in_snapshot(conn, [&] {
        auto q = conn.query("SELECT sha256, format FROM photo_blobs");
        while (q.next()) {
            const auto sha = q.text(0);
            names.insert(original_file_name(sha, q.text(1)));
            names.insert(thumbnail_file_name(sha));
        }
    });
    return names;
}

asio::awaitable<SweepSummary> sweep_photos(PhotoStore& photos, std::string db_path, std::int64_t min_age_seconds,
                                           std::int64_t now) {
    // A named reader, not a temporary in the co_await expression (GCC destroys such temporaries
    // of a coroutine call twice).
    const NamedPhotosReader read_names = [db_path] { return named_photos(db_path); };
    co_return co_await sweep_photos(photos, read_names, min_age_seconds, now);
}

asio::awaitable<SweepSummary> sweep_photos(PhotoStore& photos, const NamedPhotosReader& read_names,
                                           std::int64_t min_age_seconds, std::int64_t now) {
    SweepSummary s;
    // 1. What is stored, with its age. 2. What the rows name, read after the listing: an object
    // listed before its row committed is then named (or young, since intake is far shorter than
    // the minimum age).
    // --older-than 0 means any age: S3 servers may round a fresh object's time up to the next
    // second (Swift does), which would otherwise read as "from the future".
    // A time the store did not give or we could not read (0) is never taken for an old one: such
    // an object is kept, whatever its age.
    const auto too_young = [&](const StoredObject& o) {
        return o.modified <= 0 || (min_age_seconds > 0 && now - o.modified < min_age_seconds);
    };
    std::vector<StoredObject> objects;
    co_await photos.list([&](const StoredObject& o) { objects.push_back(o); });
    const auto named = read_names();
    s.objects = static_cast<std::int64_t>(objects.size());
    for (const auto& o : objects) {
        if (named.count(o.name)) {
            ++s.named;
            continue;
        }
        if (too_young(o)) {
            ++s.young;
            continue;
        }
        // 3. Its age again just before removing it: an identical upload since the listing made it young.
        auto current = co_await photos.stat(o.name);
        if (!current) continue;
        if (too_young(*current)) {
            ++s.young;
            continue;
        }
        co_await photos.remove(o.name);
        ++s.removed;
        s.removed_bytes += static_cast<std::int64_t>(o.size);
    }
    co_return s;
}

asio::awaitable<CopySummary> copy_photos(PhotoStore& from, PhotoStore& to) {
    CopySummary s;
    std::vector<StoredObject> objects;
    co_await from.list([&](const StoredObject& o) { objects.push_back(o); });
    s.objects = static_cast<std::int64_t>(objects.size());
    for (const auto& o : objects) {
        if (auto there = co_await to.stat(o.name); there && there->size == o.size) {
            ++s.present;
            continue;
        }
        auto bytes = co_await from.get(o.name, o.size);
        if (!bytes) continue;  // removed since the listing (a sweep)
        const auto sha = crypto::sha256_hex(*bytes);
        if (is_original(o.name) && sha != o.name.substr(0, 64))
            throw std::runtime_error("copy-photos: " + o.name + " does not hash to its name (SHA-256 " + sha + ")");
        co_await to.put(o.name, *bytes, sha);
        ++s.copied;
        s.bytes += static_cast<std::int64_t>(bytes->size());
    }
    co_return s;
}

asio::awaitable<std::int64_t> verify_named_photos(PhotoStore& photos, std::string db_path) {
    std::unordered_set<std::string> stored;
    co_await photos.list([&](const StoredObject& o) { stored.insert(o.name); });
    std::int64_t blobs = 0, missing = 0;
    std::string first_missing;
    for (const auto& name : named_photos(db_path)) {
        if (is_original(name)) ++blobs;
        if (stored.count(name)) continue;
        if (missing++ == 0) first_missing = name;
    }
    if (missing > 0)
        throw std::runtime_error("photo " + first_missing + " is referenced by the database but missing from " +
                                 photos.describe() + " (" + std::to_string(missing) + " missing in all)");
    co_return blobs;
}

}  // namespace civic::store
