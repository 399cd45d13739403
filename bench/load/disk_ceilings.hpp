#pragma once
// The machine's own durable-write ceilings, measured with the same number of writers as the
// server case they are compared with.
#include "bench/load/latency.hpp"

#include <chrono>
#include <cstddef>
#include <string>
#include <thread>
#include <vector>

namespace civic::load {

struct DiskOptions {
    std::size_t writers = 16;
    std::chrono::milliseconds duration{10'000};
};

// Each writer: create a temp file, write `bytes`, fsync, close, rename, fsync the directory —
// what the server's photo store does for every photo it keeps.
// Runs `op` on `options.writers` threads until the deadline; `op(writer, n)` does one operation
// and returns success. Every ceiling is timed through this one loop.
template <class Op>
Summary run_writers(const DiskOptions& options, Op op) {
    using Clock = std::chrono::steady_clock;
    std::vector<Latencies> per(options.writers);
    std::vector<std::thread> threads;
    const auto start = Clock::now();
    const auto deadline = start + options.duration;
    for (std::size_t w = 0; w < options.writers; ++w)
        threads.emplace_back([&, w] {
            for (std::size_t n = 0; Clock::now() < deadline; ++n) {
                const auto t0 = Clock::now();
                const bool ok = op(w, n);
                per[w].add(Clock::now() - t0, ok);
            }
        });
    for (auto& t : threads) t.join();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    Latencies all;
    for (const auto& l : per) all.merge(l);
    return all.summarize(seconds);
}

Summary durable_file_writes(const std::string& dir, std::size_t bytes, const DiskOptions& options);

// Each writer on its own connection, one transaction at a time: BEGIN IMMEDIATE; INSERT one row;
// COMMIT — in WAL mode with synchronous = FULL, as server/store/sqlite.cpp opens every connection.
Summary durable_sqlite_transactions(const std::string& db_path, const DiskOptions& options);

}  // namespace civic::load
