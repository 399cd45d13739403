#pragma once
// Prometheus counters kept lock-free on the request path: one array of atomics per route.
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace civic::http {

class Metrics {
public:
    // Upper bounds in seconds of the latency histogram's buckets (+Inf is implied).
    static constexpr std::array<double, 14> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                        0.1,    0.25,  0.5,    1.0,   2.5,  5.0,   10.0};

    // `labels`: one per route; a last slot collects requests that matched no route.
    explicit Metrics(std::vector<std::string> labels);

    void record(std::size_t slot, int status, double seconds);
    std::size_t unmatched_slot() const { return labels_.size() - 1; }

    std::atomic<std::int64_t> in_flight{0};
    std::atomic<std::int64_t> open_connections{0};
    std::atomic<std::int64_t> connections_total{0};
    std::atomic<std::int64_t> connections_refused{0};
    // Request bodies charged against --upload-memory-budget (http/server.cpp).
    std::atomic<std::int64_t> upload_memory_bytes{0};
    std::atomic<std::int64_t> upload_memory_budget{0};
    std::atomic<std::int64_t> uploads_over_budget{0};
    std::atomic<std::int64_t> uploads_spooled{0};  // multipart bodies whose large parts went to spool files

    // `extra` appends gauges owned elsewhere (the SQLite writer's queue, …).
    std::string render(const std::function<void(std::string&)>& extra) const;

private:
    static constexpr int kMinStatus = 100;
    static constexpr int kStatusSlots = 500;  // 100..599
    struct PerRoute {
        std::array<std::atomic<std::int64_t>, kStatusSlots> by_status{};
        std::array<std::atomic<std::int64_t>, kBuckets.size() + 1> buckets{};
        std::atomic<std::int64_t> sum_us{0};
        std::atomic<std::int64_t> count{0};
    };
    std::vector<std::string> labels_;
    std::unique_ptr<PerRoute[]> routes_;
};

}  // namespace civic::http
