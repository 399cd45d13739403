#include "server/http/server.hpp"

#include "common/errors.hpp"
#include "common/json.hpp"
#include "common/time.hpp"
#include "server/http/header_arena.hpp"
#include "server/http/limits.hpp"
#include "server/http/push_channel.hpp"
#include "server/http/request_head.hpp"
#include "server/http/response.hpp"
#include "server/http/response_head.hpp"

#include <openssl/ssl.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include <array>
#include <cassert>
#include <chrono>
#include <cstdio>
#include <limits>
#include <optional>
#include <random>
#include <utility>

namespace civic::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
// A request's header lives in the connection's HeaderArena (header_arena.hpp); its body parser
// and a WebSocket upgrade's request take the same fields over.
using HeaderParser = bhttp::parser<true, bhttp::empty_body, ArenaAllocator<char>>;
using BodyParser = bhttp::parser<true, bhttp::string_body, ArenaAllocator<char>>;
using UpgradeRequest = bhttp::request<bhttp::empty_body, ArenaFields>;

namespace {
// Bookkeeping for one connection, touched only on the connection's own I/O thread (except the map).
struct Connection {
    beast::tcp_stream* tcp = nullptr;
    bool idle = false;  // waiting for the first byte of a request: safe to close at shutdown
};
}  // namespace

struct Server::Shared {
    Shared(IoContexts& io, const Router& r, Metrics& m, AccessLog* log)
        : contexts(io), ioc(io.first()), router(r), metrics(m), access_log(log) {
        // Request ids: a per-process random prefix and a counter, unique without coordination.
        char prefix[16];
        std::snprintf(prefix, sizeof prefix, "%08x", static_cast<unsigned>(std::random_device{}()));
        id_prefix = prefix;
        metrics.upload_memory_budget.store(static_cast<std::int64_t>(upload_memory_budget));
    }
    IoContexts& contexts;
    asio::io_context& ioc;  // the listeners' and the shutdown's: contexts.first()
    // The next connection's context. Only the accept loops touch it, all on `ioc`; two loops
    // waiting at once may give the same one (a matter of balance, not of correctness).
    std::size_t next_context = 0;
    const Router& router;
    Metrics& metrics;
    AccessLog* access_log;
    std::atomic<bool> stopping{false};
    std::mutex mutex;
    std::uint64_t next_connection_id = 0;
    std::unordered_map<std::uint64_t, std::pair<asio::any_io_executor, std::shared_ptr<Connection>>> connections;
    std::vector<std::shared_ptr<tcp::acceptor>> acceptors;
    std::string id_prefix;
    std::atomic<std::uint64_t> request_counter{0};
    std::string spool_dir;  // streamed multipart parts go here; empty: kept in memory
    std::size_t upload_memory_budget = limits::kDefaultUploadMemoryBudget;

    // `out` = "<prefix>-<counter in hex>", written by hand into the connection's reused string.
    void next_request_id(std::string& out) {
        auto n = request_counter.fetch_add(1, std::memory_order_relaxed);
        char digits[16];
        char* at = digits + sizeof digits;
        do {
            *--at = "0123456789abcdef"[n & 15];
            n >>= 4;
        } while (n != 0);
        out.assign(id_prefix);
        out.push_back('-');
        out.append(at, static_cast<std::size_t>(digits + sizeof digits - at));
    }
};

namespace {

// Beast's HTTP parse errors (bad method, bad field, bad chunk, …) share one category.
bool is_http_error(const boost::system::error_code& ec) {
    return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category();
}

// What came of one request on the wire.
struct Exchange {
    Response response;
    std::size_t slot = 0;
    bool keep_alive = false;
    bool send = true;             // false: the peer is gone or too slow; close without answering
    std::uint64_t bytes_out = 0;  // body bytes sent, for the access log
    // A WebSocket upgrade the route accepted: the connection becomes a push stream.
    std::optional<UpgradeRequest> upgrade;
    std::shared_ptr<PushChannel> channel;
    std::shared_ptr<void> subscription;

