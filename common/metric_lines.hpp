#pragma once
// Prometheus text for a table of named counters and gauges kept in atomics: each line's HELP,
// TYPE and value (the pool's and the listener's /metrics lines).
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <string>

namespace civic::metric_lines {

struct Line {
    const char* name;
    const char* type;  // "counter" or "gauge"
    const char* help;
    const std::atomic<std::int64_t>& value;
};

inline void append(std::string& out, std::initializer_list<Line> lines) {
    for (const auto& l : lines) {
        out.append("# HELP ").append(l.name).append(" ").append(l.help).append("\n");
        out.append("# TYPE ").append(l.name).append(" ").append(l.type).append("\n");
        out.append(l.name).append(" ").append(std::to_string(l.value.load(std::memory_order_relaxed))).append("\n");
    }
}

}  // namespace civic::metric_lines
