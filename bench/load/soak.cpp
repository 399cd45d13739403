#include "bench/load/soak.hpp"

#include "bench/load/jpeg_pool.hpp"
#include "bench/load/soak_trend.hpp"
#include "common/crypto.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <sstream>

namespace civic::load {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

namespace {

constexpr auto kIoTimeout = std::chrono::seconds(120);  // an intake waits for decode slots
constexpr std::uint64_t kMaxResponseBytes = 32u << 20;
constexpr std::size_t kMaxReportedProblems = 20;
constexpr std::int64_t kRewardStock = 1'000'000;  // the API's maximum
constexpr std::size_t kReadBackConnections = 4;
constexpr std::size_t kChartRows = 12;
constexpr std::size_t kChartColumns = 60;
constexpr std::size_t kTableRows = 16;
// The demo city's grid MZ-01 (auto-assigning), as civicsnap-load intake uses it.
constexpr double kLatMin = 23.3725, kLatMax = 23.3815, kLonMin = 103.341, kLonMax = 103.361;
const std::string kBoundary = "civicsnap-soak-b0undary-7q1x";
const std::string kSku = "soak-soap";

// ---- one keep-alive HTTP connection ----

class Client {
public:
    Client(asio::any_io_executor executor, tcp::endpoint endpoint, std::string host)
        : stream_(std::move(executor)), endpoint_(endpoint), host_(std::move(host)) {}

    // The reply; throws on a connection failure (counted by the caller).
    asio::awaitable<Reply> send(const Call& call) {
        bhttp::request<bhttp::string_body> req{bhttp::string_to_verb(call.method), call.target, 11};
        req.set(bhttp::field::host, host_);
        req.set(bhttp::field::user_agent, "civicsnap-soak");
        for (const auto& [name, value] : call.headers) req.set(name, value);
        req.body() = call.body;
        req.keep_alive(true);
        req.prepare_payload();
        try {
            if (!connected_) {
                stream_.expires_after(kIoTimeout);
                co_await stream_.async_connect(endpoint_, asio::use_awaitable);
                stream_.socket().set_option(tcp::no_delay(true));
                connected_ = true;
            }
            stream_.expires_after(kIoTimeout);
            co_await bhttp::async_write(stream_, req, asio::use_awaitable);
            bhttp::response_parser<bhttp::string_body> parser;
            parser.body_limit(kMaxResponseBytes);
            co_await bhttp::async_read(stream_, buffer_, parser, asio::use_awaitable);
            Reply reply{static_cast<int>(parser.get().result_int()), parser.get().body()};
            if (!parser.get().keep_alive()) close();
            co_return reply;
        } catch (...) {
            close();
            throw;
        }
    }

private:
    void close() {
        beast::error_code ignored;
        stream_.socket().close(ignored);
        buffer_.clear();
        connected_ = false;
    }

    beast::tcp_stream stream_;
    tcp::endpoint endpoint_;
    std::string host_;
    beast::flat_buffer buffer_;
    bool connected_ = false;
};

Call json_call(std::string method, std::string target, const std::string& token, const json& body = nullptr) {
    Call c{std::move(method), std::move(target), body.is_null() ? std::string() : body.dump(), {}};
    if (!token.empty()) c.headers.emplace_back("Authorization", "Bearer " + token);
    if (!body.is_null()) c.headers.emplace_back("Content-Type", "application/json");
    return c;
}

json parse_json(const std::string& text) { return json::parse(text, nullptr, false); }

// ---- the daemon's resources ----

struct Sample {
    double seconds = 0;
    double rss_mib = 0;
    double fds = 0;
    double wal_mib = 0;
    std::size_t requests = 0;  // answered in this window
    std::size_t unavailable = 0;
    double p99_ms = 0;
    std::size_t reports = 0;  // 201s so far
    std::size_t frames = 0;   // WebSocket frames so far
};

std::optional<double> rss_mib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(in, line);)
        if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
    return std::nullopt;
}

