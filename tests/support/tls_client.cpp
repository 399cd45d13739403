#include "support/tls_client.hpp"

#include "support/daemon.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <unistd.h>
#include <cstdlib>
#include <filesystem>

namespace civic::test {

TestCertificate::TestCertificate() {
    char tmpl[] = "/tmp/civicsnap-tls-XXXXXX";
    if (!::mkdtemp(tmpl)) return;
    dir = tmpl;
    const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -keyout " + key_file() + " -out " + cert_file() +
                            " -days 2 -subj /CN=localhost >/dev/null 2>&1";
    ok = std::system(cmd.c_str()) == 0;
}

TestCertificate::~TestCertificate() {
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
}

TlsExchange tls_exchange(unsigned short port, const std::string& request, const TlsOptions& options) {
    TlsExchange out;
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_security_level(ctx, 0);  // let the client offer what the server must refuse
    if (options.min_version) SSL_CTX_set_min_proto_version(ctx, options.min_version);
    if (options.max_version) SSL_CTX_set_max_proto_version(ctx, options.max_version);
    if (options.ciphers) SSL_CTX_set_cipher_list(ctx, options.ciphers);
    const int fd = connect_loopback(port);
    SSL* ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) == 1) {
        out.handshake = true;
        out.version = SSL_get_version(ssl);
        SSL_write(ssl, request.data(), static_cast<int>(request.size()));
        char buf[4096];
        for (int n; (n = SSL_read(ssl, buf, sizeof buf)) > 0;) out.response.append(buf, static_cast<std::size_t>(n));
        SSL_shutdown(ssl);
    }
    SSL_free(ssl);
    ::close(fd);
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return out;
}

}  // namespace civic::test
