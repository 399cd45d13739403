#pragma once
// The daemon's I/O threads: one io_context per thread, each run by exactly that thread. A
// connection is pinned to one context for its life (http::Server hands them out in turn), so its
// handlers, timers and writes all run on one thread: no strand, and no scheduler lock shared by
// every thread (docs/architecture.md, "Threads and executors").
//
// Work from other threads (blocking-pool completions, push messages) is posted to the context of
// the coroutine that waits for it; asio's posting is thread-safe with one thread per context.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace civic::http {

class IoContexts {
public:
    explicit IoContexts(std::size_t count);
    ~IoContexts();
    IoContexts(const IoContexts&) = delete;
    IoContexts& operator=(const IoContexts&) = delete;

    std::size_t size() const { return contexts_.size(); }
    boost::asio::io_context& at(std::size_t i) { return *contexts_.at(i); }
    // The context of process-wide things (listeners, signals, the photo decode gate, the object
    // store's client) and of the start-up work run before serving.
    boost::asio::io_context& first() { return *contexts_.front(); }

    // Runs every context, the first on the calling thread and each other on a thread of its own;
    // returns once stop() was called and every thread has ended. Idle contexts keep running.
    void run();
    // Thread-safe; each context stops after the handler it is running.
    void stop();
    // After run() returned: destroys every handler still queued or waiting on I/O — the frames of
    // coroutines a shutdown cut short — while what they refer to (the server, its metrics, the
    // router) still lives. Without it they would be destroyed with the contexts, after those.
    void destroy_pending_handlers();

    // Client connections on context `i`: open now, and accepted in all (http::Server counts them).
    std::atomic<std::int64_t>& open_connections(std::size_t i) { return counts_[i].open; }
    std::atomic<std::int64_t>& accepted_connections(std::size_t i) { return counts_[i].accepted; }

private:
    using Guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
    struct Counts {
        alignas(64) std::atomic<std::int64_t> open{0};  // a cache line each: the contexts run on different cores
        std::atomic<std::int64_t> accepted{0};
    };
    // An io_context whose protected execution_context::shutdown() — the first half of its
    // destructor, which destroys the pending handlers and may run more than once — is reachable.
    class Context : public boost::asio::io_context {
    public:
        using boost::asio::execution_context::shutdown;
        using io_context::io_context;
    };
    std::vector<std::unique_ptr<Context>> contexts_;
    std::unique_ptr<Counts[]> counts_;
    std::vector<Guard> guards_;
};

// Appends the per-context connection gauges of the process's IoContexts to a Prometheus text
// body (Metrics::render calls it); nothing while none exists. The daemon makes one IoContexts,
// which registers itself for this while it lives.
void append_io_context_metrics(std::string& out);

}  // namespace civic::http
