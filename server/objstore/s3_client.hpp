#pragma once
// An asynchronous S3 client for the photo store: path-style requests signed with AWS Signature
// Version 4 (common/sigv4.hpp), over HTTP/1.1 keep-alive connections (plain or TLS) from a small
// bounded pool, on Boost.Beast and Asio coroutines. Bodies are streamed both ways in fixed-size
// chunks: a PUT reads its file from disk chunk by chunk, a GET hands each chunk to a sink, so no
// object is ever held whole in memory. Every attempt has a deadline; 5xx answers, connection
// failures and timeouts are retried a bounded number of times with exponential back-off and
// jitter; 4xx answers are not. Results are typed (Errc) so that callers can map them to HTTP
// (not_found -> 404, unavailable -> 503 with Retry-After, ...). No Beast type appears here.
//
// Thread safety: one S3Client may be used by any number of coroutines on any threads at once. It
// must outlive every operation started on it (the daemon keeps one per process).
#include "common/sigv4.hpp"
#include "server/objstore/s3_xml.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace civic::objstore {

// Every bound of the client, by name. Defaults suit a photo store of 2-10 MB objects.
struct Limits {
    std::size_t max_connections = 16;                   // open connections to the endpoint at once (waiters queue)
    std::size_t max_idle_connections = 8;               // keep-alive connections kept for reuse
    std::chrono::milliseconds idle_keepalive{15'000};   // an idle pooled connection older is closed
    std::chrono::milliseconds connect_timeout{3'000};   // TCP connect (+ TLS handshake)
    std::chrono::milliseconds io_timeout{10'000};       // each read or write of one chunk / the header
    std::chrono::milliseconds attempt_timeout{60'000};  // one whole attempt, connection wait included,
                                                        // time spent in a GET's sink excluded
    int max_attempts = 4;                               // first try + 3 retries
    std::chrono::milliseconds backoff_base{100};        // before retry n: random in [cap/2, cap],
                                                        // cap = min(backoff_max, base*2^n)
    std::chrono::milliseconds backoff_max{2'000};
    std::size_t chunk_bytes = 64 * 1024;  // body chunk, both directions
    std::size_t max_response_header_bytes = 16 * 1024;
    std::size_t max_xml_response_bytes = 1024 * 1024;  // ListObjectsV2 page, <Error> body
    std::size_t max_list_page = 1000;                  // keys per ListObjectsV2 request (S3's own cap)
};

enum class Errc {
    ok,
    not_found,       // 404 NoSuchKey (or a HEAD 404)
    no_such_bucket,  // 404 NoSuchBucket: a configuration error, not a missing photo
    refused,         // 401/403: credentials refused (SignatureDoesNotMatch, AccessDenied, skew, ...)
    rejected,        // any other 4xx (400 BadDigest, 416 InvalidRange, ...): not retried
    unavailable,     // 5xx, connection failure or timeout, after the bounded retries
    bad_response,    // the store answered something this client cannot read (bad XML, framing)
    local_io,        // the local file of a PUT could not be read, or changed size
    aborted,         // the GET sink asked to stop
};
std::string_view to_string(Errc e);

struct Error {
    Errc code = Errc::ok;
    int status = 0;       // last HTTP status seen (0: none)
    std::string s3_code;  // <Code> of the error body, if any
    std::string message;  // for logs: never contains credentials
    int attempts = 0;     // requests sent (or tried) for this operation
    explicit operator bool() const { return code != Errc::ok; }
};

template <class T>
struct Result {
    Error error;
    T value{};
    bool ok() const { return !error; }
};
struct Empty {};

struct ObjectInfo {
    std::uint64_t size = 0;  // the whole object's size
    std::string etag;        // unquoted
    std::string content_type;
    std::string last_modified;  // HTTP date, as sent
};

// A byte range of a GET: first..last inclusive; no `last` = to the end.
struct ByteRange {
    std::uint64_t first = 0;
    std::optional<std::uint64_t> last;
};

struct GetInfo {
    int status = 0;                    // 200, or 206 for a range
    std::uint64_t content_length = 0;  // bytes of this response's body
    std::string content_range;         // "bytes 0-9/100" for a 206
    ObjectInfo object;                 // size: the whole object's (from Content-Range on a 206)
};

// Receives a GET's body in order, one chunk at a time (at most Limits::chunk_bytes); the view is
// valid until the awaitable completes. Returning false stops the transfer (Errc::aborted).
using Sink = std::function<boost::asio::awaitable<bool>(std::string_view chunk)>;

// Runs a blocking task (one chunk's file read) elsewhere and calls it back; when unset, PUT reads
// its file on the calling thread (64 KiB reads of a file just written, normally in page cache).
using BlockingSubmit = std::function<void(std::function<void()>)>;

struct S3Config {
    std::string endpoint;  // "http://host[:port]" or "https://host[:port]", no path
    std::string bucket;
    std::string region = "us-east-1";
    sigv4::Credentials credentials;
    Limits limits;
    std::string ca_file;      // https: extra trust anchors (PEM); system store otherwise
    bool verify_tls = true;   // https: verify chain and host name
    BlockingSubmit blocking;  // optional, see BlockingSubmit
};

struct Endpoint {
    bool tls = false;
    std::string host;         // without brackets for IPv6
    std::string port;         // "80"/"443" if not given
    std::string host_header;  // as sent and signed: host, [v6], plus ":port" if not the default
};
// nullopt for anything but http(s)://host[:port] with an optional trailing '/'.
std::optional<Endpoint> parse_endpoint(std::string_view url);

// Bucket names as S3 allows for path-style requests: 3-63 of [a-z0-9.-], starting and ending with
// a letter or digit. Object keys: 1-1024 bytes, no control characters, no empty, "." or ".."
// segments between slashes (so no leading or trailing '/').
bool valid_bucket_name(std::string_view bucket);
bool valid_object_key(std::string_view key);

// SHA-256 (lowercase hex) of a file, read in chunks (the first pass before a PUT). Blocking.
std::optional<std::string> sha256_file_hex(const std::string& path);

class S3Client {
public:
    // Throws std::invalid_argument on a malformed endpoint or bucket name.
    S3Client(boost::asio::any_io_executor executor, S3Config config);
    ~S3Client();
    S3Client(const S3Client&) = delete;
    S3Client& operator=(const S3Client&) = delete;

    // Uploads `path` (its bytes must hash to `sha256_hex`, which S3 checks: a mismatch is
    // rejected/BadDigest and stores nothing). The file is streamed; each retry re-reads it.
    boost::asio::awaitable<Result<ObjectInfo>> put_file(std::string key, std::string path, std::string sha256_hex,
                                                        std::string content_type = "application/octet-stream");
    // Bodies from memory (a photo just cleaned, thumbnails, tests); `bytes` is not copied and must
    // stay alive until the awaitable completes. `sha256_hex`: the body's SHA-256 when the caller
    // has it already (content addresses), else computed here.
    boost::asio::awaitable<Result<ObjectInfo>> put_bytes(std::string key, std::string_view bytes,
                                                         std::string content_type = "application/octet-stream",
                                                         std::string sha256_hex = {});

    boost::asio::awaitable<Result<ObjectInfo>> head(std::string key);

    // Streams the object (or `range` of it) to `sink`. Retried only while no byte has reached the
    // sink; a failure after that is reported (unavailable), never patched over.
    boost::asio::awaitable<Result<GetInfo>> get(std::string key, Sink sink, std::optional<ByteRange> range = {});

    // Deleting a missing key succeeds (S3 semantics).
    boost::asio::awaitable<Result<Empty>> remove(std::string key);

    // One ListObjectsV2 page: keys under `prefix` in byte order, at most
    // min(max_keys, Limits::max_list_page). Pass the page's next_continuation_token to go on.
    boost::asio::awaitable<Result<ListPage>> list(std::string prefix, std::string continuation_token = "",
                                                  std::size_t max_keys = 1000);

    const S3Config& config() const;

    // Connections currently idle in the pool / open (idle + in use), for tests and metrics.
    std::size_t idle_connections() const;
    std::size_t open_connections() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace civic::objstore
