#include "server/store/photo_store.hpp"

#include "common/crypto.hpp"
#include "common/errors.hpp"
#include "common/percent.hpp"
#include "common/time.hpp"
#include "server/store/offload.hpp"
#include "server/store/photo_files.hpp"

#include <sys/stat.h>

#include <cerrno>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>

namespace civic::store {

namespace asio = boost::asio;
namespace fs = std::filesystem;

asio::awaitable<void> PhotoStore::put_photo(const std::string& thumbnail_name, const std::string& thumbnail,
                                            const std::string& thumbnail_sha256_hex, const std::string& original_name,
                                            StagedFile& original) {
    co_await put(thumbnail_name, thumbnail, thumbnail_sha256_hex);
    co_await put_staged(original_name, original);
}

namespace {

// ---- file:DIR ----

class FileReader final : public PhotoReader {
public:
    FileReader(std::unique_ptr<OpenPhotoFile> file, asio::thread_pool& pool) : file_(std::move(file)), pool_(pool) {}

    std::uint64_t size() const override { return file_->size(); }

    asio::awaitable<void> read(std::uint64_t first, std::uint64_t length, const PhotoChunkSink& sink) override {
        if (length == 0) co_return;
        // One buffer for the whole read: the memory a file read holds.
        std::string chunk(std::min<std::uint64_t>(length, kPhotoReadChunkBytes), '\0');
        std::uint64_t at = first;
        const std::uint64_t end = first + length;
        while (at < end) {
            const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(end - at, chunk.size()));
            const auto got = co_await offload(pool_, [&] { return file_->read_at(at, chunk.data(), want); });
            if (got != want) throw std::runtime_error("photo file shorter than it was at open");
            if (!co_await sink(std::string_view(chunk.data(), got))) co_return;
            at += got;
        }
    }

private:
    std::unique_ptr<OpenPhotoFile> file_;
    asio::thread_pool& pool_;
};

class FileStore final : public PhotoStore {
public:
    FileStore(fs::path root, asio::thread_pool& pool) : files_(root), root_(std::move(root)), pool_(pool) {}

