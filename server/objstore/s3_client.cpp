#include "server/objstore/s3_client.hpp"

#include "common/crypto.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <deque>
#include <mutex>
#include <random>
#include <stdexcept>
#include <variant>
#include <vector>

namespace civic::objstore {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

std::optional<std::uint64_t> parse_u64(std::string_view s) {
    std::uint64_t v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return v;
}

// Runs `fn` through `submit` (another thread) and resumes on the caller's executor; inline
// when there is no submitter. `fn` is the caller's local and outlives the wait.
template <class F>
asio::awaitable<void> run_blocking(const BlockingSubmit& submit, F& fn) {
    if (!submit) {
        fn();
        co_return;
    }
    co_await asio::async_initiate<const asio::use_awaitable_t<>, void()>(
        [&submit, &fn](auto handler) {
            auto executor =
                asio::prefer(asio::get_associated_executor(handler), asio::execution::outstanding_work.tracked);
            auto shared = std::make_shared<decltype(handler)>(std::move(handler));
            submit([&fn, shared, executor]() {
                fn();
                asio::dispatch(executor, [shared]() { (*shared)(); });
            });
        },
        asio::use_awaitable);
}

// One keep-alive connection, plain or TLS.
struct Conn {
    std::optional<beast::tcp_stream> plain;
    std::optional<beast::ssl_stream<beast::tcp_stream>> tls;
    beast::flat_buffer buffer;
    SteadyClock::time_point idle_since{};
    bool reused = false;

    beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
    void close() {
        error_code ignored;
        lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
        lowest().socket().close(ignored);
    }
};

// The request body of one attempt.
struct FileBody {
    std::string path;
};
struct BytesBody {
    std::string_view bytes;
};
using Body = std::variant<std::monostate, FileBody, BytesBody>;

// What one operation asks for.
struct Op {
    http::verb method = http::verb::get;
    std::string key;  // empty: the bucket itself
    sigv4::Fields query;
    sigv4::Fields headers;  // signed and sent (Range, Content-Type)
    std::string payload_sha256 = std::string(sigv4::kEmptySha256);
    Body body;
    const Sink* sink = nullptr;    // GET: 2xx bodies go here
    bool want_small_body = false;  // LIST: 2xx body read whole (bounded)
};

// What one attempt gave.
struct Outcome {
    error_code net;         // a connection-level failure (or timeout) before a complete response header
    Errc local = Errc::ok;  // local_io / aborted / bad_response decided here
    std::string local_message;
    int status = 0;
    http::fields header;     // response header fields
    std::string small_body;  // error body, or the LIST body
    bool delivered = false;  // bytes reached the sink
};

bool retryable_status(int status) { return status >= 500 && status <= 599; }

Errc classify(int status, const std::string& s3_code) {
    if (status >= 200 && status <= 299) return Errc::ok;
    if (status == 404) return s3_code == "NoSuchBucket" ? Errc::no_such_bucket : Errc::not_found;
    if (status == 401 || status == 403) return Errc::refused;
    if (status == 400 &&
        (s3_code == "AuthorizationHeaderMalformed" || s3_code == "InvalidAccessKeyId" || s3_code == "InvalidToken" ||
         s3_code == "ExpiredToken" || s3_code == "MissingSecurityHeader")) {
        return Errc::refused;  // credentials or region: a configuration problem, like 403
    }
    if (status >= 400 && status <= 499) return Errc::rejected;
    if (status >= 500 && status <= 599) return Errc::unavailable;
    return Errc::bad_response;
}

ObjectInfo object_info(const http::fields& h) {
    ObjectInfo info;
    if (auto v = parse_u64(std::string_view(h[http::field::content_length]))) info.size = *v;
    info.etag = unquote(h[http::field::etag]);
    info.content_type = std::string(h[http::field::content_type]);
    info.last_modified = std::string(h[http::field::last_modified]);
    return info;
}

}  // namespace