    // An answer after which the connection closes.
    static Exchange closing(Response response, std::size_t slot) {
        Exchange ex;
        ex.response = std::move(response);
        ex.slot = slot;
        return ex;
    }
    // Nothing to answer: the peer is gone or too slow.
    static Exchange silent(std::size_t slot) {
        Exchange ex;
        ex.slot = slot;
        ex.send = false;
        return ex;
    }
};

void log_exchange(Server::Shared& sh, const Request& req, std::string_view route, const Exchange& ex, double seconds,
                  std::size_t bytes_in) {
    if (!sh.access_log) return;
    nlohmann::json line = {
        {"time", timefmt::format_rfc3339(std::chrono::duration_cast<std::chrono::seconds>(
                                             std::chrono::system_clock::now().time_since_epoch())
                                             .count())},
        {"request_id", req.request_id},
        {"method", req.method},
        {"route", route},
        {"status", ex.response.status},
        {"duration_ms", std::round(seconds * 1e6) / 1e3},
        {"bytes_in", bytes_in},
        {"bytes_out", ex.bytes_out},
        {"remote", req.remote_address},
    };
    sh.access_log->write(jsonutil::dump(line));
}

// An error answer in the format of the request's API family (Router::render_error), keeping
// the headers already set on the response (Allow).
Response failure_response(const Router& router, const ApiError& error, const Request& req, Response&& so_far) {
    auto keep = std::move(so_far.headers);
    auto response = router.render_error(error, req);
    for (auto& h : keep) response.headers.push_back(std::move(h));
    return response;
}

// The headers every answer carries, then the handler's.
template <class Message>
void fill_header(Message& res, const Request& req, const Exchange& ex) {
    res.set(bhttp::field::content_type, ex.response.content_type);
    res.set("X-Request-Id", req.request_id);
    res.set("X-Content-Type-Options", "nosniff");
    bool has_cache_control = false;
    for (const auto& [name, value] : ex.response.headers) {
        res.insert(name, value);
        if (beast::iequals(name, "cache-control")) has_cache_control = true;
    }
    if (!has_cache_control) res.set(bhttp::field::cache_control, "no-store");
    res.keep_alive(ex.keep_alive);
}

// Sends a streamed body through Beast's serializer over a buffer_body: each chunk is written
// from the producer's own buffer (nothing is copied or queued here), the header goes with the
// first one, and every write has its own deadline (a slow client is closed, not waited for).
template <class Stream>
class StreamingWriter final : public BodyWriter {
public:
    StreamingWriter(Stream& stream, bhttp::response<bhttp::buffer_body>& res, std::uint64_t length)
        : stream_(stream), res_(res), serializer_(res), left_(length) {}

    asio::awaitable<bool> write(std::string_view chunk) override {
        assert(chunk.size() <= limits::kStreamChunkBytes);
        if (failed_ || chunk.size() > left_) {
            failed_ = true;
            co_return false;
        }
        if (chunk.empty()) co_return true;
        res_.body().data = const_cast<char*>(chunk.data());
        res_.body().size = chunk.size();
        res_.body().more = true;
        started_ = true;
        co_return co_await send(chunk.size());
    }
    bool started() const override { return started_; }
    std::uint64_t sent() const { return sent_; }

    // The end of the body (and the header, for an empty one). False when the body fell short of
    // its Content-Length or a write failed: the connection must close.
    asio::awaitable<bool> finish() {
        if (failed_ || left_ != 0) co_return false;
        res_.body().data = nullptr;
        res_.body().size = 0;
        res_.body().more = false;
        started_ = true;
        co_return co_await send(0);
    }

private:
    asio::awaitable<bool> send(std::size_t bytes) {
        beast::get_lowest_layer(stream_).expires_after(limits::kWriteTimeout);
        auto [ec, n] = co_await bhttp::async_write(stream_, serializer_, kTuple);
        if (ec == bhttp::error::need_buffer) ec = {};  // this chunk is out; the serializer wants the next
        if (ec) {
            failed_ = true;
            co_return false;
        }
        left_ -= bytes;
        sent_ += bytes;
        co_return true;
    }

    Stream& stream_;
    bhttp::response<bhttp::buffer_body>& res_;
    bhttp::response_serializer<bhttp::buffer_body> serializer_;
    std::uint64_t left_;
    std::uint64_t sent_ = 0;
    bool started_ = false;
    bool failed_ = false;
};

// A whole body: the header written as text into the connection's `head` buffer, then header
// and body in one gather write (a single writev on plain TCP), the body sent from where the
// handler left it.
template <class Stream>
asio::awaitable<bool> write_whole(Stream& stream, std::string& head, const Request& req, Exchange& ex) {
    auto& tcp = beast::get_lowest_layer(stream);
    tcp.expires_after(limits::kWriteTimeout);
    const int status = ex.response.status;
    const bool is_head = req.method == "HEAD";
    ResponseHead fields{status,      ex.response.content_type, req.request_id, &ex.response.headers, ex.keep_alive,
                        std::nullopt};
    if (is_head)
        fields.content_length = ex.response.stream ? ex.response.stream->length : ex.response.body.size();
    else if (status_has_body(status))
        fields.content_length = ex.response.body.size();
    else
        ex.response.body.clear();  // 1xx, 204, 304: no body may follow the header
    write_response_head(head, fields);
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(head),
                                                    asio::buffer(is_head ? std::string_view{} : ex.response.body)};
    auto [ec, n] = co_await asio::async_write(stream, buffers, kTuple);
    if (!is_head) ex.bytes_out = ex.response.body.size();
    co_return !ec;
}

