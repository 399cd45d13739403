#pragma once
// Prometheus text for named counters and gauges: each series' HELP, TYPE and value (one value,
// or a table of them kept in atomics: the pool's and the listener's /metrics lines).
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace civic::metric_lines {

struct Line {
    const char* name;
    const char* type;  // "counter" or "gauge"
    const char* help;
    const std::atomic<std::int64_t>& value;
};

// One series: its HELP and TYPE lines, then its value.
inline void append_value(std::string& out, std::string_view name, std::string_view type, std::string_view help,
                         std::int64_t value) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
    out.append(name).append(" ").append(std::to_string(value)).append("\n");
}

inline void append(std::string& out, std::initializer_list<Line> lines) {
    for (const auto& l : lines) append_value(out, l.name, l.type, l.help, l.value.load(std::memory_order_relaxed));
}

}  // namespace civic::metric_lines
