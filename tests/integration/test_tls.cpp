// The TLS listener: modern protocol versions and AEAD ciphers only.
#include "support/daemon.hpp"
#include "support/tls_client.hpp"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <cstdlib>
#include <filesystem>

using civic::test::Daemon;
using civic::test::TestCertificate;
using civic::test::tls_exchange;
using civic::test::TlsExchange;

namespace {

// One HTTPS GET /healthz with the given protocol range and TLS 1.2 cipher list.
TlsExchange tls_get(unsigned short port, int min_version, int max_version, const char* ciphers) {
    return tls_exchange(port, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
                        {min_version, max_version, ciphers});
}

class Tls : public ::testing::Test {
protected:
    // A failure here must fail every test (SetUp): gtest reports a suite set-up failure as
    // skipped tests, which ctest would count as skipped, not failed.
    static void SetUpTestSuite() {
        cert = new TestCertificate();
        if (!cert->ok) return;
        try {
            daemon = new Daemon(Daemon::Options{.extra_args = {"--tls-listen", "127.0.0.1:0", "--tls-cert",
                                                               cert->cert_file(), "--tls-key", cert->key_file()},
                                                .test_clock = false,
                                                .demo = false,
                                                .data_dir = {}});
        } catch (const std::exception& e) {
            start_error = e.what();
        }
    }
    static void TearDownTestSuite() {
        delete daemon;
        delete cert;
        daemon = nullptr;
        cert = nullptr;
    }
    void SetUp() override {
        ASSERT_TRUE(cert->ok) << "openssl could not make a test certificate";
        ASSERT_NE(daemon, nullptr) << start_error;
    }
    static inline std::string start_error;
    static TestCertificate* cert;
    static Daemon* daemon;
};
TestCertificate* Tls::cert = nullptr;
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