double open_fds(pid_t pid) {
    std::error_code ec;
    double n = 0;
    for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
        ++n;
    return n;
}

double wal_mib(const std::string& data_dir) {
    std::error_code ec;
    double bytes = 0;
    for (auto it = std::filesystem::directory_iterator(data_dir, ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
        const auto name = it->path().filename().string();
        if (name.ends_with("-wal")) bytes += static_cast<double>(it->file_size(ec));
    }
    return bytes / (1024.0 * 1024.0);
}

double p99_ms(std::vector<std::uint32_t> micros) {
    if (micros.empty()) return 0;
    std::sort(micros.begin(), micros.end());
    const auto rank = static_cast<std::size_t>(std::ceil(0.99 * static_cast<double>(micros.size())));
    return micros[std::clamp<std::size_t>(rank, 1, micros.size()) - 1] / 1000.0;
}

// ---- the run ----

struct Created {
    std::int64_t id = 0;
    std::vector<std::int64_t> photos;
};

struct Soak {
    explicit Soak(const SoakOptions& options)
        : o(options),
          endpoint(asio::ip::make_address(options.target.host), options.target.port),
          host(options.target.host + ":" + std::to_string(options.target.port)) {}

    const SoakOptions& o;
    tcp::endpoint endpoint;
    std::string host;
    std::string run_id = crypto::random_token(6);  // Idempotency-Keys unique to this run
    Clock::time_point start;
    Clock::time_point deadline;
    std::mt19937_64 rng{2026};

    std::string admin, dispatcher;
    std::vector<std::string> residents;
    std::vector<std::string> categories;
    std::vector<std::string> photos;
    std::string kiosk_key, kiosk_secret;
    std::int64_t stock_before = 0;

    // Counters (one thread: no locks).
    std::map<std::string, std::size_t> ok_by_kind;
    std::size_t answered = 0, unavailable = 0, server_errors = 0, dropped = 0, unexpected = 0;
    std::vector<std::uint32_t> window_micros;
    std::size_t window_unavailable = 0;
    std::vector<std::string> problems;
    std::vector<Created> created;
    std::deque<std::int64_t> to_accept;
    std::size_t next_photo = 0;
    std::size_t redemptions = 0;
    std::size_t frames = 0, ws_drops = 0;
    std::vector<std::shared_ptr<websocket::stream<beast::tcp_stream>>> sockets;
    std::vector<Sample> samples;
    bool daemon_gone = false;

    bool running() const { return Clock::now() < deadline; }

    void problem(std::string what) {
        if (problems.size() < kMaxReportedProblems) problems.push_back(std::move(what));
        std::cerr << "civicsnap-soak: " << problems.back() << "\n";
    }

    // Sends one request and files its answer: `expected` is success; 503 is the allowed refusal;
    // any other 5xx, a 4xx and a dropped connection are problems. nullopt when there is no answer.
    asio::awaitable<std::optional<Reply>> call(Client& client, const Call& c, const std::string& kind, int expected) {
        const auto t0 = Clock::now();
        Reply reply;
        try {
            reply = co_await client.send(c);
        } catch (const std::exception& e) {
            ++dropped;
            problem(kind + ": " + c.method + " " + c.target + ": " + e.what());
            co_return std::nullopt;
        }
        ++answered;
        window_micros.push_back(static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count()));
        if (reply.status == expected) {
            ++ok_by_kind[kind];
        } else if (reply.status == 503) {
            ++unavailable;
            ++window_unavailable;
        } else {
            ++(reply.status >= 500 ? server_errors : unexpected);
            problem(kind + ": " + c.method + " " + c.target + " -> " + std::to_string(reply.status) + " " +
                    reply.body.substr(0, 200));
        }
        co_return reply;
    }

    asio::awaitable<void> pause(std::chrono::milliseconds d) {
        asio::steady_timer timer(co_await asio::this_coro::executor,
                                 std::min<Clock::duration>(d, deadline - Clock::now()));
        co_await timer.async_wait(asio::use_awaitable);
    }

    Client client(asio::any_io_executor ex) const { return Client(std::move(ex), endpoint, host); }

    // ---- the load ----

    // Photo n of the run: a pool JPEG with the last entry of its first quantisation table set to
    // a value of its own, so that the daemon stores new bytes (content addresses are per byte) for
    // tens of thousands of photos without encoding each; the picture stays a valid JPEG.
    std::string distinct_photo(std::size_t n) const {
        std::string jpeg = photos[n % photos.size()];
        const auto dqt = jpeg.find("\xFF\xDB");
        constexpr std::size_t kLastEntry = 4 + 1 + 63;  // marker, length, Pq/Tq, 64 8-bit entries
        if (dqt != std::string::npos && dqt + kLastEntry < jpeg.size() && (jpeg[dqt + 4] & 0xF0) == 0)
            jpeg[dqt + kLastEntry] = static_cast<char>(1 + (n / photos.size()) % 254);
        return jpeg;
    }

    Call intake_call() {
        std::uniform_real_distribution<double> lat(kLatMin, kLatMax), lon(kLonMin, kLonMax);
        const json meta = {{"category", categories[rng() % categories.size()]},
                           {"description", "浸泡测试 Soak report: a loose drain cover by the bus stop"},
                           {"lat", lat(rng)},
                           {"lon", lon(rng)}};
        Call c;
        c.method = "POST";
        c.target = "/api/v1/reports";
        c.headers = {{"Authorization", "Bearer " + residents[rng() % residents.size()]},
                     {"Content-Type", "multipart/form-data; boundary=" + kBoundary}};
        c.body.append("--" + kBoundary +
                      "\r\nContent-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/json\r\n\r\n");
        c.body.append(meta.dump());
        const std::size_t count = 1 + rng() % 3;
        for (std::size_t i = 0; i < count; ++i) {
            c.body.append("\r\n--" + kBoundary +
                          "\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"snap.jpg\"\r\n"
                          "Content-Type: image/jpeg\r\n\r\n");
            c.body.append(distinct_photo(next_photo++));
        }
        c.body.append("\r\n--" + kBoundary + "--\r\n");
        return c;
    }

    asio::awaitable<void> intake_loop() {
        auto http = client(co_await asio::this_coro::executor);
        while (running()) {
            const auto reply = co_await call(http, intake_call(), "intake", 201);
            if (reply && reply->status == 201) {
                const auto j = parse_json(reply->body);
                Created c;
                c.id = j.value("id", std::int64_t{0});
                for (const auto& p : j.value("photos", json::array()))
                    c.photos.push_back(p.value("id", std::int64_t{0}));
                created.push_back(c);
                to_accept.push_back(c.id);
            }
            co_await pause(o.intake_pause);
        }
    }

    asio::awaitable<void> action_loop() {
        auto http = client(co_await asio::this_coro::executor);
        while (running()) {
            if (!to_accept.empty()) {
                const auto id = to_accept.front();
                to_accept.pop_front();
                const json accept = {{"action", "accept"}};  // built outside co_await (a GCC coroutine bug)
                const auto c =
                    json_call("POST", "/api/v1/reports/" + std::to_string(id) + "/actions", dispatcher, accept);
                co_await call(http, c, "accept", 200);
            }
            co_await pause(o.action_pause);
        }
    }

    asio::awaitable<void> read_loop() {
        auto http = client(co_await asio::this_coro::executor);
        std::uniform_real_distribution<double> pick(0, 1);
        while (running()) {
            const double r = pick(rng);
            if (created.empty() || r < 0.15) {
                co_await call(http, json_call("GET", "/api/v1/categories", ""), "read", 200);
            } else {
                const auto& c = created[rng() % created.size()];
                const auto photo = c.photos.empty() ? std::int64_t{0} : c.photos[rng() % c.photos.size()];
                if (r < 0.45 || photo == 0)
                    co_await call(http, json_call("GET", "/api/v1/reports/" + std::to_string(c.id), dispatcher), "read",
                                  200);
                else if (r < 0.75)
                    co_await call(
                        http,
                        json_call("GET", "/api/v1/photos/" + std::to_string(photo) + "?variant=thumb", dispatcher),
                        "read", 200);
                else if (r < 0.85)
                    co_await call(http, json_call("GET", "/api/v1/photos/" + std::to_string(photo), dispatcher), "read",
                                  200);
                else
                    co_await call(http, json_call("GET", "/api/v1/me/points", residents[rng() % residents.size()]),
                                  "read", 200);
            }
            co_await pause(o.read_pause);
        }
    }

    Call redemption_call(const std::string& code, std::uint64_t serial) const {
        Call c;
        c.method = "POST";
        c.target = "/api/v1/kiosk/redemptions";
        c.body = json({{"token", code}, {"items", json::array({{{"sku", kSku}, {"qty", 1}}})}}).dump();
        const auto ts = std::to_string(std::time(nullptr));
        const auto text = c.method + "\n" + c.target + "\n" + ts + "\n" + crypto::sha256_hex(c.body);
        c.headers = {{"Content-Type", "application/json"},
                     {"X-Kiosk-Key", kiosk_key},
                     {"X-Kiosk-Timestamp", ts},
                     {"X-Kiosk-Signature", crypto::hex_encode(crypto::hmac_sha256(kiosk_secret, text))},
                     {"Idempotency-Key", "soak-" + run_id + "-" + std::to_string(serial)}};
        return c;
    }

    asio::awaitable<void> redeem_loop(std::size_t index) {
        auto http = client(co_await asio::this_coro::executor);
        std::uint64_t serial = index << 40;
        while (running()) {
            const auto code = co_await call(
                http, json_call("POST", "/api/v1/me/redeem-token", residents[rng() % residents.size()], json::object()),
                "redeem-token", 201);
            if (code && code->status == 201) {
                const auto token = parse_json(code->body).value("token", std::string());
                const auto done = co_await call(http, redemption_call(token, serial++), "redeem", 201);
                if (done && done->status == 201) ++redemptions;
            }
            co_await pause(o.redeem_pause);
        }
    }

    // A subscriber reads every frame until the end; a connection the server drops is counted and
    // opened again.
    asio::awaitable<void> subscriber(std::string token) {
        auto ex = co_await asio::this_coro::executor;
        while (running()) {
            auto ws = std::make_shared<websocket::stream<beast::tcp_stream>>(ex);
            sockets.push_back(ws);
            try {
                beast::get_lowest_layer(*ws).expires_after(kIoTimeout);
                co_await beast::get_lowest_layer(*ws).async_connect(endpoint, asio::use_awaitable);
                beast::get_lowest_layer(*ws).expires_never();
                ws->set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
                ws->set_option(websocket::stream_base::decorator([token](websocket::request_type& req) {
                    req.set(bhttp::field::authorization, "Bearer " + token);
                }));
                co_await ws->async_handshake(host, "/api/v1/stream", asio::use_awaitable);
                beast::flat_buffer buffer;
                for (;;) {
                    co_await ws->async_read(buffer, asio::use_awaitable);
                    ++frames;
                    buffer.clear();
                }
            } catch (const std::exception& e) {
                if (!running()) break;  // closed by us at the end
                ++ws_drops;
                problem(std::string("push: subscriber connection lost: ") + e.what());
            }
            co_await pause(std::chrono::milliseconds(1000));
        }
    }

    // ---- sampling ----

    void take_sample() {
        Sample s;
        s.seconds = std::chrono::duration<double>(Clock::now() - start).count();
        const auto rss = rss_mib(o.daemon_pid);
        if (!rss) {
            daemon_gone = true;
            problem("the daemon (pid " + std::to_string(o.daemon_pid) + ") is gone");
            deadline = Clock::now();
            return;
        }
        s.rss_mib = *rss;
        s.fds = open_fds(o.daemon_pid);
        s.wal_mib = wal_mib(o.data_dir);
        s.requests = window_micros.size();
        s.unavailable = window_unavailable;
        s.p99_ms = p99_ms(std::move(window_micros));
        window_micros.clear();
        window_unavailable = 0;
        s.reports = created.size();
        s.frames = frames;
        samples.push_back(s);
        std::cerr << "civicsnap-soak: t=" << static_cast<int>(s.seconds) << "s rss=" << s.rss_mib << "MiB fds=" << s.fds
                  << " wal=" << s.wal_mib << "MiB requests=" << s.requests << " p99=" << s.p99_ms
                  << "ms reports=" << s.reports << "\n";
    }

    asio::awaitable<void> sampler() {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        auto next = start;
        while (running()) {
            next += o.sample_every;
            timer.expires_at(std::min(next, deadline));
            co_await timer.async_wait(asio::use_awaitable);
            if (Clock::now() >= next) take_sample();
        }
        for (auto& ws : sockets) {  // the subscribers end with the run
            beast::error_code ignored;
            beast::get_lowest_layer(*ws).socket().close(ignored);
        }
    }
};

