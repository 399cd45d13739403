// The TLS listener: modern protocol versions and AEAD ciphers only.
#include "support/daemon.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

using civic::test::Daemon;

namespace {

struct Certificate {
    Certificate() {
        char tmpl[] = "/tmp/civicsnap-tls-XXXXXX";
        dir = mkdtemp(tmpl);
        const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -keyout " + dir + "/key.pem -out " + dir +
                                "/cert.pem -days 2 -subj /CN=localhost >/dev/null 2>&1";
        ok = std::system(cmd.c_str()) == 0;
    }
    ~Certificate() { std::filesystem::remove_all(dir); }
    std::string dir;
    bool ok = false;
};

struct TlsResult {
    bool handshake = false;
    std::string version;
    std::string response;
};

// One HTTPS request with the given protocol range and TLS 1.2 cipher list.
TlsResult tls_get(unsigned short port, int min_version, int max_version, const char* ciphers) {
    TlsResult out;
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_security_level(ctx, 0);  // let the client offer what the server must refuse
    SSL_CTX_set_min_proto_version(ctx, min_version);
    SSL_CTX_set_max_proto_version(ctx, max_version);
    if (ciphers) SSL_CTX_set_cipher_list(ctx, ciphers);
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        SSL* ssl = SSL_new(ctx);
        SSL_set_fd(ssl, fd);
        if (SSL_connect(ssl) == 1) {
            out.handshake = true;
            out.version = SSL_get_version(ssl);
            const std::string req = "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
            SSL_write(ssl, req.data(), static_cast<int>(req.size()));
            char buf[4096];
            for (int n; (n = SSL_read(ssl, buf, sizeof buf)) > 0;) out.response.append(buf, static_cast<std::size_t>(n));
            SSL_shutdown(ssl);
        }
        SSL_free(ssl);
    }
    ::close(fd);
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return out;
}

class Tls : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        cert = new Certificate();
        ASSERT_TRUE(cert->ok) << "openssl could not make a test certificate";
        daemon = new Daemon(Daemon::Options{.extra_args = {"--tls-listen", "127.0.0.1:0", "--tls-cert",
                                                           cert->dir + "/cert.pem", "--tls-key", cert->dir + "/key.pem"},
                                            .test_clock = false, .demo = false, .data_dir = {}});
    }
    static void TearDownTestSuite() {
        delete daemon;
        delete cert;
    }
    static Certificate* cert;
    static Daemon* daemon;
};
Certificate* Tls::cert = nullptr;
Daemon* Tls::daemon = nullptr;

TEST_F(Tls, ServesHttpsWithTls13) {
    ASSERT_NE(daemon->tls_port(), 0);
    auto r = tls_get(daemon->tls_port(), TLS1_2_VERSION, TLS1_3_VERSION, nullptr);
    ASSERT_TRUE(r.handshake);
    EXPECT_EQ(r.version, "TLSv1.3");
    EXPECT_NE(r.response.find("HTTP/1.1 200"), std::string::npos);
    EXPECT_NE(r.response.find("{\"status\":\"ok\"}"), std::string::npos);
}

TEST_F(Tls, Tls12WithAnAeadCipherWorks) {
    auto r = tls_get(daemon->tls_port(), TLS1_2_VERSION, TLS1_2_VERSION, "ECDHE-RSA-AES128-GCM-SHA256");
    ASSERT_TRUE(r.handshake);
    EXPECT_EQ(r.version, "TLSv1.2");
    EXPECT_NE(r.response.find("HTTP/1.1 200"), std::string::npos);
}

TEST_F(Tls, OldProtocolsAreRefused) {
    EXPECT_FALSE(tls_get(daemon->tls_port(), TLS1_VERSION, TLS1_VERSION, "ALL:@SECLEVEL=0").handshake);
    EXPECT_FALSE(tls_get(daemon->tls_port(), TLS1_1_VERSION, TLS1_1_VERSION, "ALL:@SECLEVEL=0").handshake);
}

TEST_F(Tls, WeakCiphersAreRefused) {
    // CBC without forward secrecy, CBC with ECDHE, and RSA key exchange with GCM: all refused.
    for (const char* cipher : {"AES128-SHA", "ECDHE-RSA-AES128-SHA", "AES128-GCM-SHA256", "ECDHE-RSA-AES256-SHA384"}) {
        EXPECT_FALSE(tls_get(daemon->tls_port(), TLS1_2_VERSION, TLS1_2_VERSION, cipher).handshake) << cipher;
    }
}

TEST_F(Tls, PlainListenerKeepsWorking) { EXPECT_EQ(daemon->get("/healthz").status, 200); }

}  // namespace