std::string_view to_string(Errc e) {
    switch (e) {
        case Errc::ok:
            return "ok";
        case Errc::not_found:
            return "not_found";
        case Errc::no_such_bucket:
            return "no_such_bucket";
        case Errc::refused:
            return "refused";
        case Errc::rejected:
            return "rejected";
        case Errc::unavailable:
            return "unavailable";
        case Errc::bad_response:
            return "bad_response";
        case Errc::local_io:
            return "local_io";
        case Errc::aborted:
            return "aborted";
    }
    return "?";
}

std::optional<Endpoint> parse_endpoint(std::string_view url) {
    Endpoint ep;
    if (url.starts_with("https://")) {
        ep.tls = true;
        url.remove_prefix(8);
    } else if (url.starts_with("http://")) {
        url.remove_prefix(7);
    } else {
        return std::nullopt;
    }
    if (url.ends_with('/')) url.remove_suffix(1);
    if (url.empty() || url.find_first_of("/?#@ \t\r\n") != std::string_view::npos) return std::nullopt;
    std::string_view host = url;
    std::string_view port;
    if (url.front() == '[') {
        const auto close = url.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        host = url.substr(1, close - 1);
        const auto rest = url.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') return std::nullopt;
            port = rest.substr(1);
        }
        if (host.empty() || host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos) {
            return std::nullopt;
        }
    } else {
        const auto colon = url.rfind(':');
        if (colon != std::string_view::npos) {
            host = url.substr(0, colon);
            port = url.substr(colon + 1);
        }
        if (host.empty() || host.find(':') != std::string_view::npos) return std::nullopt;
    }
    if (!port.empty()) {
        const auto p = parse_u64(port);
        if (!p || *p == 0 || *p > 65535) return std::nullopt;
    }
    ep.host = std::string(host);
    ep.port = port.empty() ? (ep.tls ? "443" : "80") : std::string(port);
    const std::string shown_host = url.front() == '[' ? "[" + ep.host + "]" : ep.host;
    const bool default_port = port.empty() || (ep.tls ? port == "443" : port == "80");
    ep.host_header = default_port ? shown_host : shown_host + ":" + ep.port;
    return ep;
}

bool valid_bucket_name(std::string_view b) {
    if (b.size() < 3 || b.size() > 63) return false;
    auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    if (!alnum(b.front()) || !alnum(b.back())) return false;
    return std::all_of(b.begin(), b.end(), [&](char c) { return alnum(c) || c == '.' || c == '-'; });
}

bool valid_object_key(std::string_view k) {
    if (k.empty() || k.size() > 1024) return false;
    if (std::any_of(k.begin(), k.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
        return false;
    }
    // No empty, "." or ".." segments: S3 would take them literally, but a proxy on the way may
    // normalise the path (and "/bucket/../other" would then leave the bucket).
    std::size_t start = 0;
    for (;;) {
        const auto slash = k.find('/', start);
        const auto segment = k.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
        if (segment.empty() || segment == "." || segment == "..") return false;
        if (slash == std::string_view::npos) return true;
        start = slash + 1;
    }
}

std::optional<std::string> sha256_file_hex(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    bool ok = ctx && EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1;
    std::vector<char> buf(64 * 1024);
    while (ok) {
        const auto n = ::read(fd, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) ok = false;
        if (n <= 0) break;
        ok = EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(n)) == 1;
    }
    ::close(fd);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!ok || EVP_DigestFinal_ex(ctx.get(), md, &len) != 1) return std::nullopt;
    return crypto::hex_encode(std::string_view(reinterpret_cast<const char*>(md), len));
}

struct S3Client::Impl {
    asio::any_io_executor executor;
    S3Config config;
    Endpoint endpoint;
    std::optional<ssl::context> tls_context;
    // A slot per open connection: sending takes one (waiting when all are taken), receiving
    // gives one back. Thread-safe.
    asio::experimental::concurrent_channel<void(error_code)> slots;
    mutable std::mutex mutex;
    std::deque<std::unique_ptr<Conn>> idle;  // most recently used at the back
    std::size_t open = 0;