// ---- set-up, through the real API (a --demo daemon: its admin and dispatcher) ----

Reply must(const Target& target, const Call& call, int expected) {
    auto reply = fetch(target, call);
    if (reply.status != expected)
        throw std::runtime_error(call.method + " " + call.target + " -> " + std::to_string(reply.status) + " " +
                                 reply.body.substr(0, 300));
    return reply;
}

std::int64_t reward_stock(const Target& target) {
    const auto j = parse_json(must(target, json_call("GET", "/api/v1/rewards", ""), 200).body);
    const auto& items = j.is_object() && j.contains("items") ? j["items"] : j;
    for (const auto& r : items)
        if (r.value("sku", "") == kSku) return r.value("stock", std::int64_t{-1});
    throw std::runtime_error("reward " + kSku + " is missing");
}

void set_up(Soak& s) {
    const auto& t = s.o.target;
    auto login = [&](const char* phone, const char* password) {
        return parse_json(
                   must(t, json_call("POST", "/api/v1/auth/login", "", {{"phone", phone}, {"password", password}}), 200)
                       .body)
            .value("token", std::string());
    };
    s.admin = login("13800000000", "demo-admin-2026");
    s.dispatcher = login("13800000001", "demo-pass-2026");
    const auto run = static_cast<unsigned>(std::time(nullptr) % 10000);
    for (std::size_t i = 0; i < s.o.residents; ++i) {
        const auto digits = std::to_string(10000 + run).substr(1) + std::to_string(10000 + i % 10000).substr(1);
        const auto phone = "159" + digits;
        const auto reg = parse_json(must(t,
                                         json_call("POST", "/api/v1/auth/register", "",
                                                   {{"phone", phone},
                                                    {"password", "soak-pass-" + std::to_string(i)},
                                                    {"display_name", "浸泡居民" + std::to_string(i)}}),
                                         201)
                                        .body);
        s.residents.push_back(reg.value("token", std::string()));
        must(t,
             json_call("POST", "/api/v1/admin/points/adjustments", s.admin,
                       {{"user_id", reg["user"]["id"]}, {"points", 1'000'000}, {"reason", "soak"}}),
             201);
    }
    must(t,
         json_call("POST", "/api/v1/admin/rewards", s.admin,
                   {{"sku", kSku},
                    {"name", "浸泡香皂 Soak soap"},
                    {"points_cost", 1},
                    {"stock", kRewardStock},
                    {"kind", "goods"}}),
         201);
    const auto kiosk = parse_json(
        must(t, json_call("POST", "/api/v1/admin/kiosks", s.admin, {{"name", "浸泡收银台"}, {"store", "浸泡超市"}}),
             201)
            .body);
    s.kiosk_key = kiosk.value("key_id", std::string());
    s.kiosk_secret = kiosk.value("secret", std::string());
    const auto categories = parse_json(must(t, json_call("GET", "/api/v1/categories", ""), 200).body);
    for (const auto& c : categories["items"]) s.categories.push_back(c["code"]);
    if (s.categories.empty()) throw std::runtime_error("no categories");
    s.stock_before = reward_stock(t);
    std::cerr << "civicsnap-soak: encoding " << s.o.photos << " distinct JPEGs\n";
    s.photos = make_jpeg_pool(s.o.photos, s.o.photo_bytes, s.o.photo_width, s.o.photo_height);
}