    asio::awaitable<void> put(const std::string& name, const std::string& bytes, const std::string&) override {
        co_await offload(pool_, [&] { files_.put(name, bytes); });
    }
    std::unique_ptr<StagedFile> stage() override { return std::make_unique<StagedFile>(files_.staging_dir()); }
    asio::awaitable<void> put_staged(const std::string& name, StagedFile& staged) override {
        co_await offload(pool_, [&] { files_.put_staged(name, staged); });
    }
    asio::awaitable<void> put_photo(const std::string& thumbnail_name, const std::string& thumbnail, const std::string&,
                                    const std::string& original_name, StagedFile& original) override {
        co_await offload(pool_, [&] {
            files_.put(thumbnail_name, thumbnail);
            files_.put_staged(original_name, original);
        });
    }
    asio::awaitable<std::optional<std::string>> get(const std::string& name, std::uint64_t) override {
        co_return co_await offload(pool_, [&] { return files_.get(name); });  // sized from the file
    }
    asio::awaitable<std::shared_ptr<PhotoReader>> open(const std::string& name, std::uint64_t) override {
        auto file = co_await offload(pool_, [&] { return files_.open(name); });  // sized by fstat
        if (!file) co_return nullptr;
        co_return std::make_shared<FileReader>(std::move(file), pool_);
    }
    asio::awaitable<std::optional<StoredObject>> stat(const std::string& name) override {
        co_return co_await offload(pool_, [&]() -> std::optional<StoredObject> {
            struct stat st {};
            if (::stat(files_.path_of(name).c_str(), &st) != 0) {
                if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
                throw ApiError::unavailable(30, "the photo store cannot be read now");
            }
            return StoredObject{name, static_cast<std::uint64_t>(st.st_size), static_cast<std::int64_t>(st.st_mtime)};
        });
    }
    asio::awaitable<void> remove(const std::string& name) override {
        co_await offload(pool_, [&] {
            std::error_code ec;
            fs::remove(files_.path_of(name), ec);
            if (ec) throw ApiError::unavailable(30, "the photo store cannot remove files now");
        });
    }
    asio::awaitable<void> list(const std::function<void(const StoredObject&)>& each) override {
        co_await offload(pool_, [&] {
            std::error_code ec;
            if (!fs::is_directory(root_, ec)) return;
            for (auto it = fs::recursive_directory_iterator(root_, ec); !ec && it != fs::recursive_directory_iterator();
                 it.increment(ec)) {
                if (!it->is_regular_file(ec)) continue;
                const auto name = it->path().filename().string();
                if (!is_photo_file_name(name)) continue;  // temporaries (".tmp-…") and strangers
                struct stat st {};
                if (::stat(it->path().c_str(), &st) != 0) continue;
                each({name, static_cast<std::uint64_t>(st.st_size), static_cast<std::int64_t>(st.st_mtime)});
            }
        });
    }
    asio::awaitable<void> check() override {
        co_await offload(pool_, [&] {
            std::error_code ec;
            fs::create_directories(root_, ec);
            if (ec || !fs::is_directory(root_))
                throw PhotoStoreConfigError("--photos: cannot use " + root_.string() + " as the photo folder");
        });
    }
    std::string describe() const override { return "file:" + root_.string(); }

private:
    PhotoFiles files_;
    fs::path root_;
    asio::thread_pool& pool_;
};

// ---- s3://BUCKET ----

// "Wed, 21 Oct 2015 07:28:00 GMT" (RFC 9110 IMF-fixdate, what S3 sends in Last-Modified).
std::optional<std::int64_t> parse_http_date(std::string_view text) {
    static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    if (text.size() != 29 || text.substr(3, 2) != ", " || !text.ends_with(" GMT")) return std::nullopt;
    const auto month = text.substr(8, 3);
    int m = 0;
    while (m < 12 && kMonths[m] != month) ++m;
    if (m == 12) return std::nullopt;
    std::string iso = std::string(text.substr(12, 4)) + "-" + (m < 9 ? "0" : "") + std::to_string(m + 1) + "-" +
                      std::string(text.substr(5, 2)) + "T" + std::string(text.substr(17, 8)) + "Z";
    return timefmt::parse_rfc3339(iso);
}

const char* content_type_of(std::string_view name) { return name.ends_with(".png") ? "image/png" : "image/jpeg"; }

[[noreturn]] void fail(const objstore::Error& e, const std::string& what) {
    // Never a credential in e.message (docs/objstore.md); logged for the operator, one line.
    std::cerr << "civicsnapd: photo store: " << what << ": " << objstore::to_string(e.code) << " (HTTP " << e.status
              << (e.s3_code.empty() ? "" : " " + e.s3_code) << ", " << e.attempts << " attempts) " << e.message << '\n';
    throw photo_store_failure(e);
}

class S3Reader final : public PhotoReader {
public:
    S3Reader(objstore::S3Client& client, std::string name, std::uint64_t size)
        : client_(client), name_(std::move(name)), size_(size) {}

    std::uint64_t size() const override { return size_; }

    asio::awaitable<void> read(std::uint64_t first, std::uint64_t length, const PhotoChunkSink& sink) override {
        if (length == 0) co_return;
        std::uint64_t delivered = 0;
        bool overrun = false;
        bool stopped = false;
        // The client's chunks are its Limits::chunk_bytes; passed on in pieces of at most
        // kPhotoReadChunkBytes, straight from its buffer.
        auto pass_on = [&](std::string_view chunk) -> asio::awaitable<bool> {
            if (chunk.size() > length - delivered) {
                overrun = true;
                co_return false;
            }
            while (!chunk.empty()) {
                const auto piece = chunk.substr(0, kPhotoReadChunkBytes);
                if (!co_await sink(piece)) {
                    stopped = true;
                    co_return false;
                }
                delivered += piece.size();
                chunk.remove_prefix(piece.size());
            }
            co_return true;
        };
        const objstore::Sink to_sink = pass_on;
        const auto key = photo_key(name_);
        const objstore::ByteRange range{first, first + length - 1};
        auto r = co_await client_.get(key, to_sink, range);
        if (stopped) co_return;  // the client is gone: nothing wrong with the store
        if (overrun) throw std::runtime_error("photo object longer than its size: " + name_);
        if (r.error.code == objstore::Errc::not_found)
            throw std::runtime_error("photo file missing from the store: " + name_);
        if (!r.ok()) fail(r.error, "GET " + name_);
        if (delivered != length) throw std::runtime_error("photo object shorter than its size: " + name_);
    }

private:
    objstore::S3Client& client_;
    std::string name_;
    std::uint64_t size_;
};

class S3Store final : public PhotoStore {
    // A hint larger than any photo (10 MiB) is not trusted for an allocation.
    static constexpr std::uint64_t kMaxExpectedBytes = 16 * 1024 * 1024;

