#pragma once
// Test support: the run's real S3 server (OpenStack Swift + s3api, tests/support/s3_server.sh).
// Under ctest the `s3_server_start` fixture starts it once per run into the build tree and
// passes its directory in CIVIC_S3_INSTANCE_DIR; a test binary run by hand starts its own on
// first use and stops it at exit. Without python3-swift there is no server and the tests skip.
#include <string>

namespace civic::test {

struct S3Endpoint {
    std::string endpoint;  // http://127.0.0.1:PORT
    std::string region;
    std::string bucket;  // exists, created by the script
    std::string access_key;
    std::string secret_key;
};

class S3Server {
public:
    // The shared server, or nullptr (then `unavailable_reason()` says why).
    static S3Server* shared();
    static const std::string& unavailable_reason();

    const S3Endpoint& endpoint() const { return endpoint_; }
    const std::string& dir() const { return dir_; }

    // The S3 endpoint (Swift's proxy server) alone, for outage tests: stop() kills it (the
    // other three keep their data); start() brings back whatever is not running and waits until
    // a write works. Both throw on failure.
    void stop_endpoint();
    void start();

private:
    S3Server() = default;
    bool load();  // reads DIR/s3.env
    std::string dir_;
    S3Endpoint endpoint_;
};

}  // namespace civic::test
