#pragma once
// Where photo bytes live (API.md §1.1, `--photos`): a folder (`file:DIR`, the default
// `file:<data-dir>/photos`, PhotoFiles) or a bucket of an S3-compatible object store
// (`s3://BUCKET?endpoint=URL&region=R`, objstore::S3Client). Both are content-addressed: an
// original is stored under "<sha256>.jpg|.png" and its thumbnail beside it under
// "<sha256>.thumb.jpg" (original_file_name / thumbnail_file_name, photo_files.hpp), at the same
// relative key "ab/cd/<name>" in either store (photo_key), so `copy-photos` maps one to the other
// one to one. The same bytes are stored once.
//
// Guarantee of `put`: when it returns, the bytes survive a crash of this process and of the
// store's node (fsync + rename + directory fsync; an acknowledged S3 PUT). Callers store every
// photo of a request before the row that names it commits, so a row never names a missing photo;
// a crash in between leaves an orphan for `civicsnapd sweep-photos`.
//
// Failures: a store that cannot take a write or serve a read now throws ApiError 503
// `unavailable` (Retry-After), and the next request tries again, so the daemon recovers by itself;
// a request the store refused as malformed is a 500 (photo_store_failure).
#include "common/errors.hpp"
#include "server/objstore/s3_client.hpp"
#include "server/store/photo_files.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace civic::store {

// A bad `--photos`, or a store that refuses us at start: the message is one line for stderr.
struct PhotoStoreConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct PhotoStoreSpec {
    enum class Kind { file, s3 } kind = Kind::file;
    std::string dir;          // file
    objstore::S3Config s3;    // s3 (endpoint, bucket, region, credentials)
    std::string staging_dir;  // s3: where cleaned originals are written before their PUT (<data-dir>/spool)
    std::string text;         // as given, for messages (never with credentials)
};

// Parses `file:DIR` or `s3://BUCKET?endpoint=URL&region=R` (credentials from AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, optional AWS_SESSION_TOKEN; region defaults to us-east-1). An empty
// spec is `file:<data_dir>/photos`. Throws PhotoStoreConfigError.
PhotoStoreSpec parse_photo_store(std::string_view spec, const std::string& data_dir);

// The answer for a failed object-store operation: 503 with Retry-After while the store is down or
// refuses us (it may come back, or be reconfigured), 500 when it refused the request itself as
// malformed (our bug; a retry cannot help).
ApiError photo_store_failure(const objstore::Error& e);

struct StoredObject {
    std::string name;  // "<sha256>.jpg" …
    std::uint64_t size = 0;
    std::int64_t modified = 0;  // Unix seconds (mtime / LastModified); 0: unknown (never swept)
};

// The most bytes a streamed read hands its sink at once: what one photo read holds in memory,
// whatever the photo's size.
inline constexpr std::size_t kPhotoReadChunkBytes = 64 * 1024;

// Receives a streamed read's bytes in order, at most kPhotoReadChunkBytes at a time; the view is
// valid until the awaitable completes. False: stop (the client is gone).
using PhotoChunkSink = std::function<boost::asio::awaitable<bool>(std::string_view chunk)>;

// One object, open for streamed reads (photo reads through the daemon, docs/photos.md §7). The
// file store holds the open file; the S3 store holds nothing until `read` sends its GET.
class PhotoReader {
public:
    virtual ~PhotoReader() = default;
    // The whole object's size in bytes.
    virtual std::uint64_t size() const = 0;
    // Hands bytes [first, first + length) to `sink`, in order (for S3 one ranged GET, with the
    // client's deadlines and retries until the first byte reaches the sink). Returns when all
    // are out or the sink said stop. Throws ApiError 503 when the store fails — before the first
    // byte, or after some (then the caller can only give up) — and std::runtime_error when the
    // object turns out shorter than `size()` (never, for content-addressed objects).
    virtual boost::asio::awaitable<void> read(std::uint64_t first, std::uint64_t length,
                                              const PhotoChunkSink& sink) = 0;
};

