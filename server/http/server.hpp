#pragma once
// The HTTP/1.1 front end: listeners (plain TCP and TLS), one coroutine per connection pinned to
// one of the I/O contexts (http::IoContexts, handed out in turn), header-first request reading
// with per-route body limits, and graceful shutdown.
#include "server/http/access_log.hpp"
#include "server/http/io_contexts.hpp"
#include "server/http/metrics.hpp"
#include "server/http/router.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace civic::http {

class Server {
public:
    // Listeners run on `contexts.first()`; each accepted connection goes to the next context.
    Server(IoContexts& contexts, const Router& router, Metrics& metrics, AccessLog* access_log);
    ~Server();

    // Where streamed multipart parts are spooled (a folder that exists; empty: kept in memory)
    // and the memory budget of request bodies (limits::kDefaultUploadMemoryBudget). Before listen.
    void set_uploads(std::string spool_dir, std::size_t memory_budget);

    // Binds and starts accepting; returns the bound port (useful with port 0).
    unsigned short listen(const std::string& host, unsigned short port);
    unsigned short listen_tls(const std::string& host, unsigned short port, const std::string& cert_file,
                              const std::string& key_file);

    // Stops accepting, closes idle connections, lets requests in flight finish; `done` is called
    // (on an I/O thread) once every connection is gone or the grace period ran out.
    void shutdown(std::function<void()> done);

    // TLS 1.2+ with AEAD ciphers only; exposed for tests.
    static std::shared_ptr<boost::asio::ssl::context> make_tls_context(const std::string& cert_file,
                                                                       const std::string& key_file);

    struct Shared;

private:
    std::shared_ptr<Shared> shared_;
};

}  // namespace civic::http