// A streamed body (StreamedBody). The producer opens its source and reads the first chunk
// before the header goes, so a source that fails then is answered like any handler failure;
// once the header is out, a failure can only close the connection.
template <class Stream>
asio::awaitable<bool> write_streamed(Server::Shared& sh, Stream& stream, std::string& head, const Request& req,
                                     Exchange& ex, std::string_view route_label) {
    StreamedBody body = std::move(*ex.response.stream);
    ex.response.stream.reset();
    bhttp::response<bhttp::buffer_body> res{static_cast<bhttp::status>(ex.response.status), 11};
    fill_header(res, req, ex);
    res.content_length(body.length);
    StreamingWriter<Stream> writer(stream, res, body.length);
    std::optional<ApiError> failure;
    try {
        co_await body.produce(writer);
    } catch (const ApiError& e) {
        failure = e;
    } catch (const std::exception& e) {
        failure = sh.router.translate(e, std::string(route_label));
    }
    ex.bytes_out = writer.sent();
    if (failure && !writer.started()) {
        ex.response = failure_response(sh.router, *failure, req, Response{});
        co_return co_await write_whole(stream, head, req, ex);
    }
    if (failure) {
        // Nothing but closing is left: the client sees a body shorter than its Content-Length.
        std::fprintf(stderr, "civicsnapd: %s on %.*s failed after %llu of %llu body bytes; connection closed\n",
                     req.method.c_str(), static_cast<int>(route_label.size()), route_label.data(),
                     static_cast<unsigned long long>(writer.sent()), static_cast<unsigned long long>(body.length));
        co_return false;
    }
    const bool finished = co_await writer.finish();
    co_return finished;
}

template <class Stream>
asio::awaitable<bool> write_response(Server::Shared& sh, Stream& stream, std::string& head, const Request& req,
                                     Exchange& ex, std::string_view route_label) {
    if (ex.response.stream && req.method != "HEAD")
        co_return co_await write_streamed(sh, stream, head, req, ex, route_label);
    co_return co_await write_whole(stream, head, req, ex);
}

bool streams_multipart(const Route& route, std::string_view content_type) {
    return route.multipart && (content_type.starts_with("multipart/") || content_type.starts_with("Multipart/"));
}

// Whether a streamed multipart body's large parts go to spool files: not when its declared length
// is within what spooling would charge the memory budget anyway (spooled_memory_bound; ≈ 0.6 MiB
// for a report) — kept whole in memory, it costs no more memory and saves each photo a spool
// file's write and read-back. A chunked body (no length) is spooled.
bool spools(const Server::Shared& sh, const Route& route, const HeaderParser& header) {
    if (sh.spool_dir.empty() || !streams_multipart(route, header.get()[bhttp::field::content_type])) return false;
    const auto declared = header.content_length();
    return !declared || *declared > MultipartParser::spooled_memory_bound(*route.multipart);
}

// For a route that streams multipart bodies and a multipart Content-Type: the parser, with the
// route's limits, spooling large parts to files if `spool`. A malformed boundary is refused before
// the body is read.
std::optional<MultipartParser> multipart_parser(const Server::Shared& sh, const Route& route,
                                                std::string_view content_type, bool spool) {
    if (!streams_multipart(route, content_type)) return std::nullopt;
    auto boundary = multipart_boundary(content_type);
    if (!boundary) throw to_api_error(boundary.error());
    MultipartParser parser(boundary.value(), *route.multipart);
    if (spool) {
        parser.spool_to(sh.spool_dir);
        sh.metrics.uploads_spooled.fetch_add(1, std::memory_order_relaxed);
    }
    return parser;
}