// ---- after the run: every acknowledged write is there ----

struct ReadBack {
    std::size_t reports_missing = 0;
    std::size_t photos_missing = 0;
    std::size_t photos_read = 0;
};

asio::awaitable<void> read_back_loop(Soak& s, ReadBack& rb, std::size_t& next) {
    auto http = s.client(co_await asio::this_coro::executor);
    while (next < s.created.size()) {
        const auto& c = s.created[next++];
        Reply r;
        try {
            r = co_await http.send(json_call("GET", "/api/v1/reports/" + std::to_string(c.id), s.dispatcher));
        } catch (const std::exception& e) {
            r.status = 0;
        }
        const auto j = parse_json(r.body);
        if (r.status != 200 || !j.is_object() || j.value("photos", json::array()).size() != c.photos.size()) {
            ++rb.reports_missing;
            s.problem("lost: report " + std::to_string(c.id) + " -> " + std::to_string(r.status));
            continue;
        }
        for (const auto photo : c.photos) {
            Reply p;
            try {
                p = co_await http.send(json_call("GET", "/api/v1/photos/" + std::to_string(photo), s.dispatcher));
            } catch (const std::exception&) {
                p.status = 0;
            }
            ++rb.photos_read;
            if (p.status != 200 || p.body.empty()) {
                ++rb.photos_missing;
                s.problem("lost: photo " + std::to_string(photo) + " -> " + std::to_string(p.status));
            }
        }
    }
}

