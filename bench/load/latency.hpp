#pragma once
// Per-operation latencies kept whole (a sorted vector, not a histogram): a bench run records at
// most a few million of them, and exact percentiles are cheaper to explain than bucket errors.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace civic::load {

struct Summary {
    std::size_t ok = 0;
    std::size_t errors = 0;
    double seconds = 0;
    double rps = 0;     // successful operations per second
    double p50_ms = 0;  // over successful operations
    double p99_ms = 0;
};

class Latencies {
public:
    void add(std::chrono::steady_clock::duration d, bool ok);
    void merge(const Latencies& other);
    Summary summarize(double seconds) const;

private:
    std::vector<std::uint32_t> micros_;  // successful operations only
    std::size_t errors_ = 0;
};

// One line that scripts/bench parses: key=value pairs, the mode first.
std::string format_summary(const std::string& mode, std::size_t concurrency, const Summary& s);

}  // namespace civic::load