// A body's share of --upload-memory-budget, held from before its first byte is read until its
// request is answered: what it can hold in memory, i.e. its declared length (the route's limit
// when chunked), or for a spooled multipart body no more than its small fields and buffers.
class BodyCharge {
public:
    BodyCharge() = default;
    BodyCharge(BodyCharge&& o) noexcept : metrics_(std::exchange(o.metrics_, nullptr)), bytes_(o.bytes_) {}
    BodyCharge& operator=(BodyCharge&& o) noexcept {
        std::swap(metrics_, o.metrics_);
        std::swap(bytes_, o.bytes_);
        return *this;
    }
    ~BodyCharge() {
        if (metrics_) metrics_->upload_memory_bytes.fetch_sub(bytes_, std::memory_order_relaxed);
    }
    // nullopt when `bytes` more would overspend the budget.
    static std::optional<BodyCharge> take(Metrics& metrics, std::size_t budget, std::size_t bytes) {
        const auto want = static_cast<std::int64_t>(bytes);
        auto used = metrics.upload_memory_bytes.load(std::memory_order_relaxed);
        do {
            if (used + want > static_cast<std::int64_t>(budget)) return std::nullopt;
        } while (!metrics.upload_memory_bytes.compare_exchange_weak(used, used + want, std::memory_order_relaxed));
        BodyCharge charge;
        charge.metrics_ = &metrics;
        charge.bytes_ = want;
        return charge;
    }

private:
    Metrics* metrics_ = nullptr;
    std::int64_t bytes_ = 0;
};

std::size_t body_memory(const Server::Shared& sh, const Route& route, const HeaderParser& header) {
    if (header.is_done()) return 0;  // no body
    const std::size_t declared =
        header.content_length() ? static_cast<std::size_t>(*header.content_length()) : route.body_limit;
    if (spools(sh, route, header)) return MultipartParser::spooled_memory_bound(*route.multipart);
    return declared;
}

// The body, after its limits passed: answers `Expect: 100-continue`, then reads with a deadline
// per chunk and one for the whole, feeding a multipart body to its parser as it arrives (so a
// part over its limit is refused at the byte that crosses it and the body is never held twice).
// ApiError for a body refused (the connection then closes); false when the peer is gone or too
// slow (close without answering).
template <class Stream>
asio::awaitable<bool> read_body(Stream& stream, beast::flat_buffer& buffer, HeaderParser& header,
                                const Server::Shared& sh, const Route& route, Request& req, std::size_t& bytes_in,
                                bool& keep_alive) {
    auto& tcp = beast::get_lowest_layer(stream);
    const auto& h = header.get();
    if (!header.is_done() && beast::iequals(h[bhttp::field::expect], "100-continue")) {
        bhttp::response<bhttp::empty_body> cont{bhttp::status::continue_, 11};
        tcp.expires_after(limits::kWriteTimeout);
        auto [ec, n] = co_await bhttp::async_write(stream, cont, kTuple);
        if (ec) co_return false;
    }
    keep_alive = false;  // until the whole body is read: a refusal leaves it half-read
    auto multipart = multipart_parser(sh, route, h[bhttp::field::content_type], spools(sh, route, header));
    BodyParser body{std::move(header)};
    body.body_limit(route.body_limit);
    const auto deadline = std::chrono::steady_clock::now() + limits::kBodyTotalTimeout;
    while (!body.is_done()) {
        const auto left = deadline - std::chrono::steady_clock::now();
        if (left <= 0s) co_return false;
        tcp.expires_after(std::min<std::chrono::steady_clock::duration>(limits::kBodyChunkTimeout, left));
        auto [ec, n] = co_await bhttp::async_read_some(stream, buffer, body, kTuple);
        if (ec == bhttp::error::body_limit)
            throw ApiError::payload_too_large("request body exceeds " + std::to_string(route.body_limit) + " bytes");
        if (ec && is_http_error(ec) && ec != bhttp::error::partial_message && ec != bhttp::error::end_of_stream)
            throw ApiError::bad_request("malformed request body");  // malformed chunking etc.
        if (multipart) {
            auto& chunk = body.get().body();
            if (auto error = multipart->feed(chunk)) throw to_api_error(*error);
            bytes_in += chunk.size();
            chunk.clear();
        }
        if (ec) co_return false;
    }
    keep_alive = body.get().keep_alive();
    if (multipart) {
        if (auto error = multipart->finish()) throw to_api_error(*error);
        req.parts = multipart->take_parts();
    }
    req.body = std::move(body.get().body());
    bytes_in += req.body.size();
    co_return true;
}