class PhotoStore {
public:
    virtual ~PhotoStore() = default;

    // Durably stores `bytes` (whose SHA-256 is `sha256_hex`, or computed when empty) under
    // `name`. When the object is there already it is not written again, but its modification
    // time becomes now (file store: utimensat; S3: the PUT replaces it), so that the sweep,
    // which removes only old unnamed objects, never removes one a request is about to name.
    // ApiError 503 when the store cannot take it now.
    virtual boost::asio::awaitable<void> put(const std::string& name, const std::string& bytes,
                                             const std::string& sha256_hex) = 0;
    // A file to write a cleaned original into, on the disk `put_staged` takes it from (file: the
    // photo folder itself, so that it is renamed into place and never copied; s3: <data-dir>/spool).
    // Blocking: call from the worker pool. ApiError 503 when it cannot be created.
    virtual std::unique_ptr<StagedFile> stage() = 0;
    // As `put`, for a finished staged file, never holding it in memory: file: fsynced and renamed
    // into place; s3: a PUT streamed from the file, signed with the SHA-256 computed while it was
    // written. The file is consumed or removed with `staged`. ApiError 503 when the store cannot
    // take it now.
    virtual boost::asio::awaitable<void> put_staged(const std::string& name, StagedFile& staged) = 0;
    // A cleaned photo: its thumbnail by `put`, then its original by `put_staged` — in that order,
    // so that once the original exists the pair is complete. The file store makes both writes in
    // one trip to the worker pool.
    virtual boost::asio::awaitable<void> put_photo(const std::string& thumbnail_name, const std::string& thumbnail,
                                                   const std::string& thumbnail_sha256_hex,
                                                   const std::string& original_name, StagedFile& original);
    // The bytes, or nullopt when there is no such object. ApiError 503 when unreachable.
    // `expected_size` (the row's byte count; 0 when unknown) sizes the buffer up front, so that a
    // body arriving in chunks is not copied on regrowth: the photo is held once.
    virtual boost::asio::awaitable<std::optional<std::string>> get(const std::string& name,
                                                                   std::uint64_t expected_size) = 0;
    // `name` open for streamed reads, or nullptr when there is no such object. `known_size`: the
    // object's size when the caller knows it (the row's byte count of an original), so that the
    // S3 store sends no HEAD; 0: asked of the store (S3 HEAD; the file store always uses fstat).
    // ApiError 503 when the store cannot be reached. With a known size on S3, a missing object
    // shows only when `read` runs (std::runtime_error, before any byte).
    virtual boost::asio::awaitable<std::shared_ptr<PhotoReader>> open(const std::string& name,
                                                                      std::uint64_t known_size) = 0;
    // Its size and last modification, or nullopt when there is no such object. ApiError 503.
    virtual boost::asio::awaitable<std::optional<StoredObject>> stat(const std::string& name) = 0;
    // Removes the object (a missing one is success). ApiError 503 when unreachable.
    virtual boost::asio::awaitable<void> remove(const std::string& name) = 0;
    // Every photo object, page by page (`each` is called per object, in key order for S3).
    virtual boost::asio::awaitable<void> list(const std::function<void(const StoredObject&)>& each) = 0;
    // At start: the store exists and accepts our credentials. Throws PhotoStoreConfigError.
    virtual boost::asio::awaitable<void> check() = 0;
    // "file:/path" or "s3://bucket at http://endpoint", for messages.
    virtual std::string describe() const = 0;
};

// The store a spec names. `executor` runs the S3 client's I/O; `blocking` the file store's.
std::unique_ptr<PhotoStore> make_photo_store(const PhotoStoreSpec& spec, boost::asio::any_io_executor executor,
                                             boost::asio::thread_pool& blocking);

}  // namespace civic::store
