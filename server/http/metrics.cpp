#include "server/http/metrics.hpp"

#include "server/http/io_contexts.hpp"

#include <cstdio>

namespace civic::http {

Metrics::Metrics(std::vector<std::string> labels) : labels_(std::move(labels)) {
    labels_.emplace_back("unmatched");
    routes_ = std::make_unique<PerRoute[]>(labels_.size());
}

void Metrics::record(std::size_t slot, int status, double seconds) {
    if (slot >= labels_.size()) slot = unmatched_slot();
    auto& r = routes_[slot];
    if (status >= kMinStatus && status < kMinStatus + kStatusSlots)
        r.by_status[static_cast<std::size_t>(status - kMinStatus)].fetch_add(1, std::memory_order_relaxed);
    std::size_t b = 0;
    while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
    r.buckets[b].fetch_add(1, std::memory_order_relaxed);
    r.sum_us.fetch_add(static_cast<std::int64_t>(seconds * 1e6), std::memory_order_relaxed);
    r.count.fetch_add(1, std::memory_order_relaxed);
}

namespace {
void append_line(std::string& out, const char* fmt, auto... args) {
    char line[512];
    const int n = std::snprintf(line, sizeof line, fmt, args...);
    if (n > 0) out.append(line, static_cast<std::size_t>(std::min<int>(n, sizeof line - 1)));
}
}  // namespace

std::string Metrics::render(const std::function<void(std::string&)>& extra) const {
    std::string out;
    out.reserve(16 * 1024);
    out +=
        "# HELP civicsnap_http_requests_total HTTP requests by route and status.\n"
        "# TYPE civicsnap_http_requests_total counter\n";
    for (std::size_t i = 0; i < labels_.size(); ++i) {
        for (int s = 0; s < kStatusSlots; ++s) {
            const auto n = routes_[i].by_status[static_cast<std::size_t>(s)].load(std::memory_order_relaxed);
            if (n == 0) continue;
            append_line(out, "civicsnap_http_requests_total{route=\"%s\",status=\"%d\"} %lld\n", labels_[i].c_str(),
                        s + kMinStatus, static_cast<long long>(n));
        }
    }
    out +=
        "# HELP civicsnap_http_request_duration_seconds Time from the end of the request headers to the "
        "response written.\n# TYPE civicsnap_http_request_duration_seconds histogram\n";
    for (std::size_t i = 0; i < labels_.size(); ++i) {
        const auto& r = routes_[i];
        const auto count = r.count.load(std::memory_order_relaxed);
        if (count == 0) continue;
        std::int64_t cumulative = 0;
        for (std::size_t b = 0; b <= kBuckets.size(); ++b) {
            cumulative += r.buckets[b].load(std::memory_order_relaxed);
            if (b < kBuckets.size()) {
                append_line(out, "civicsnap_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %lld\n",
                            labels_[i].c_str(), kBuckets[b], static_cast<long long>(cumulative));
            } else {
                append_line(out, "civicsnap_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %lld\n",
                            labels_[i].c_str(), static_cast<long long>(cumulative));
            }
        }
        append_line(out, "civicsnap_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n", labels_[i].c_str(),
                    static_cast<double>(r.sum_us.load(std::memory_order_relaxed)) / 1e6);
        append_line(out, "civicsnap_http_request_duration_seconds_count{route=\"%s\"} %lld\n", labels_[i].c_str(),
                    static_cast<long long>(count));
    }
    append_line(out,
                "# HELP civicsnap_http_in_flight_requests Requests being handled.\n"
                "# TYPE civicsnap_http_in_flight_requests gauge\ncivicsnap_http_in_flight_requests %lld\n",
                static_cast<long long>(in_flight.load()));
    append_line(out,
                "# HELP civicsnap_open_connections Open client connections.\n"
                "# TYPE civicsnap_open_connections gauge\ncivicsnap_open_connections %lld\n",
                static_cast<long long>(open_connections.load()));
    append_line(out,
                "# HELP civicsnap_connections_total Connections accepted.\n"
                "# TYPE civicsnap_connections_total counter\ncivicsnap_connections_total %lld\n",
                static_cast<long long>(connections_total.load()));
    append_line(out,
                "# HELP civicsnap_connections_refused_total Connections closed at once: over the limit.\n"
                "# TYPE civicsnap_connections_refused_total counter\ncivicsnap_connections_refused_total %lld\n",
                static_cast<long long>(connections_refused.load()));
    append_line(out,
                "# HELP civicsnap_upload_memory_bytes Request body bytes that may be held in memory now.\n"
                "# TYPE civicsnap_upload_memory_bytes gauge\ncivicsnap_upload_memory_bytes %lld\n",
                static_cast<long long>(upload_memory_bytes.load()));
    append_line(out,
                "# HELP civicsnap_upload_memory_budget_bytes The limit of civicsnap_upload_memory_bytes.\n"
                "# TYPE civicsnap_upload_memory_budget_bytes gauge\ncivicsnap_upload_memory_budget_bytes %lld\n",
                static_cast<long long>(upload_memory_budget.load()));
    append_line(out,
                "# HELP civicsnap_uploads_over_budget_total Requests answered 503 unread: the budget was spent.\n"
                "# TYPE civicsnap_uploads_over_budget_total counter\ncivicsnap_uploads_over_budget_total %lld\n",
                static_cast<long long>(uploads_over_budget.load()));
    append_line(
        out,
        "# HELP civicsnap_uploads_spooled_total Multipart bodies too large to read whole, their photos spooled.\n"
        "# TYPE civicsnap_uploads_spooled_total counter\ncivicsnap_uploads_spooled_total %lld\n",
        static_cast<long long>(uploads_spooled.load()));
    append_io_context_metrics(out);
    if (extra) extra(out);
    return out;
}

}  // namespace civic::http