// The handler, counted in flight while it runs.
asio::awaitable<Response> run_handler(Server::Shared& sh, const Route& route, Request& req) {
    sh.metrics.in_flight.fetch_add(1, std::memory_order_relaxed);
    struct InFlight {
        Metrics& m;
        ~InFlight() { m.in_flight.fetch_sub(1, std::memory_order_relaxed); }
    } in_flight{sh.metrics};
    co_return co_await route.handler(req);
}

// One request whose header was read: routes it (fill_request_head, into the connection's
// RequestHead), refuses a body over the route's limit before reading a byte of it, reads the body,
// runs the handler. Never throws: every failure becomes an error response or a silent close.
template <class Stream>
asio::awaitable<Exchange> exchange(Server::Shared& sh, Stream& stream, beast::flat_buffer& buffer, HeaderParser& header,
                                   RequestHead& head, std::string_view& route_label, std::size_t& bytes_in) {
    Exchange ex;
    ex.slot = sh.metrics.unmatched_slot();
    ex.keep_alive = header.get().keep_alive();
    fill_request_head(header.get(), sh.router, head);
    Request& req = head.request;
    if (req.request_id.empty()) sh.next_request_id(req.request_id);
    if (!head.allow.empty()) ex.response.header("Allow", head.allow);
    std::optional<ApiError> failure = std::move(head.error);
    try {
        if (!failure) {
            const Route& route = *head.route;
            route_label = route.pattern;  // the router outlives the connection
            ex.slot = route.index;
            if (route.subscribe && beast::websocket::is_upgrade(header.get())) {
                auto channel = std::make_shared<PushChannel>(stream.get_executor());
                ex.subscription = co_await route.subscribe(req, channel);  // an ApiError refuses
                ex.channel = std::move(channel);
                ex.upgrade = header.release();
                ex.response.status = 101;
                co_return ex;
            }
            // The unread body makes the connection unusable, so it closes after the answer.
            if (const auto length = header.content_length(); length && *length > route.body_limit) {
                ex.keep_alive = false;
                throw ApiError::payload_too_large("request body exceeds " + std::to_string(route.body_limit) +
                                                  " bytes");
            }
            // Over the budget: refused before a byte of the body is read (and before `100 Continue`,
            // so a client that asked never sends it); the unread body closes the connection.
            auto charge = BodyCharge::take(sh.metrics, sh.upload_memory_budget, body_memory(sh, route, header));
            if (!charge) {
                ex.keep_alive = false;
                sh.metrics.uploads_over_budget.fetch_add(1, std::memory_order_relaxed);
                throw ApiError::unavailable(limits::kOverBudgetRetryAfterSeconds,
                                            "too many uploads in progress; retry later");
            }
            const bool wanted_keep_alive = ex.keep_alive;
            if (!co_await read_body(stream, buffer, header, sh, route, req, bytes_in, ex.keep_alive))
                co_return Exchange::silent(ex.slot);
            ex.keep_alive = ex.keep_alive && wanted_keep_alive;
            ex.response = co_await run_handler(sh, route, req);
            req.parts.reset();  // spool files and fields go with the charge, not with the connection
        }
    } catch (const ApiError& e) {
        failure = e;
    } catch (const std::exception& e) {
        failure = sh.router.translate(e, std::string(route_label));
    }
    if (failure) ex.response = failure_response(sh.router, *failure, req, std::move(ex.response));
    co_return ex;
}

// A WebSocket push stream: messages from the channel go out as text frames; what the client
// sends is read (so pings, pongs and close frames are handled) and ignored. Either side ending
// ends the other: the reader closes the channel, the writer closes the socket.
template <class Stream>
asio::awaitable<void> run_websocket(Stream& stream, UpgradeRequest request, std::shared_ptr<PushChannel> channel,
                                    Connection& conn) {
    namespace websocket = beast::websocket;
    auto& tcp = beast::get_lowest_layer(stream);
    tcp.expires_never();  // the websocket stream keeps its own timeouts
    websocket::stream<Stream&> ws(stream);
    auto timeouts = websocket::stream_base::timeout::suggested(beast::role_type::server);
    timeouts.handshake_timeout = limits::kWriteTimeout;
    timeouts.idle_timeout = limits::kWebSocketIdleTimeout;
    timeouts.keep_alive_pings = true;
    ws.set_option(timeouts);
    ws.read_message_max(limits::kMaxWebSocketMessageBytes);
    auto [ec] = co_await ws.async_accept(request, kTuple);
    if (ec) co_return;
    conn.idle = true;  // nothing in flight that a shutdown should wait for

    auto reader = [&]() -> asio::awaitable<void> {
        beast::flat_buffer buffer;
        for (;;) {
            auto [read_ec, n] = co_await ws.async_read(buffer, kTuple);
            if (read_ec) break;
            buffer.consume(buffer.size());
        }
        channel->close();
    };
    auto writer = [&]() -> asio::awaitable<void> {
        while (auto message = co_await channel->next()) {
            ws.text(true);
            auto [write_ec, n] = co_await ws.async_write(asio::buffer(*message), kTuple);
            if (write_ec) break;
        }
        boost::system::error_code ignored;
        tcp.socket().shutdown(tcp::socket::shutdown_both, ignored);
        tcp.socket().close(ignored);
    };
    using namespace asio::experimental::awaitable_operators;
    co_await (reader() && writer());
}