// ---- the summary ----

std::string fixed(double v, int decimals = 1) {
    char b[64];
    std::snprintf(b, sizeof b, "%.*f", decimals, v);
    return b;
}

std::string trend_row(const Trend& t, const std::vector<double>& values, const std::string& unit) {
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    std::ostringstream row;
    row << "| " << t.resource << " (" << unit << ") | " << fixed(values.front()) << " | " << fixed(*lo) << " | "
        << fixed(*hi) << " | " << fixed(values.back()) << " | "
        << (t.slope_per_minute ? fixed(*t.slope_per_minute, 3) : "not judged (run too short)") << " | "
        << fixed(t.threshold_per_minute, 1) << " | " << (t.leaking() ? "**climbing**" : "flat") << " |";
    return row.str();
}

// Columns of the run's time, rows of RSS: each column shows the highest sample in it.
std::string rss_chart(const std::vector<Sample>& samples) {
    double lo = samples.front().rss_mib, hi = lo;
    for (const auto& s : samples) lo = std::min(lo, s.rss_mib), hi = std::max(hi, s.rss_mib);
    if (hi - lo < 1) hi = lo + 1;
    const std::size_t columns = std::min(kChartColumns, samples.size());
    std::vector<double> top(columns, lo);
    for (std::size_t i = 0; i < samples.size(); ++i) {
        auto& v = top[i * columns / samples.size()];
        v = std::max(v, samples[i].rss_mib);
    }
    std::ostringstream out;
    for (std::size_t row = kChartRows; row-- > 0;) {
        const double level = lo + (hi - lo) * (static_cast<double>(row) + 0.5) / kChartRows;
        char label[32];
        std::snprintf(label, sizeof label, "%7.1f |", lo + (hi - lo) * (row + 1) / kChartRows);
        out << label;
        for (double v : top) out << (v >= level ? '#' : ' ');
        out << "\n";
    }
    out << "  (MiB) +" << std::string(columns, '-') << "\n          0"
        << std::string(columns > 12 ? columns - 12 : 1, ' ') << fixed(samples.back().seconds / 60.0) << " min\n";
    return out.str();
}

