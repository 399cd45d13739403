#include "support/daemon.hpp"
#include "support/pg_cluster.hpp"
#include "support/s3_server.hpp"
#include "support/secrets_dir.hpp"
#include "support/test_database.hpp"

#include "server/store/pg/pg_conn.hpp"
#include "server/store/pg/pg_migrate.hpp"

#include "support/openapi_contract.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace civic::test {

nlohmann::json HttpResponse::json() const {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded()) throw std::runtime_error("response is not JSON: " + body.substr(0, 200));
    return j;
}

std::string HttpResponse::header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
}

std::string HttpResponse::error_code() const {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("error")) return "";
    return j["error"].value("code", "");
}

bool photos_on_s3() {
    const char* v = std::getenv("CIVIC_TEST_PHOTOS");
    return v && std::string_view(v) == "s3";
}

std::string photo_store_arg() {
    if (!photos_on_s3()) return "";
    auto* server = S3Server::shared();
    if (!server) {  // no python3-swift here: the whole S3 run is skipped (ctest SKIP_RETURN_CODE 77)
        std::fprintf(stderr, "CIVIC_TEST_PHOTOS=s3 but no S3 server: %s\n", S3Server::unavailable_reason().c_str());
        std::_Exit(77);
    }
    const auto& e = server->endpoint();
    return "s3://" + e.bucket + "?endpoint=" + e.endpoint + "&region=" + e.region;
}

bool database_on_postgresql() {
    const char* v = std::getenv("CIVIC_TEST_DATABASE");
    return v && std::string_view(v) == "postgresql";
}

namespace {
PgCluster& run_cluster() {
    // The fixture's cluster; run by hand without $CIVIC_PG_STATE, one of this process's own.
    return shared_pg_cluster([](PgCluster& cluster) {
        cluster.create_template(kPgMigratedTemplate, [](const std::string& conninfo) {
            store::pg::Conn conn(conninfo);
            store::pg::migrate(conn);
        });
    });
}

std::mutex databases_mutex;
std::map<std::string, std::string> databases;  // data dir → database name
}  // namespace

std::string pg_uri(const std::string& dbname) { return run_cluster().uri(dbname); }
std::string create_pg_database(bool empty) {
    return run_cluster().create_database(empty ? "template1" : kPgMigratedTemplate);
}

void drop_pg_database(const std::string& dbname) { run_cluster().drop_database(dbname); }

void forget_database_of(const std::string& data_dir) {
    std::string name;
    {
        std::lock_guard lock(databases_mutex);
        if (const auto it = databases.find(data_dir); it != databases.end()) {
            name = it->second;
            databases.erase(it);
        }
    }
    if (name.empty()) return;
    try {
        run_cluster().drop_database(name);
    } catch (const std::exception&) {
        // The cluster's removal at the end of the run takes it anyway.
    }
}

std::string database_for(const std::string& data_dir, bool create) {
    if (!database_on_postgresql()) return "";
    std::lock_guard lock(databases_mutex);
    auto it = databases.find(data_dir);
    if (it == databases.end()) {
        if (!create) return "";
        it = databases.emplace(data_dir, create_pg_database()).first;
    }
    return pg_uri(it->second);
}

void init_secrets(const std::string& dir) {
    namespace fs = std::filesystem;
    if (fs::exists(fs::path(dir) / "master.key") && fs::exists(fs::path(dir) / "credit_ed25519.pem")) return;
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (null >= 0) ::dup2(null, STDOUT_FILENO);
        ::execl(CIVICSNAPD_PATH, CIVICSNAPD_PATH, "init-secrets", "--secrets-dir", dir.c_str(), nullptr);
        _exit(127);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw std::runtime_error("civicsnapd init-secrets --secrets-dir " + dir + " failed");
}

Daemon::Daemon() : Daemon(Options{}) {}

Daemon::Daemon(Options options) : options_(std::move(options)) {
    if (options_.data_dir.empty()) {
        char tmpl[] = "/tmp/civicsnap-test-XXXXXX";
        if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
        data_dir_ = tmpl;
        own_data_dir_ = true;
    } else {
        data_dir_ = options_.data_dir;
    }
    start();
}

Daemon::~Daemon() {
    if (pid_ > 0) stop();
    if (stdout_fd_ >= 0) ::close(stdout_fd_);
    if (own_data_dir_) {
        std::error_code ec;
        std::filesystem::remove_all(data_dir_, ec);
        forget_database_of(data_dir_);  // nothing can start on this dir again
    }
}