// A header that could not be read: timeouts and resets end the connection quietly (nullopt);
// malformed or oversized headers get one answer, then the connection closes. The path (for the
// error's format) is the request line's: the target the parser took from it when it got that far
// (Beast consumes the start line from the buffer before the fields; the fields it was reading are
// not trusted), else the request line still in the buffer.
std::optional<Exchange> header_failure(Server::Shared& sh, const boost::system::error_code& ec,
                                       const HeaderParser& header, const beast::flat_buffer& buffer, Request& req) {
    std::optional<ApiError> error;
    if (ec == bhttp::error::header_limit)
        error = ApiError(431, "bad_request", "request header fields too large");
    else if (is_http_error(ec) && ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message)
        error = ApiError::bad_request("malformed HTTP request");
    else
        return std::nullopt;
    const auto data = buffer.cdata();
    const std::string_view parsed = header.get().target();
    if (parsed.starts_with('/'))
        req.path.assign(parsed.substr(0, parsed.find('?')));
    else
        req.path.assign(request_line_path({static_cast<const char*>(data.data()), data.size()}));
    sh.next_request_id(req.request_id);
    req.method = "-";
    return Exchange::closing(sh.router.render_error(*error, req), sh.metrics.unmatched_slot());
}

template <class Stream>
asio::awaitable<void> serve(std::shared_ptr<Server::Shared> sh, Stream& stream, std::shared_ptr<Connection> conn,
                            std::string remote) {
    auto& tcp = beast::get_lowest_layer(stream);
    beast::flat_buffer buffer(limits::kMaxHeaderBytes + limits::kMaxPipelinedBuffer);
    std::string head;  // each answer's status line and fields (write_whole), reused
    // The request, refilled in place for every request of the connection (fill_request_head): its
    // strings and vectors keep their buffers, so a warm connection allocates nothing to hold it.
    // Handlers see it by reference until their answer is written, never longer.
    HeaderArena header_arena;  // before the parser that uses it, so it goes after it
    RequestHead request_head;
    Request& req = request_head.request;
    req.remote_address = std::move(remote);
    req.secure = !std::is_same_v<Stream, beast::tcp_stream>;
    for (;;) {
        if (buffer.size() == 0) {
            // Keep-alive: wait for the next request's first byte, closable at shutdown.
            if (sh->stopping.load()) break;
            conn->idle = true;
            tcp.expires_after(limits::kIdleTimeout);
            auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), kTuple);
            conn->idle = false;
            if (ec) break;
            buffer.commit(n);
        }
        // Fresh per message (Beast #2715), in the arena the previous one's fields are given back to.
        header_arena.reset();
        HeaderParser header(std::piecewise_construct, std::make_tuple(),
                            std::make_tuple(ArenaAllocator<char>(header_arena)));
        header.header_limit(limits::kMaxHeaderBytes);
        // Body limits are per route and checked after routing; Beast's default (1 MB) would
        // reject large Content-Lengths while parsing the header, before we can answer 413.
        header.body_limit(std::numeric_limits<std::uint64_t>::max());
        tcp.expires_after(limits::kHeaderTimeout);
        auto [ec, n] = co_await bhttp::async_read_header(stream, buffer, header, kTuple);
        const auto started = std::chrono::steady_clock::now();
        std::string_view route_label = "unmatched";
        std::size_t bytes_in = 0;
        Exchange ex;
        if (ec) {
            reset_request(req);
            auto failed = header_failure(*sh, ec, header, buffer, req);
            if (!failed) break;
            ex = std::move(*failed);
        } else {
            ex = co_await exchange(*sh, stream, buffer, header, request_head, route_label, bytes_in);
            if (!ex.send) break;
            if (ex.upgrade) {
                const double seconds =
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
                sh->metrics.record(ex.slot, 101, seconds);
                log_exchange(*sh, req, route_label, ex, seconds, 0);
                co_await run_websocket(stream, std::move(*ex.upgrade), ex.channel, *conn);
                co_return;
            }
        }
        if (sh->stopping.load()) ex.keep_alive = false;
        const bool written = co_await write_response(*sh, stream, head, req, ex, route_label);
        const int status = ex.response.status;  // a stream that failed before its header: the error's
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        sh->metrics.record(ex.slot, status, seconds);
        log_exchange(*sh, req, route_label, ex, seconds, bytes_in);
        if (!written || !ex.keep_alive) break;
    }
}

