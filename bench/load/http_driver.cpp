#include "bench/load/http_driver.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <iostream>
#include <memory>

namespace civic::load {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kIoTimeout = std::chrono::seconds(60);
constexpr std::uint64_t kMaxResponseBytes = 64u << 20;
constexpr std::size_t kMaxReportedErrors = 3;

bhttp::request<bhttp::string_body> to_request(const Target& target, const Call& call) {
    bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(call.method), call.target, 11};
    req.set(bhttp::field::host, target.host + ":" + std::to_string(target.port));
    req.set(bhttp::field::user_agent, "civicsnap-load");
    for (const auto& [name, value] : call.headers) req.set(name, value);
    req.body() = call.body;
    req.keep_alive(true);
    req.prepare_payload();
    return req;
}

struct Shared {
    const Target& target;
    const DriveOptions& options;
    const MakeCall& make;
    const CheckReply& check;
    Clock::time_point deadline;
    std::size_t issued = 0;
    std::size_t reported_errors = 0;
    std::size_t running = 0;
    Clock::time_point last_done;
    DriveResult result;

    void report_error(const std::string& what) {
        if (reported_errors++ < kMaxReportedErrors) std::cerr << "civicsnap-load: " << what << "\n";
    }
};

// One connection's closed loop. Everything runs on one thread, so Shared needs no locks.
asio::awaitable<void> connection_loop(Shared& s, std::size_t index) {
    beast::tcp_stream stream(co_await asio::this_coro::executor);
    beast::flat_buffer buffer;
    const tcp::endpoint endpoint(asio::ip::make_address(s.target.host), s.target.port_for(index));
    bool connected = false;
    for (;;) {
        if (Clock::now() >= s.deadline) break;
        if (s.options.max_requests && s.issued >= s.options.max_requests) break;
        auto call = s.make(index);
        if (!call) break;
        ++s.issued;
        const auto request = to_request(s.target, *call);
        const auto start = Clock::now();
        bool ok = false;
        bool keep = false;
        std::string failure;
        try {
            if (!connected) {
                stream.expires_after(kIoTimeout);
                co_await stream.async_connect(endpoint, asio::use_awaitable);
                stream.socket().set_option(tcp::no_delay(true));
                connected = true;
            }
            stream.expires_after(kIoTimeout);
            co_await bhttp::async_write(stream, request, asio::use_awaitable);
            bhttp::response_parser<bhttp::string_body> parser;
            parser.body_limit(kMaxResponseBytes);
            co_await bhttp::async_read(stream, buffer, parser, asio::use_awaitable);
            const auto& response = parser.get();
            Reply reply{static_cast<int>(response.result_int()), response.body()};
            ok = s.check(index, reply);
            keep = response.keep_alive();
            if (!ok)
                failure = call->method + " " + call->target + " -> " + std::to_string(reply.status) + " " +
                          reply.body.substr(0, 300);
        } catch (const std::exception& e) {
            failure = call->method + " " + call->target + ": " + e.what();
        }
        s.result.latencies.add(Clock::now() - start, ok);
        if (!failure.empty()) s.report_error(failure);
        if (!keep && connected) {
            beast::error_code ignored;
            stream.socket().close(ignored);
            buffer.clear();
            connected = false;
        }
    }
    s.last_done = std::max(s.last_done, Clock::now());
    --s.running;
}

}  // namespace

DriveResult drive(const Target& target, const DriveOptions& options, const MakeCall& make, const CheckReply& check) {
    asio::io_context ioc(1);
    Shared s{target, options, make, check, {}, 0, 0, 0, {}, {}};
    const auto start = Clock::now();
    s.deadline = start + options.duration;
    s.last_done = start;
    s.running = options.connections;
    for (std::size_t i = 0; i < options.connections; ++i) asio::co_spawn(ioc, connection_loop(s, i), asio::detached);
    ioc.run();
    s.result.seconds = std::chrono::duration<double>(s.last_done - start).count();
    return std::move(s.result);
}

Reply fetch(const Target& target, const Call& call) {
    asio::io_context ioc(1);
    beast::tcp_stream stream(ioc);
    stream.connect(tcp::endpoint(asio::ip::make_address(target.host), target.port));
    bhttp::write(stream, to_request(target, call));
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(kMaxResponseBytes);
    bhttp::read(stream, buffer, parser);
    return {static_cast<int>(parser.get().result_int()), parser.get().body()};
}

namespace {

struct IdleState {
    const Target& target;
    tcp::endpoint endpoint;
    std::string path;
    std::vector<std::unique_ptr<beast::tcp_stream>> streams;
    std::size_t next = 0;
    std::size_t open = 0;
    std::size_t failed = 0;
};

// Workers take connection slots one after another, so that at most `workers` handshakes are in
// flight: a burst of 10,000 SYNs would overflow the listen backlog and time out in retries.
asio::awaitable<void> open_idle(IdleState& st) {
    while (st.next < st.streams.size()) {
        auto& stream = st.streams[st.next++];
        try {
            stream->expires_after(kIoTimeout);
            co_await stream->async_connect(st.endpoint, asio::use_awaitable);
            bhttp::request<bhttp::empty_body> req{bhttp::verb::get, st.path, 11};
            req.set(bhttp::field::host, st.target.host);
            req.keep_alive(true);
            co_await bhttp::async_write(*stream, req, asio::use_awaitable);
            beast::flat_buffer buffer;
            bhttp::response<bhttp::string_body> response;
            co_await bhttp::async_read(*stream, buffer, response, asio::use_awaitable);
            stream->expires_never();
            if (response.result_int() == 200 && response.keep_alive())
                ++st.open;
            else
                ++st.failed;
        } catch (const std::exception& e) {
            if (st.failed++ < kMaxReportedErrors) std::cerr << "civicsnap-load: idle connection: " << e.what() << "\n";
        }
    }
}

}  // namespace

std::size_t hold_idle(const Target& target, std::size_t connections, const std::string& path,
                      const std::function<void(std::size_t open)>& while_idle) {
    asio::io_context ioc(1);
    IdleState st{target, tcp::endpoint(asio::ip::make_address(target.host), target.port), path, {}, 0, 0, 0};
    st.streams.reserve(connections);
    for (std::size_t i = 0; i < connections; ++i) st.streams.push_back(std::make_unique<beast::tcp_stream>(ioc));
    constexpr std::size_t kWorkers = 128;
    for (std::size_t i = 0; i < std::min(kWorkers, connections); ++i)
        asio::co_spawn(ioc, open_idle(st), asio::detached);
    ioc.run();
    while_idle(st.open);
    for (auto& s : st.streams) {
        beast::error_code ignored;
        s->socket().close(ignored);
    }
    return st.open;
}

}  // namespace civic::load
