#pragma once
// Integration-test support: the real civicsnapd started on an ephemeral port with a fresh data
// dir, and a small HTTP/1.1 client to talk to it.
#include <nlohmann/json.hpp>

#include <sys/types.h>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace civic::test {

inline constexpr const char* kAdminPhone = "13900000000";
inline constexpr const char* kAdminPassword = "admin-password-1";

struct HttpResponse {
    int status = 0;
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;

    nlohmann::json json() const;
    std::string header(const std::string& lower_name) const;
    // The error code of an API error body, or "" if the body is not one.
    std::string error_code() const;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// The value of the line `name value` in a Prometheus text body (name with its labels); -1 when
// absent. For several figures of one moment, read from one GET.
std::int64_t metric_value(const std::string& metrics_body, const std::string& name);

class Daemon {
public:
    struct Options {
        // Default member initialisers, so designated initialisers may leave any out.
        std::vector<std::string> extra_args = {};
        bool test_clock = true;
        bool demo = false;
        std::string data_dir = {};  // empty: a fresh temporary dir, removed at the end
        // --photos for this daemon; empty: the run's photo store (photo_store_arg()).
        std::string photos = {};
    };
    Daemon();
    explicit Daemon(Options options);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    unsigned short port() const { return port_; }
    pid_t pid() const { return pid_; }
    unsigned short tls_port() const;  // 0 without --tls-listen
    const std::string& data_dir() const { return data_dir_; }
    const std::string& output() const { return output_; }  // what the daemon printed before ready
    std::string log() const;                               // its stderr: access log and errors

    HttpResponse request(const std::string& method, const std::string& target, const std::string& body = "",
                         const Headers& headers = {}) const;
    HttpResponse get(const std::string& target, const std::string& token = "") const;
    HttpResponse post(const std::string& target, const nlohmann::json& body, const std::string& token = "",
                      Headers headers = {}) const;

    // The value of the line `name value` on /metrics now (name with its labels); -1 when absent.
    std::int64_t metric(const std::string& name) const;

    // Logs in (or registers) and returns a bearer token.
    std::string login(const std::string& phone, const std::string& password) const;
    std::string admin_token() const { return login(kAdminPhone, kAdminPassword); }
    std::string register_resident(const std::string& phone, const std::string& name = "测试居民",
                                  const std::string& password = "resident-pass-1") const;

    // SIGTERM and wait; returns the exit status.
    int stop();
    void kill_hard();  // SIGKILL

private:
    void start();
    Options options_;
    std::string data_dir_;
    bool own_data_dir_ = false;
    pid_t pid_ = -1;
    int stdout_fd_ = -1;
    unsigned short port_ = 0;
    std::string output_;
};

// The photo store every daemon of this run uses unless its Options say otherwise: with
// CIVIC_TEST_PHOTOS=s3 (the ctest entry `integration_photos_s3`), the run's S3 server's bucket
// (`s3://BUCKET?endpoint=…&region=…`, its credentials in the daemon's environment); otherwise
// empty (the daemon's default, file:<data-dir>/photos).
bool photos_on_s3();
std::string photo_store_arg();

// A TCP connection to 127.0.0.1:`port` (TCP_NODELAY); throws when it cannot connect.
int connect_loopback(unsigned short port);

// Sends raw bytes on a new connection and returns everything read until the server closes or
// `timeout_ms` passes.
std::string raw_exchange(unsigned short port, const std::string& bytes, int timeout_ms = 5000);

// The daemon the tests of one file share: started at its first use, stopped at exit. Being in an
// unnamed namespace, each translation unit gets its own, so tests in different files never meet.
namespace {
inline Daemon& file_daemon() {
    static Daemon daemon;
    return daemon;
}
}  // namespace

}  // namespace civic::test