void write_csv(const std::string& path, const std::vector<Sample>& samples) {
    std::ofstream csv(path);
    csv << "seconds,rss_mib,fds,wal_mib,requests,unavailable_503,p99_ms,reports_created,push_frames\n";
    for (const auto& s : samples)
        csv << fixed(s.seconds) << "," << fixed(s.rss_mib, 2) << "," << s.fds << "," << fixed(s.wal_mib, 3) << ","
            << s.requests << "," << s.unavailable << "," << fixed(s.p99_ms, 2) << "," << s.reports << "," << s.frames
            << "\n";
}

}  // namespace

int run_soak(const SoakOptions& o) {
    Soak s(o);
    set_up(s);

    asio::io_context ioc(1);
    s.start = Clock::now();
    s.deadline = s.start + o.duration;
    std::cerr << "civicsnap-soak: running for " << o.duration.count() << " s\n";
    for (std::size_t i = 0; i < o.intake_loops; ++i) asio::co_spawn(ioc, s.intake_loop(), asio::detached);
    for (std::size_t i = 0; i < o.action_loops; ++i) asio::co_spawn(ioc, s.action_loop(), asio::detached);
    for (std::size_t i = 0; i < o.read_loops; ++i) asio::co_spawn(ioc, s.read_loop(), asio::detached);
    for (std::size_t i = 0; i < o.redeem_loops; ++i) asio::co_spawn(ioc, s.redeem_loop(i), asio::detached);
    for (std::size_t i = 0; i < o.subscribers; ++i)
        asio::co_spawn(ioc, s.subscriber(i == 0 ? s.dispatcher : s.residents[i % s.residents.size()]), asio::detached);
    asio::co_spawn(ioc, s.sampler(), asio::detached);
    ioc.run();
    s.sockets.clear();  // before the io_context they belong to goes
    const double seconds = std::chrono::duration<double>(Clock::now() - s.start).count();

    ReadBack rb;
    std::int64_t stock_after = s.stock_before;
    if (!s.daemon_gone) {
        asio::io_context reader(1);
        std::size_t next = 0;
        for (std::size_t i = 0; i < kReadBackConnections; ++i)
            asio::co_spawn(reader, read_back_loop(s, rb, next), asio::detached);
        reader.run();
        stock_after = reward_stock(o.target);
    }
    const auto taken = s.stock_before - stock_after;
    const bool redemptions_lost = taken < static_cast<std::int64_t>(s.redemptions);
    if (!o.csv_path.empty()) write_csv(o.csv_path, s.samples);

    std::vector<double> at, rss, fds, wal;
    for (const auto& x : s.samples) {
        at.push_back(x.seconds);
        rss.push_back(x.rss_mib);
        fds.push_back(x.fds);
        wal.push_back(x.wal_mib);
    }
    std::vector<Trend> trends;
    if (!s.samples.empty()) {
        trends.push_back(second_half_trend("RSS", at, rss, kMaxRssSlopeMiBPerMinute));
        trends.push_back(second_half_trend("open fds", at, fds, kMaxFdSlopePerMinute));
        trends.push_back(second_half_trend("WAL", at, wal, kMaxWalSlopeMiBPerMinute));
    }

    std::vector<std::string> failures;
    if (s.daemon_gone) failures.push_back("the daemon died");
    if (s.samples.empty()) failures.push_back("no sample was taken");
    for (const auto& t : trends)
        if (t.leaking()) failures.push_back(t.resource + " climbs " + fixed(*t.slope_per_minute, 3) + "/min");
    if (s.server_errors) failures.push_back(std::to_string(s.server_errors) + " answers 5xx other than 503");
    if (s.dropped) failures.push_back(std::to_string(s.dropped) + " requests without an answer (connection lost)");
    if (s.ws_drops) failures.push_back(std::to_string(s.ws_drops) + " push subscribers dropped");
    if (s.unexpected) failures.push_back(std::to_string(s.unexpected) + " unexpected 4xx answers");
    if (rb.reports_missing || rb.photos_missing)
        failures.push_back("lost acknowledged writes: " + std::to_string(rb.reports_missing) + " reports, " +
                           std::to_string(rb.photos_missing) + " photos");
    if (redemptions_lost)
        failures.push_back("stock went down by " + std::to_string(taken) + " for " + std::to_string(s.redemptions) +
                           " acknowledged redemptions");

    std::ostringstream out;
    out << "### Soak: " << fixed(seconds / 60.0) << " min, " << s.samples.size() << " samples\n\n";
    out << "Load: " << s.ok_by_kind["intake"] << " reports (201) with " << rb.photos_read << " photos, "
        << s.ok_by_kind["accept"] << " accepts, " << s.ok_by_kind["read"] << " reads, " << s.redemptions
        << " redemptions, " << o.subscribers << " push subscribers (" << s.frames << " frames); " << s.answered
        << " answers, " << s.unavailable << " × 503, " << s.server_errors << " other 5xx, " << s.dropped
        << " without an answer, " << s.unexpected << " unexpected 4xx.\n\n";
    out << "Read back: " << s.created.size() << " reports and " << rb.photos_read << " photos, " << rb.reports_missing
        << " + " << rb.photos_missing << " missing; reward stock down by " << taken << " for " << s.redemptions
        << " acknowledged redemptions.\n\n";
    if (!s.samples.empty()) {
        out << "| resource | first | min | max | last | slope, 2nd half (/min) | leak threshold (/min) | |\n"
            << "|---|---|---|---|---|---|---|---|\n";
        out << trend_row(trends[0], rss, "MiB") << "\n"
            << trend_row(trends[1], fds, "count") << "\n"
            << trend_row(trends[2], wal, "MiB") << "\n";
        std::vector<double> p99;
        for (const auto& x : s.samples) p99.push_back(x.p99_ms);
        const auto p99_trend = second_half_trend("p99 latency", at, p99, 0);
        out << "| p99 latency (ms, per 10 s window) | " << fixed(p99.front()) << " | "
            << fixed(*std::min_element(p99.begin(), p99.end())) << " | "
            << fixed(*std::max_element(p99.begin(), p99.end())) << " | " << fixed(p99.back()) << " | "
            << (p99_trend.slope_per_minute ? fixed(*p99_trend.slope_per_minute, 3) : "not judged")
            << " | reported | |\n\n";
        out << "| t (min) | RSS (MiB) | fds | WAL (MiB) | answers | 503 | p99 (ms) | reports |\n"
            << "|---|---|---|---|---|---|---|---|\n";
        const std::size_t step = std::max<std::size_t>(1, (s.samples.size() + kTableRows - 1) / kTableRows);
        for (std::size_t i = 0; i < s.samples.size(); i += step) {
            const auto& x = s.samples[i];
            out << "| " << fixed(x.seconds / 60.0) << " | " << fixed(x.rss_mib) << " | " << x.fds << " | "
                << fixed(x.wal_mib, 2) << " | " << x.requests << " | " << x.unavailable << " | " << fixed(x.p99_ms)
                << " | " << x.reports << " |\n";
        }
        out << "\nRSS over the run:\n\n```\n" << rss_chart(s.samples) << "```\n\n";
    }
    if (!s.problems.empty()) {
        out << "First problems:\n";
        for (const auto& p : s.problems) out << "- " << p << "\n";
        out << "\n";
    }
    out << (failures.empty() ? "Verdict: **clean**" : "Verdict: **FAILED**");
    for (const auto& f : failures) out << "; " << f;
    out << "\n";
    std::cout << out.str() << std::flush;
    return failures.empty() ? 0 : 1;
}

}  // namespace civic::load