    Impl(asio::any_io_executor ex, S3Config cfg)
        : executor(std::move(ex)), config(std::move(cfg)), slots(executor, config.limits.max_connections) {
        auto ep = parse_endpoint(config.endpoint);
        if (!ep) throw std::invalid_argument("objstore: endpoint must be http(s)://host[:port]");
        endpoint = *ep;
        if (!valid_bucket_name(config.bucket)) throw std::invalid_argument("objstore: bad bucket name");
        if (config.limits.max_connections == 0 || config.limits.max_attempts < 1 || config.limits.chunk_bytes == 0) {
            throw std::invalid_argument("objstore: limits out of range");
        }
        if (endpoint.tls) {
            tls_context.emplace(ssl::context::tls_client);
            tls_context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                                     ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
            tls_context->set_default_verify_paths();
            if (!config.ca_file.empty()) tls_context->load_verify_file(config.ca_file);
            tls_context->set_verify_mode(config.verify_tls ? ssl::verify_peer : ssl::verify_none);
        }
    }

    // --- the pool --------------------------------------------------------------------------
    // A slot is held by each connection in use (not by idle ones): at most max_connections in
    // use plus max_idle_connections idle are open at once.

    std::unique_ptr<Conn> take_idle() {
        std::lock_guard lock(mutex);
        const auto now = SteadyClock::now();
        while (!idle.empty()) {
            auto conn = std::move(idle.back());
            idle.pop_back();
            if (now - conn->idle_since < config.limits.idle_keepalive) {
                conn->reused = true;
                return conn;
            }
            conn->close();  // idle too long: the server may be closing it right now
            --open;
        }
        return nullptr;
    }

    // After use: back to the pool (if it has room) or closed; the slot is freed either way.
    void give_back(std::unique_ptr<Conn> conn) {
        {
            std::lock_guard lock(mutex);
            conn->idle_since = SteadyClock::now();
            if (idle.size() < config.limits.max_idle_connections) {
                idle.push_back(std::move(conn));
            } else {
                conn->close();
                --open;
            }
        }
        release_slot();
    }

    void discard(std::unique_ptr<Conn> conn) {
        {
            std::lock_guard lock(mutex);
            conn->close();
            --open;
        }
        release_slot();
    }

    void release_slot() {
        slots.try_receive([](error_code) {});
    }

    // A connection for one attempt, once a slot is free: an idle one, or a new one. Bounded by
    // `deadline`.
    asio::awaitable<std::pair<std::unique_ptr<Conn>, error_code>> acquire(SteadyClock::time_point deadline) {
        {
            using namespace asio::experimental::awaitable_operators;
            asio::steady_timer timer(executor);
            timer.expires_at(deadline);
            auto won = co_await (slots.async_send(error_code{}, kTuple) || timer.async_wait(kTuple));
            if (won.index() != 0 || std::get<0>(std::get<0>(won))) {
                co_return std::pair{std::unique_ptr<Conn>{}, error_code(asio::error::timed_out)};
            }
        }
        if (auto conn = take_idle()) co_return std::pair{std::move(conn), error_code{}};
        {
            std::lock_guard lock(mutex);
            ++open;
        }
        auto conn = std::make_unique<Conn>();
        const auto fail = [&](error_code ec) {
            discard(std::move(conn));
            return std::pair{std::unique_ptr<Conn>{}, ec};
        };
        const auto connect_deadline = std::min(deadline, SteadyClock::now() + config.limits.connect_timeout);
        if (endpoint.tls) {
            conn->tls.emplace(executor, *tls_context);
        } else {
            conn->plain.emplace(executor);
        }
        tcp::resolver resolver(executor);
        // The resolver has no deadline of its own; the timer cancels it.
        asio::steady_timer timer(executor);
        timer.expires_at(connect_deadline);
        {
            using namespace asio::experimental::awaitable_operators;
            auto won =
                co_await (resolver.async_resolve(endpoint.host, endpoint.port, kTuple) || timer.async_wait(kTuple));
            if (won.index() != 0) co_return fail(asio::error::timed_out);
            auto [ec, results] = std::get<0>(won);
            if (ec) co_return fail(ec);
            conn->lowest().expires_at(connect_deadline);
            auto [cec, ep] = co_await conn->lowest().async_connect(results, kTuple);
            if (cec) co_return fail(cec);
        }
        {
            error_code ignored;  // Nagle off; failing to set it is no reason to fail the request
            conn->lowest().socket().set_option(tcp::no_delay(true), ignored);
        }
        if (endpoint.tls) {
            if (!SSL_set_tlsext_host_name(conn->tls->native_handle(), endpoint.host.c_str())) {
                co_return fail(asio::error::invalid_argument);
            }
            if (config.verify_tls) conn->tls->set_verify_callback(ssl::host_name_verification(endpoint.host));
            conn->lowest().expires_at(connect_deadline);
            auto [hec] = co_await conn->tls->async_handshake(ssl::stream_base::client, kTuple);
            if (hec) co_return fail(hec);
        }
        co_return std::pair{std::move(conn), error_code{}};
    }

