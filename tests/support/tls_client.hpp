#pragma once
// A one-shot HTTPS exchange for tests of the TLS listener: the client's protocol range and TLS 1.2
// cipher list are chosen by the test, so it can offer what the server must refuse.
#include <string>

namespace civic::test {

struct TlsOptions {
    int min_version = 0;  // 0: OpenSSL's default
    int max_version = 0;
    const char* ciphers = nullptr;  // TLS 1.2 cipher list; nullptr: OpenSSL's default
};

struct TlsExchange {
    bool handshake = false;
    std::string version;   // e.g. "TLSv1.3"
    std::string response;  // the raw HTTP response, headers and body
};

// A throwaway self-signed certificate for CN=localhost (made with the openssl command line) in a
// temporary directory that is removed with it.
struct TestCertificate {
    TestCertificate();
    ~TestCertificate();
    TestCertificate(const TestCertificate&) = delete;
    TestCertificate& operator=(const TestCertificate&) = delete;
    std::string cert_file() const { return dir + "/cert.pem"; }
    std::string key_file() const { return dir + "/key.pem"; }
    std::string dir;
    bool ok = false;
};

// Connects to 127.0.0.1:`port`, handshakes, sends `request` and reads until the server closes.
TlsExchange tls_exchange(unsigned short port, const std::string& request, const TlsOptions& options = {});

}  // namespace civic::test
