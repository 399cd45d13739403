#include "bench/load/latency.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace civic::load {

void Latencies::add(std::chrono::steady_clock::duration d, bool ok) {
    if (!ok) {
        ++errors_;
        return;
    }
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
    micros_.push_back(static_cast<std::uint32_t>(std::clamp<std::int64_t>(us, 0, UINT32_MAX)));
}

void Latencies::merge(const Latencies& other) {
    micros_.insert(micros_.end(), other.micros_.begin(), other.micros_.end());
    errors_ += other.errors_;
}

namespace {
// Nearest-rank percentile of sorted values.
double percentile_ms(const std::vector<std::uint32_t>& sorted, double p) {
    if (sorted.empty()) return 0;
    const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
    return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1] / 1000.0;
}
}  // namespace

Summary Latencies::summarize(double seconds) const {
    auto sorted = micros_;
    std::sort(sorted.begin(), sorted.end());
    Summary s;
    s.ok = sorted.size();
    s.errors = errors_;
    s.seconds = seconds;
    s.rps = seconds > 0 ? static_cast<double>(s.ok) / seconds : 0;
    s.p50_ms = percentile_ms(sorted, 0.50);
    s.p99_ms = percentile_ms(sorted, 0.99);
    return s;
}

std::string format_summary(const std::string& mode, std::size_t concurrency, const Summary& s) {
    char line[256];
    std::snprintf(line, sizeof line,
                  "mode=%s concurrency=%zu ok=%zu errors=%zu seconds=%.2f rps=%.1f p50_ms=%.2f p99_ms=%.2f",
                  mode.c_str(), concurrency, s.ok, s.errors, s.seconds, s.rps, s.p50_ms, s.p99_ms);
    return line;
}

}  // namespace civic::load