    // --- one attempt -----------------------------------------------------------------------

    void arm(Conn& conn, SteadyClock::time_point deadline) {
        conn.lowest().expires_at(std::min(deadline, SteadyClock::now() + config.limits.io_timeout));
    }

    template <class Stream>
    asio::awaitable<void> exchange(Stream& stream, Conn& conn, const Op& op, const sigv4::Signed& signed_request,
                                   SteadyClock::time_point& deadline, Outcome& out, bool& keep) {
        keep = false;
        // Request header.
        http::request<http::buffer_body> req{op.method, signed_request.target, 11};
        req.set(http::field::host, endpoint.host_header);
        req.set(http::field::user_agent, "civicsnap-objstore");
        for (const auto& [name, value] : op.headers) req.set(name, value);
        for (const auto& [name, value] : signed_request.headers) req.set(name, value);

        // Request body source.
        int fd = -1;
        std::uint64_t length = 0;
        if (const auto* file = std::get_if<FileBody>(&op.body)) {
            const auto open_file = [&] { fd = ::open(file->path.c_str(), O_RDONLY | O_CLOEXEC); };
            co_await run_blocking(config.blocking, open_file);
            struct stat st {};
            if (fd < 0 || ::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
                if (fd >= 0) ::close(fd);
                out.local = Errc::local_io;
                out.local_message = "cannot open " + file->path;
                keep = true;  // nothing was sent on the connection
                co_return;
            }
            length = static_cast<std::uint64_t>(st.st_size);
        } else if (const auto* bytes = std::get_if<BytesBody>(&op.body)) {
            length = bytes->bytes.size();
        }
        struct FdCloser {
            int& fd;
            ~FdCloser() {
                if (fd >= 0) ::close(fd);
            }
        } closer{fd};
        const bool has_body = !std::holds_alternative<std::monostate>(op.body);
        if (has_body || op.method == http::verb::put || op.method == http::verb::post) req.content_length(length);
        req.body().data = nullptr;
        req.body().more = has_body && length > 0;

        http::request_serializer<http::buffer_body> serializer{req};
        std::vector<char> chunk(config.limits.chunk_bytes);
        error_code write_ec;
        arm(conn, deadline);
        {
            auto [ec, n] = co_await http::async_write_header(stream, serializer, kTuple);
            write_ec = ec;
        }
        std::uint64_t sent = 0;
        while (!write_ec && sent < length) {
            const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), length - sent));
            std::size_t got = 0;
            if (const auto* bytes = std::get_if<BytesBody>(&op.body)) {
                std::copy_n(bytes->bytes.data() + sent, want, chunk.data());
                got = want;
            } else {
                ssize_t n = 0;
                const auto read_chunk = [&] {
                    do {
                        n = ::pread(fd, chunk.data(), want, static_cast<off_t>(sent));
                    } while (n < 0 && errno == EINTR);
                };
                co_await run_blocking(config.blocking, read_chunk);
                if (n <= 0) {
                    out.local = Errc::local_io;
                    out.local_message = "the file shrank or could not be read while uploading";
                    co_return;  // the request is half sent: the connection is dropped
                }
                got = static_cast<std::size_t>(n);
            }
            sent += got;
            req.body().data = chunk.data();
            req.body().size = got;
            req.body().more = sent < length;
            arm(conn, deadline);
            auto [ec, n] = co_await http::async_write(stream, serializer, kTuple);
            if (ec == http::error::need_buffer) ec = {};
            write_ec = ec;
        }
        if (!write_ec && !serializer.is_done()) {
            req.body().data = nullptr;
            req.body().size = 0;
            req.body().more = false;
            arm(conn, deadline);
            auto [ec, n] = co_await http::async_write(stream, serializer, kTuple);
            if (ec == http::error::need_buffer) ec = {};
            write_ec = ec;
        }

        // Response header. After a failed write the server may still have answered (a 403
        // sent before it read our body): look for it before giving up.
        http::response_parser<http::buffer_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(config.limits.max_response_header_bytes));
        parser.body_limit(boost::none);  // streamed in bounded chunks below
        if (op.method == http::verb::head) parser.skip(true);
        arm(conn, deadline);
        {
            auto [ec, n] = co_await http::async_read_header(stream, conn.buffer, parser, kTuple);
            if (ec) {
                out.net = write_ec ? write_ec : ec;
                co_return;
            }
        }
        out.status = static_cast<int>(parser.get().result_int());
        out.header = parser.get().base();
        const bool success = out.status >= 200 && out.status <= 299;
        const bool to_sink = success && op.sink != nullptr;
        const std::size_t small_limit = config.limits.max_xml_response_bytes;

        while (!parser.is_done()) {
            parser.get().body().data = chunk.data();
            parser.get().body().size = chunk.size();
            arm(conn, deadline);
            auto [ec, n] = co_await http::async_read(stream, conn.buffer, parser, kTuple);
            if (ec == http::error::need_buffer) ec = {};
            const std::size_t got = chunk.size() - parser.get().body().size;
            if (ec) {
                out.net = ec;
                co_return;
            }
            if (got == 0) continue;
            if (to_sink) {
                out.delivered = true;
                // Time spent in the sink (a slow phone downloading the photo through the daemon)
                // is not the store's: the attempt deadline moves by it. Each read from the store
                // still has io_timeout.
                const auto sink_started = SteadyClock::now();
                const bool more = co_await (*op.sink)(std::string_view(chunk.data(), got));
                deadline += SteadyClock::now() - sink_started;
                if (!more) {
                    out.local = Errc::aborted;
                    out.local_message = "the sink stopped the transfer";
                    co_return;
                }
            } else {
                if (out.small_body.size() + got > small_limit) {
                    if (success && op.want_small_body) {
                        out.local = Errc::bad_response;
                        out.local_message = "response body over max_xml_response_bytes";
                        co_return;
                    }
                    // An oversized error body: keep its head, drop the connection.
                    out.small_body.append(chunk.data(), small_limit - out.small_body.size());
                    co_return;
                }
                out.small_body.append(chunk.data(), got);
            }
        }
        keep = parser.keep_alive() && !write_ec;
    }

    asio::awaitable<Outcome> try_once(const Op& op, bool& stale_retry) {
        Outcome out;
        auto deadline = SteadyClock::now() + config.limits.attempt_timeout;
        // Signed first (a fresh x-amz-date per attempt): what it refuses never takes a connection.
        sigv4::Request request;
        request.method = std::string(http::to_string(op.method));
        request.host = endpoint.host_header;
        request.path = "/" + config.bucket + (op.key.empty() ? "" : "/" + op.key);
        request.query = op.query;
        request.headers = op.headers;
        request.payload_sha256 = op.payload_sha256;
        std::optional<sigv4::Signed> signed_request;
        try {
            signed_request = sigv4::sign(request, config.credentials, sigv4::Scope{config.region, "s3"},
                                         std::chrono::system_clock::now());
        } catch (const std::invalid_argument& e) {
            out.local = Errc::rejected;  // e.g. a line break in a header value
            out.local_message = e.what();
            co_return out;
        }
        auto [conn, ec] = co_await acquire(deadline);
        if (!conn) {
            out.net = ec;
            co_return out;
        }
        bool keep = false;
        std::exception_ptr failure;  // whatever happens, the connection and its slot go back
        try {
            if (conn->tls) {
                co_await exchange(*conn->tls, *conn, op, *signed_request, deadline, out, keep);
            } else {
                co_await exchange(*conn->plain, *conn, op, *signed_request, deadline, out, keep);
            }
        } catch (...) {
            failure = std::current_exception();
            keep = false;
        }
        // A reused keep-alive connection the server had already closed fails before any answer:
        // that says nothing about the server, so the caller tries once more on a new one.
        stale_retry = conn->reused && out.net && out.status == 0 && !out.delivered;
        if (keep) {
            give_back(std::move(conn));
        } else {
            discard(std::move(conn));
        }
        if (failure) std::rethrow_exception(failure);
        co_return out;
    }

    std::chrono::milliseconds backoff(int retry) {
        thread_local std::mt19937_64 rng{std::random_device{}()};
        const auto cap = std::min<std::int64_t>(config.limits.backoff_max.count(), config.limits.backoff_base.count()
                                                                                       << std::min(retry, 20));
        // "Equal jitter": half the cap for sure, the other half at random.
        std::uniform_int_distribution<std::int64_t> dist(0, std::max<std::int64_t>(cap / 2, 0));
        return std::chrono::milliseconds(cap / 2 + dist(rng));
    }

    // Runs `op` with the retry policy; fills `error` and returns the last outcome.
    asio::awaitable<Outcome> perform(const Op& op, Error& error) {
        Outcome out;
        int stale_retries = 0;
        for (int attempt = 1;; ++attempt) {
            bool stale = false;
            out = co_await try_once(op, stale);
            error.attempts = attempt + stale_retries;
            if (stale && stale_retries < 2) {
                ++stale_retries;
                --attempt;
                continue;
            }
            error = Error{Errc::ok, out.status, {}, {}, error.attempts};
            bool retry = false;
            if (out.local != Errc::ok) {
                error.code = out.local;
                error.message = out.local_message;
            } else if (out.net) {
                error.code = Errc::unavailable;
                error.message = "connection: " + out.net.message();
                retry = !out.delivered;
            } else {
                if (!(out.status >= 200 && out.status <= 299) && !out.small_body.empty()) {
                    if (auto body = parse_error(out.small_body)) {
                        error.s3_code = body->code;
                        error.message = body->message;
                    }
                }
                error.code = classify(out.status, error.s3_code);
                if (error.code != Errc::ok && error.message.empty()) {
                    error.message = "HTTP " + std::to_string(out.status);
                }
                retry = retryable_status(out.status) && !out.delivered;
            }
            if (!retry || attempt >= config.limits.max_attempts) co_return out;
            asio::steady_timer timer(executor);
            timer.expires_after(backoff(attempt - 1));
            co_await timer.async_wait(kTuple);
        }
    }

    Error check_key(const std::string& key) const {
        if (valid_object_key(key)) return {};
        return Error{Errc::rejected, 0, {}, "invalid object key", 0};
    }
};

