#pragma once
// The two offline-safe photo tools (docs/photos.md, "Orphans and the sweep"; "Moving a city"):
//   civicsnapd sweep-photos --data-dir D [--photos SPEC] [--older-than SECONDS]
//   civicsnapd copy-photos --from SPEC --to SPEC
// Both run while daemons serve. `civicsnapd backup` verifies its copy with verify_named_photos.
#include "server/store/photo_store.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <set>
#include <string>

namespace civic::store {

inline constexpr std::int64_t kOrphanMinAgeSeconds = 3600;

struct SweepSummary {
    std::int64_t objects = 0;  // photo objects in the store
    std::int64_t named = 0;    // of which a row names (kept)
    std::int64_t young = 0;    // unnamed but younger than the minimum age (kept)
    std::int64_t removed = 0;  // orphans removed
    std::int64_t removed_bytes = 0;
};

class Conn;

// The object names (original and thumbnail) of every photo a row names: the `photo_blobs` rows,
// read in one snapshot of `conn` (its own read transaction), on either engine.
std::set<std::string> named_photo_objects(Conn& conn);

// Reads the names rows give now (named_photo_objects over the database the sweep serves).
using NamedPhotosReader = std::function<std::set<std::string>()>;

// Removes the objects of `photos` that no row names (`read_names`, which must outlive the sweep)
// and whose last modification is at least `min_age_seconds` before `now`. Lists first, then
// reads the names, then checks each candidate's age again just before removing it (intake
// refreshes an object it finds already stored, so a re-upload of an old orphan makes it young).
boost::asio::awaitable<SweepSummary> sweep_photos(PhotoStore& photos, const NamedPhotosReader& read_names,
                                                  std::int64_t min_age_seconds, std::int64_t now);
// The same over the SQLite database file at `db_path`.
boost::asio::awaitable<SweepSummary> sweep_photos(PhotoStore& photos, std::string db_path, std::int64_t min_age_seconds,
                                                  std::int64_t now);

struct CopySummary {
    std::int64_t objects = 0;  // photo objects in the source
    std::int64_t copied = 0;   // written to the destination
    std::int64_t present = 0;  // already there with the same size (resumed)
    std::int64_t bytes = 0;    // copied bytes
};

// Copies every photo object of `from` missing in `to`. An original's bytes must hash to the
// SHA-256 its name carries (else the copy stops with an error naming it); every PUT carries the
// SHA-256 of what was read, which the store checks. Interrupted, it resumes where it stopped.
boost::asio::awaitable<CopySummary> copy_photos(PhotoStore& from, PhotoStore& to);

// Every photo the database at `db_path` names, original and thumbnail, is in `photos` (one
// listing of the store, not a request per photo). Returns how many blobs were checked; throws
// std::runtime_error naming the first missing object and how many are missing in all.
boost::asio::awaitable<std::int64_t> verify_named_photos(PhotoStore& photos, std::string db_path);

}  // namespace civic::store