    // Streamed reads get a client of their own: a read holds its connection for as long as the
    // phone takes to download, so slow phones must never leave intake's PUTs waiting for one.
    // Each held read costs the daemon one chunk of memory (§7); past this many, reads queue.
    static constexpr std::size_t kStreamedReadConnections = 64;

    static objstore::S3Config for_streamed_reads(objstore::S3Config config) {
        config.limits.max_connections = kStreamedReadConnections;
        return config;
    }

public:
    S3Store(asio::any_io_executor executor, objstore::S3Config config, fs::path staging_dir)
        : reads_(executor, for_streamed_reads(config)),
          client_(std::move(executor), std::move(config)),
          staging_dir_(std::move(staging_dir)) {}

    asio::awaitable<void> put(const std::string& name, const std::string& bytes,
                              const std::string& sha256_hex) override {
        auto r = co_await client_.put_bytes(photo_key(name), bytes, content_type_of(name), sha256_hex);
        if (!r.ok()) fail(r.error, "PUT " + name);
    }
    std::unique_ptr<StagedFile> stage() override {
        std::error_code ec;
        fs::create_directories(staging_dir_, ec);  // normally made at start (the upload spool)
        if (ec) throw ApiError::unavailable(30, "the spool folder cannot be used now");
        return std::make_unique<StagedFile>(staging_dir_);
    }
    asio::awaitable<void> put_staged(const std::string& name, StagedFile& staged) override {
        auto r = co_await client_.put_file(photo_key(name), staged.path().string(), staged.sha256_hex(),
                                           content_type_of(name));
        if (!r.ok()) fail(r.error, "PUT " + name);
    }
    asio::awaitable<std::optional<std::string>> get(const std::string& name, std::uint64_t expected_size) override {
        std::string out;
        out.reserve(std::min<std::uint64_t>(expected_size, kMaxExpectedBytes));
        auto r = co_await client_.get(photo_key(name), [&out](std::string_view chunk) -> asio::awaitable<bool> {
            out.append(chunk);
            co_return true;
        });
        if (r.error.code == objstore::Errc::not_found) co_return std::nullopt;
        if (!r.ok()) fail(r.error, "GET " + name);
        co_return out;
    }
    asio::awaitable<std::shared_ptr<PhotoReader>> open(const std::string& name, std::uint64_t known_size) override {
        if (known_size > 0) co_return std::make_shared<S3Reader>(reads_, name, known_size);
        auto info = co_await stat(name);
        if (!info) co_return nullptr;
        co_return std::make_shared<S3Reader>(reads_, name, info->size);
    }
    asio::awaitable<std::optional<StoredObject>> stat(const std::string& name) override {
        auto r = co_await client_.head(photo_key(name));
        if (r.error.code == objstore::Errc::not_found) co_return std::nullopt;
        if (!r.ok()) fail(r.error, "HEAD " + name);
        co_return StoredObject{name, r.value.size, parse_http_date(r.value.last_modified).value_or(0)};
    }
    asio::awaitable<void> remove(const std::string& name) override {
        auto r = co_await client_.remove(photo_key(name));
        if (!r.ok()) fail(r.error, "DELETE " + name);
    }
    asio::awaitable<void> list(const std::function<void(const StoredObject&)>& each) override {
        std::string token;
        do {
            auto r = co_await client_.list("", token);
            if (!r.ok()) fail(r.error, "LIST");
            for (const auto& e : r.value.entries) {
                auto name = photo_name_of_key(e.key);
                if (!name) continue;
                each({*name, e.size, timefmt::parse_rfc3339(e.last_modified).value_or(0)});
            }
            token = r.value.truncated ? r.value.next_continuation_token : std::string();
        } while (!token.empty());
    }
    asio::awaitable<void> check() override {
        // One listing of at most one key: the bucket exists and our signature is accepted.
        auto r = co_await client_.list("", "", 1);
        if (r.ok()) co_return;
        std::string why;
        switch (r.error.code) {
            case objstore::Errc::no_such_bucket:
                why = "no such bucket";
                break;
            case objstore::Errc::refused:
                why = "the store refused our credentials (" + r.error.s3_code + ")";
                break;
            default:
                why = std::string(objstore::to_string(r.error.code)) + " (" + r.error.message + ")";
                break;
        }
        throw PhotoStoreConfigError("--photos: " + describe() + ": " + why);
    }
    std::string describe() const override {
        return "s3://" + client_.config().bucket + " at " + client_.config().endpoint;
    }

private:
    objstore::S3Client reads_;   // streamed reads to clients (open)
    objstore::S3Client client_;  // everything else: intake's PUTs, HEAD, LIST, DELETE, whole GETs
    fs::path staging_dir_;
};

}  // namespace