S3Client::S3Client(asio::any_io_executor executor, S3Config config)
    : impl_(std::make_unique<Impl>(std::move(executor), std::move(config))) {}

S3Client::~S3Client() {
    std::lock_guard lock(impl_->mutex);
    for (auto& conn : impl_->idle) conn->close();
    impl_->idle.clear();
}

const S3Config& S3Client::config() const { return impl_->config; }

std::size_t S3Client::idle_connections() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->idle.size();
}

std::size_t S3Client::open_connections() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->open;
}

asio::awaitable<Result<ObjectInfo>> S3Client::put_file(std::string key, std::string path, std::string sha256_hex,
                                                       std::string content_type) {
    Result<ObjectInfo> result;
    if ((result.error = impl_->check_key(key))) co_return result;
    if (sha256_hex.size() != 64 || !crypto::hex_decode(sha256_hex)) {
        result.error = Error{Errc::rejected, 0, {}, "x-amz-content-sha256 must be 64 hex digits", 0};
        co_return result;
    }
    Op op;
    op.method = http::verb::put;
    op.key = std::move(key);
    op.headers = {{"content-type", std::move(content_type)}};
    op.payload_sha256 = std::move(sha256_hex);
    op.body = FileBody{std::move(path)};
    const auto out = co_await impl_->perform(op, result.error);
    if (result.ok()) result.value.etag = unquote(out.header[http::field::etag]);
    co_return result;
}