void Daemon::start() {
    int pipefd[2];
    if (::pipe(pipefd) != 0) throw std::runtime_error("pipe failed");
    std::vector<std::string> args = {CIVICSNAPD_PATH, "--listen", "127.0.0.1:0", "--data-dir", data_dir_,
                                     "--threads",     "2"};
    if (options_.test_clock) args.push_back("--test-clock");
    if (options_.demo) args.push_back("--demo");
    // Tests create accounts and reports by the dozen from one address; the rate-limit tests turn
    // the buckets back on through extra_args (later flags win).
    for (const char* a : {"--registrations-per-hour", "0", "--reports-per-hour", "0"}) args.push_back(a);
    const std::string photos = options_.photos.empty() ? photo_store_arg() : options_.photos;
    if (!photos.empty()) {
        args.push_back("--photos");
        args.push_back(photos);
    }
    const auto* s3 = photos_on_s3() ? S3Server::shared() : nullptr;
    // The run's engine, unless the test names a database itself.
    const bool own_database =
        std::find(options_.extra_args.begin(), options_.extra_args.end(), "--database") != options_.extra_args.end();
    if (const auto database = own_database ? "" : database_for(data_dir_, /*create=*/true); !database.empty()) {
        args.push_back("--database");
        args.push_back(database);
    }
    // The PostgreSQL run: the shared keys come from --secrets-dir (API.md §1.1), made once.
    if (database_on_postgresql() && std::find(options_.extra_args.begin(), options_.extra_args.end(),
                                              "--secrets-dir") == options_.extra_args.end()) {
        init_secrets(data_dir_ + "/secrets");
        args.push_back("--secrets-dir");
        args.push_back(data_dir_ + "/secrets");
    }
    for (const auto& a : options_.extra_args) args.push_back(a);
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        ::dup2(pipefd[1], STDOUT_FILENO);
        // The access log and errors go to a file the tests can read (and grep for secrets).
        const int log = ::open((data_dir_ + "/daemon.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (log >= 0) ::dup2(log, STDERR_FILENO);
        ::close(pipefd[0]);
        ::close(pipefd[1]);
        ::setenv("CIVICSNAP_ADMIN_PHONE", kAdminPhone, 1);
        ::setenv("CIVICSNAP_ADMIN_PASSWORD", kAdminPassword, 1);
        if (s3) {
            ::setenv("AWS_ACCESS_KEY_ID", s3->endpoint().access_key.c_str(), 1);
            ::setenv("AWS_SECRET_ACCESS_KEY", s3->endpoint().secret_key.c_str(), 1);
        }
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        _exit(127);
    }
    ::close(pipefd[1]);
    stdout_fd_ = pipefd[0];
    // Wait for the "listening on http://127.0.0.1:PORT" line (the daemon prints it once bound).
    // Generous: the demo city's eight weeks load in seconds in Release, but several times slower
    // under the sanitizers on a busy 2-core machine (a minute was seen to be too short).
    constexpr auto kStartDeadline = std::chrono::seconds(180);
    const auto deadline = std::chrono::steady_clock::now() + kStartDeadline;
    const std::string marker = "listening on http://127.0.0.1:";
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{stdout_fd_, POLLIN, 0};
        if (::poll(&p, 1, 200) <= 0) continue;
        char buf[4096];
        const auto n = ::read(stdout_fd_, buf, sizeof buf);
        if (n <= 0) break;
        output_.append(buf, static_cast<std::size_t>(n));
        const auto at = output_.find(marker);
        if (at != std::string::npos && output_.find('\n', at) != std::string::npos) {
            port_ = static_cast<unsigned short>(std::stoi(output_.substr(at + marker.size())));
            // Keep draining stdout in the background so the daemon never blocks on a full pipe.
            ::fcntl(stdout_fd_, F_SETFL, O_NONBLOCK);
            return;
        }
    }
    throw std::runtime_error("civicsnapd did not start; output:\n" + output_);
}

unsigned short Daemon::tls_port() const {
    const std::string marker = "listening on https://127.0.0.1:";
    const auto at = output_.find(marker);
    return at == std::string::npos ? 0 : static_cast<unsigned short>(std::stoi(output_.substr(at + marker.size())));
}

int Daemon::stop() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void Daemon::kill_hard() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
}

