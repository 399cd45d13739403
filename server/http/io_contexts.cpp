#include "server/http/io_contexts.hpp"

#include <cassert>
#include <thread>

namespace civic::http {

namespace {
std::atomic<IoContexts*> registered{nullptr};  // the daemon's, for /metrics
}  // namespace

IoContexts::IoContexts(std::size_t count) : counts_(std::make_unique<Counts[]>(count)) {
    assert(count >= 1);
    contexts_.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        // Concurrency hint 1: exactly one thread runs it, so handlers it posts to itself take a
        // thread-private queue instead of the scheduler's lock; posts from other threads still lock.
        contexts_.push_back(std::make_unique<Context>(1));
    }
    IoContexts* none = nullptr;
    registered.compare_exchange_strong(none, this);
}

IoContexts::~IoContexts() {
    IoContexts* self = this;
    registered.compare_exchange_strong(self, nullptr);
    destroy_pending_handlers();  // while counts_, which connections' handlers update, still lives
}

void IoContexts::run() {
    for (auto& ioc : contexts_) {
        ioc->restart();  // the first context may have run start-up work to its end already
        guards_.emplace_back(ioc->get_executor());
    }
    std::vector<std::thread> threads;
    threads.reserve(contexts_.size() - 1);
    for (std::size_t i = 1; i < contexts_.size(); ++i) threads.emplace_back([ioc = contexts_[i].get()] { ioc->run(); });
    contexts_.front()->run();
    for (auto& t : threads) t.join();
    guards_.clear();
}

void IoContexts::stop() {
    for (auto& ioc : contexts_) ioc->stop();
}

void IoContexts::destroy_pending_handlers() {
    for (auto& ioc : contexts_) ioc->shutdown();
}

}  // namespace civic::http

namespace civic::http {

void append_io_context_metrics(std::string& out) {
    IoContexts* io = registered.load();
    if (!io) return;
    const auto series = [&](const char* name, auto value) {
        for (std::size_t i = 0; i < io->size(); ++i) {
            out += name;
            out += "{context=\"" + std::to_string(i) + "\"} " + std::to_string(value(i)) + "\n";
        }
    };
    out +=
        "# HELP civicsnap_io_context_connections Open client connections on each I/O context (thread).\n"
        "# TYPE civicsnap_io_context_connections gauge\n";
    series("civicsnap_io_context_connections", [&](std::size_t i) { return io->open_connections(i).load(); });
    out +=
        "# HELP civicsnap_io_context_connections_total Connections accepted onto each I/O context.\n"
        "# TYPE civicsnap_io_context_connections_total counter\n";
    series("civicsnap_io_context_connections_total", [&](std::size_t i) { return io->accepted_connections(i).load(); });
}

}  // namespace civic::http