asio::awaitable<Result<ObjectInfo>> S3Client::put_bytes(std::string key, std::string_view bytes,
                                                        std::string content_type, std::string sha256_hex) {
    Result<ObjectInfo> result;
    if ((result.error = impl_->check_key(key))) co_return result;
    Op op;
    op.method = http::verb::put;
    op.key = std::move(key);
    op.headers = {{"content-type", std::move(content_type)}};
    if (!sha256_hex.empty() && (sha256_hex.size() != 64 || !crypto::hex_decode(sha256_hex))) {
        result.error = Error{Errc::rejected, 0, {}, "x-amz-content-sha256 must be 64 hex digits", 0};
        co_return result;
    }
    op.payload_sha256 = sha256_hex.empty() ? crypto::sha256_hex(bytes) : std::move(sha256_hex);
    op.body = BytesBody{bytes};
    const auto out = co_await impl_->perform(op, result.error);
    if (result.ok()) {
        result.value.etag = unquote(out.header[http::field::etag]);
        result.value.size = bytes.size();
    }
    co_return result;
}

asio::awaitable<Result<ObjectInfo>> S3Client::head(std::string key) {
    Result<ObjectInfo> result;
    if ((result.error = impl_->check_key(key))) co_return result;
    Op op;
    op.method = http::verb::head;
    op.key = std::move(key);
    const auto out = co_await impl_->perform(op, result.error);
    if (result.ok()) result.value = object_info(out.header);
    co_return result;
}