int connect_loopback(unsigned short port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        throw std::runtime_error("connect failed");
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

namespace {

void send_all(int fd, const std::string& bytes) {
    std::size_t sent = 0;
    while (sent < bytes.size()) {
        const auto n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) return;  // the server may close early (413): read what it said
        sent += static_cast<std::size_t>(n);
    }
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// Parses one HTTP/1.1 response with Content-Length framing (all the server sends).
std::optional<HttpResponse> parse_response(const std::string& raw) {
    const auto end = raw.find("\r\n\r\n");
    if (end == std::string::npos) return std::nullopt;
    HttpResponse r;
    r.status = std::stoi(raw.substr(9, 3));
    std::size_t pos = raw.find("\r\n") + 2;
    while (pos < end) {
        const auto eol = raw.find("\r\n", pos);
        const auto line = raw.substr(pos, eol - pos);
        const auto colon = line.find(':');
        auto value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        r.headers[lower(line.substr(0, colon))] = value;
        pos = eol + 2;
    }
    const auto length = r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
    if (raw.size() < end + 4 + length) return std::nullopt;
    r.body = raw.substr(end + 4, length);
    return r;
}

}  // namespace

std::string raw_exchange(unsigned short port, const std::string& bytes, int timeout_ms) {
    const int fd = connect_loopback(port);
    send_all(fd, bytes);
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        char buf[8192];
        const auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return out;
}

namespace {

// The served OpenAPI document (docs/api.md "OpenAPI"), fetched once per process for each flavour
// of daemon (--test-clock adds a route); nullptr while it cannot be had. CIVIC_OPENAPI_VALIDATE=0
// turns the check off (to debug a test without it).
const OpenApiContract* served_contract(unsigned short port, bool test_clock) {
    static const bool enabled = [] {
        const char* v = std::getenv("CIVIC_OPENAPI_VALIDATE");
        return !(v && std::string(v) == "0");
    }();
    if (!enabled) return nullptr;
    static std::mutex mutex;
    static std::unique_ptr<OpenApiContract> contracts[2];
    std::lock_guard lock(mutex);
    auto& slot = contracts[test_clock ? 1 : 0];
    if (!slot) {
        const auto raw = raw_exchange(
            port, "GET /api/v1/openapi.json HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 30000);
        const auto parsed = parse_response(raw);
        if (!parsed || parsed->status != 200) return nullptr;
        auto document = nlohmann::json::parse(parsed->body, nullptr, false);
        if (document.is_discarded()) return nullptr;
        slot = std::make_unique<OpenApiContract>(std::move(document));
    }
    return slot.get();
}

}  // namespace

HttpResponse Daemon::request(const std::string& method, const std::string& target, const std::string& body,
                             const Headers& headers) const {
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    bool has_type = false;
    for (const auto& [k, v] : headers) {
        req += k + ": " + v + "\r\n";
        if (lower(k) == "content-type") has_type = true;
    }
    if (!body.empty() && !has_type) req += "Content-Type: application/json\r\n";
    if (!body.empty() || method == "POST") req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    req += "\r\n" + body;
    const auto raw = raw_exchange(port_, req, 30000);
    auto parsed = parse_response(raw);
    if (!parsed)
        throw std::runtime_error("no complete HTTP response to " + method + " " + target + ": " + raw.substr(0, 300));
    // Every response the suite receives is held to the served OpenAPI document.
    if (const auto* contract = served_contract(port_, options_.test_clock)) {
        for (const auto& problem :
             contract->check(method, target, parsed->status, parsed->header("content-type"), parsed->body))
            ADD_FAILURE() << "OpenAPI contract: " << problem;
        record_openapi_coverage(*contract, method, target, parsed->status);
    }
    return *parsed;
}

std::int64_t metric_value(const std::string& metrics_body, const std::string& name) {
    const auto at = metrics_body.find("\n" + name + " ");
    if (at == std::string::npos) return -1;
    return std::stoll(metrics_body.substr(at + name.size() + 2));
}

std::int64_t Daemon::metric(const std::string& name) const { return metric_value(get("/metrics").body, name); }

HttpResponse Daemon::get(const std::string& target, const std::string& token) const {
    Headers h;
    if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
    return request("GET", target, "", h);
}

HttpResponse Daemon::post(const std::string& target, const nlohmann::json& body, const std::string& token,
                          Headers headers) const {
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    return request("POST", target, body.dump(), headers);
}

std::string Daemon::log() const {
    std::string out;
    const int fd = ::open((data_dir_ + "/daemon.log").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return out;
    char buf[8192];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    return out;
}

std::string Daemon::login(const std::string& phone, const std::string& password) const {
    auto r = post("/api/v1/auth/login", {{"phone", phone}, {"password", password}});
    if (r.status != 200) throw std::runtime_error("login failed for " + phone + ": " + r.body);
    return r.json()["token"];
}

std::string Daemon::register_resident(const std::string& phone, const std::string& name,
                                      const std::string& password) const {
    auto r = post("/api/v1/auth/register", {{"phone", phone}, {"password", password}, {"display_name", name}});
    if (r.status != 201) throw std::runtime_error("register failed for " + phone + ": " + r.body);
    return r.json()["token"];
}

}  // namespace civic::test