ApiError photo_store_failure(const objstore::Error& e) {
    // A request the store refuses as malformed (BadDigest, InvalidRange…) is our bug: retrying
    // later cannot help, so it is a 500, not a 503 that invites the client to retry.
    if (e.code == objstore::Errc::rejected) return ApiError(500, "internal", "internal error");
    return ApiError::unavailable(5, "the photo store is unavailable; retry later");
}

PhotoStoreSpec parse_photo_store(std::string_view text, const std::string& data_dir) {
    PhotoStoreSpec spec;
    spec.staging_dir = (fs::path(data_dir) / "spool").string();
    if (text.empty()) {
        spec.dir = (fs::path(data_dir) / "photos").string();
        spec.text = "file:" + spec.dir;
        return spec;
    }
    spec.text = std::string(text);
    if (text.starts_with("file:")) {
        spec.dir = std::string(text.substr(5));
        if (spec.dir.empty()) throw PhotoStoreConfigError("--photos: file: needs a directory, e.g. file:/srv/photos");
        return spec;
    }
    if (!text.starts_with("s3://"))
        throw PhotoStoreConfigError("--photos: expected file:DIR or s3://BUCKET?endpoint=URL&region=R, got '" +
                                    std::string(text) + "'");
    spec.kind = PhotoStoreSpec::Kind::s3;
    auto rest = text.substr(5);
    const auto q = rest.find('?');
    spec.s3.bucket = std::string(rest.substr(0, q));
    if (!spec.s3.bucket.empty() && spec.s3.bucket.back() == '/') spec.s3.bucket.pop_back();
    if (!objstore::valid_bucket_name(spec.s3.bucket))
        throw PhotoStoreConfigError("--photos: '" + spec.s3.bucket + "' is not a valid bucket name");
    if (q != std::string_view::npos) {
        auto query = rest.substr(q + 1);
        while (!query.empty()) {
            const auto amp = query.find('&');
            const auto pair = query.substr(0, amp);
            query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
            if (pair.empty()) continue;
            const auto eq = pair.find('=');
            const auto key = pair.substr(0, eq);
            auto value = eq == std::string_view::npos ? std::optional<std::string>()
                                                      : percent_decode(pair.substr(eq + 1), false);
            if (!value) throw PhotoStoreConfigError("--photos: malformed parameter '" + std::string(pair) + "'");
            if (key == "endpoint")
                spec.s3.endpoint = *value;
            else if (key == "region")
                spec.s3.region = *value;
            else
                throw PhotoStoreConfigError("--photos: unknown parameter '" + std::string(key) +
                                            "' (endpoint, region)");
        }
    }
    if (spec.s3.endpoint.empty()) throw PhotoStoreConfigError("--photos: s3:// needs endpoint=http(s)://HOST[:PORT]");
    if (!objstore::parse_endpoint(spec.s3.endpoint))
        throw PhotoStoreConfigError("--photos: endpoint '" + spec.s3.endpoint + "' is not http(s)://HOST[:PORT]");
    if (spec.s3.region.empty()) throw PhotoStoreConfigError("--photos: region is empty");
    const char* id = std::getenv("AWS_ACCESS_KEY_ID");
    const char* secret = std::getenv("AWS_SECRET_ACCESS_KEY");
    const char* token = std::getenv("AWS_SESSION_TOKEN");
    if (!id || !*id || !secret || !*secret)
        throw PhotoStoreConfigError(
            "--photos: s3:// needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment");
    spec.s3.credentials = {id, secret, token ? token : ""};
    return spec;
}

std::unique_ptr<PhotoStore> make_photo_store(const PhotoStoreSpec& spec, asio::any_io_executor executor,
                                             asio::thread_pool& blocking) {
    if (spec.kind == PhotoStoreSpec::Kind::file) return std::make_unique<FileStore>(spec.dir, blocking);
    return std::make_unique<S3Store>(std::move(executor), spec.s3, spec.staging_dir);
}

}  // namespace civic::store