asio::awaitable<void> run_connection(std::shared_ptr<Server::Shared> sh, tcp::socket socket,
                                     std::shared_ptr<asio::ssl::context> tls, std::size_t context) {
    auto& metrics = sh->metrics;
    metrics.open_connections.fetch_add(1, std::memory_order_relaxed);
    metrics.connections_total.fetch_add(1, std::memory_order_relaxed);
    sh->contexts.open_connections(context).fetch_add(1, std::memory_order_relaxed);
    sh->contexts.accepted_connections(context).fetch_add(1, std::memory_order_relaxed);
    auto conn = std::make_shared<Connection>();
    std::uint64_t id = 0;
    {
        std::lock_guard lock(sh->mutex);
        id = sh->next_connection_id++;
        sh->connections.emplace(id, std::make_pair(socket.get_executor(), conn));
    }
    struct Unregister {
        Server::Shared& sh;
        std::uint64_t id;
        std::size_t context;
        ~Unregister() {
            std::lock_guard lock(sh.mutex);
            sh.connections.erase(id);
            sh.contexts.open_connections(context).fetch_sub(1, std::memory_order_relaxed);
            sh.metrics.open_connections.fetch_sub(1, std::memory_order_relaxed);
        }
    } unregister{*sh, id, context};

    boost::system::error_code ignored;
    const auto endpoint = socket.remote_endpoint(ignored);
    const std::string remote = ignored ? std::string("-") : endpoint.address().to_string();
    try {
        if (!tls) {
            beast::tcp_stream stream(std::move(socket));
            conn->tcp = &stream;
            co_await serve(sh, stream, conn, remote);
            stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
            conn->tcp = nullptr;
            co_return;
        }
        beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), *tls);
        conn->tcp = &beast::get_lowest_layer(stream);
        beast::get_lowest_layer(stream).expires_after(limits::kTlsHandshakeTimeout);
        auto [ec] = co_await stream.async_handshake(asio::ssl::stream_base::server, kTuple);
        if (!ec) {
            co_await serve(sh, stream, conn, remote);
            // close_notify, bounded: a peer that never answers must not hold us (Beast #2807).
            beast::get_lowest_layer(stream).expires_after(limits::kTlsShutdownTimeout);
            co_await stream.async_shutdown(kTuple);
        }
        conn->tcp = nullptr;
    } catch (const std::exception& e) {
        conn->tcp = nullptr;
        std::fprintf(stderr, "civicsnapd: connection error: %s\n", e.what());
    }
}

asio::awaitable<void> accept_loop(std::shared_ptr<Server::Shared> sh, std::shared_ptr<tcp::acceptor> acceptor,
                                  std::shared_ptr<asio::ssl::context> tls) {
    for (;;) {
        // The socket is made on its connection's context: everything it does runs on that thread.
        const std::size_t context = sh->next_context;
        auto [ec, socket] = co_await acceptor->async_accept(sh->contexts.at(context), kTuple);
        if (sh->stopping.load() || ec == asio::error::operation_aborted) co_return;
        if (ec) {
            // Out of descriptors and the like: back off briefly instead of spinning.
            asio::steady_timer pause(sh->ioc, 50ms);
            co_await pause.async_wait(kTuple);
            continue;
        }
        if (sh->metrics.open_connections.load(std::memory_order_relaxed) >=
            static_cast<std::int64_t>(limits::kMaxConnections)) {
            sh->metrics.connections_refused.fetch_add(1, std::memory_order_relaxed);
            boost::system::error_code ignored;
            socket.close(ignored);
            continue;
        }
        socket.set_option(tcp::no_delay(true), ec);
        sh->next_context = (context + 1) % sh->contexts.size();
        auto executor = socket.get_executor();
        asio::co_spawn(executor, run_connection(sh, std::move(socket), tls, context), asio::detached);
    }
}

}  // namespace