asio::awaitable<Result<GetInfo>> S3Client::get(std::string key, Sink sink, std::optional<ByteRange> range) {
    Result<GetInfo> result;
    if ((result.error = impl_->check_key(key))) co_return result;
    Op op;
    op.method = http::verb::get;
    op.key = std::move(key);
    if (range) {
        if (range->last && *range->last < range->first) {
            result.error = Error{Errc::rejected, 0, {}, "range ends before it starts", 0};
            co_return result;
        }
        op.headers = {{"range", "bytes=" + std::to_string(range->first) + "-" +
                                    (range->last ? std::to_string(*range->last) : std::string())}};
    }
    op.sink = &sink;
    const auto out = co_await impl_->perform(op, result.error);
    if (!result.ok()) co_return result;
    auto& info = result.value;
    info.status = out.status;
    info.object = object_info(out.header);
    info.content_length = info.object.size;
    info.content_range = std::string(out.header[http::field::content_range]);
    if (out.status == 206) {
        // "bytes first-last/total": the object's size is the total.
        const auto slash = info.content_range.rfind('/');
        if (slash != std::string::npos) {
            if (auto total = parse_u64(std::string_view(info.content_range).substr(slash + 1)))
                info.object.size = *total;
        }
    }
    co_return result;
}

asio::awaitable<Result<Empty>> S3Client::remove(std::string key) {
    Result<Empty> result;
    if ((result.error = impl_->check_key(key))) co_return result;
    Op op;
    op.method = http::verb::delete_;
    op.key = std::move(key);
    co_await impl_->perform(op, result.error);
    if (result.error.code == Errc::not_found) result.error = Error{Errc::ok, 404, {}, {}, result.error.attempts};
    co_return result;
}

asio::awaitable<Result<ListPage>> S3Client::list(std::string prefix, std::string continuation_token,
                                                 std::size_t max_keys) {
    Result<ListPage> result;
    const std::size_t page = std::clamp<std::size_t>(max_keys, 1, impl_->config.limits.max_list_page);
    Op op;
    op.method = http::verb::get;
    op.query = {{"list-type", "2"}, {"max-keys", std::to_string(page)}};
    if (!prefix.empty()) op.query.emplace_back("prefix", std::move(prefix));
    if (!continuation_token.empty()) op.query.emplace_back("continuation-token", std::move(continuation_token));
    op.want_small_body = true;
    const auto out = co_await impl_->perform(op, result.error);
    if (!result.ok()) co_return result;
    auto parsed = parse_list_objects_v2(out.small_body, page);
    if (!parsed) {
        result.error.code = Errc::bad_response;
        result.error.message = "unreadable ListObjectsV2 answer";
        co_return result;
    }
    result.value = std::move(*parsed);
    co_return result;
}

}  // namespace civic::objstore