Server::Server(IoContexts& contexts, const Router& router, Metrics& metrics, AccessLog* access_log)
    : shared_(std::make_shared<Shared>(contexts, router, metrics, access_log)) {}

Server::~Server() = default;

void Server::set_uploads(std::string spool_dir, std::size_t memory_budget) {
    shared_->spool_dir = std::move(spool_dir);
    shared_->upload_memory_budget = memory_budget;
    shared_->metrics.upload_memory_budget.store(static_cast<std::int64_t>(memory_budget));
}

namespace {
unsigned short bind_and_accept(std::shared_ptr<Server::Shared> sh, const std::string& host, unsigned short port,
                               std::shared_ptr<asio::ssl::context> tls) {
    auto acceptor = std::make_shared<tcp::acceptor>(sh->ioc);
    const tcp::endpoint endpoint(asio::ip::make_address(host), port);
    acceptor->open(endpoint.protocol());
    acceptor->set_option(asio::socket_base::reuse_address(true));
    acceptor->bind(endpoint);
    acceptor->listen(asio::socket_base::max_listen_connections);
    const auto bound = acceptor->local_endpoint().port();
    {
        std::lock_guard lock(sh->mutex);
        sh->acceptors.push_back(acceptor);
    }
    asio::co_spawn(sh->ioc, accept_loop(sh, acceptor, std::move(tls)), asio::detached);
    return bound;
}
}  // namespace

unsigned short Server::listen(const std::string& host, unsigned short port) {
    return bind_and_accept(shared_, host, port, nullptr);
}

unsigned short Server::listen_tls(const std::string& host, unsigned short port, const std::string& cert_file,
                                  const std::string& key_file) {
    return bind_and_accept(shared_, host, port, make_tls_context(cert_file, key_file));
}

std::shared_ptr<asio::ssl::context> Server::make_tls_context(const std::string& cert_file,
                                                             const std::string& key_file) {
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                     asio::ssl::context::no_compression | asio::ssl::context::single_dh_use);
    SSL_CTX* native = ctx->native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    // TLS 1.2: forward-secret AEAD suites only. TLS 1.3's suites are all AEAD already.
    if (SSL_CTX_set_cipher_list(native,
                                "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                                "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                                "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305") != 1) {
        throw std::runtime_error("TLS: cipher list rejected");
    }
    ctx->use_certificate_chain_file(cert_file);
    ctx->use_private_key_file(key_file, asio::ssl::context::pem);
    return ctx;
}

void Server::shutdown(std::function<void()> done) {
    auto sh = shared_;
    sh->stopping.store(true);
    std::vector<std::pair<asio::any_io_executor, std::shared_ptr<Connection>>> open;
    {
        std::lock_guard lock(sh->mutex);
        for (auto& acceptor : sh->acceptors) {
            asio::post(sh->ioc, [acceptor] {
                boost::system::error_code ignored;
                acceptor->close(ignored);
            });
        }
        for (auto& [id, entry] : sh->connections) open.push_back(entry);
    }
    // Idle keep-alive connections are closed now; busy ones finish their request and then see
    // `stopping` and close themselves.
    for (auto& [executor, conn] : open) {
        asio::post(executor, [conn] {
            if (conn->idle && conn->tcp) conn->tcp->cancel();
        });
    }
    asio::co_spawn(
        sh->ioc,
        [sh, done = std::move(done)]() -> asio::awaitable<void> {
            const auto deadline = std::chrono::steady_clock::now() + limits::kShutdownGrace;
            asio::steady_timer timer(sh->ioc);
            while (sh->metrics.open_connections.load() > 0 && std::chrono::steady_clock::now() < deadline) {
                timer.expires_after(20ms);
                co_await timer.async_wait(kTuple);
            }
            // What is still open is dropped: the caller stops the contexts, and their pending
            // handlers are destroyed by IoContexts::destroy_pending_handlers().
            if (const auto left = sh->metrics.open_connections.load(); left > 0)
                std::fprintf(stderr, "civicsnapd: shutdown grace ended with %lld connection(s) open; dropping them\n",
                             static_cast<long long>(left));
            done();
        },
        asio::detached);
}

}  // namespace civic::http
