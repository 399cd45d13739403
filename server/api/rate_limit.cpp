#include "server/api/rate_limit.hpp"

#include "server/http/limits.hpp"

#include <algorithm>
#include <cmath>

namespace civic::api {

double RateLimiter::refilled(const Bucket& b, std::int64_t now) const {
    // A clock set backwards (the test clock, or an NTP step) refills nothing rather than draining.
    const auto elapsed = std::max<std::int64_t>(0, now - b.at);
    return std::min(static_cast<double>(per_hour_), b.tokens + static_cast<double>(elapsed * per_hour_) / 3600.0);
}

// Bounded memory under a flood of distinct keys: full buckets carry no information and go first;
// if every bucket is in use, the table is reset (failing open beats growing without bound).
void RateLimiter::make_room(std::int64_t now) {
    if (buckets_.size() < http::limits::kMaxRateLimitKeys) return;
    std::erase_if(buckets_, [&](const auto& kv) { return refilled(kv.second, now) >= static_cast<double>(per_hour_); });
    if (buckets_.size() >= http::limits::kMaxRateLimitKeys) buckets_.clear();
}

std::optional<std::int64_t> RateLimiter::take(const std::string& key, std::int64_t now) {
    if (per_hour_ <= 0) return std::nullopt;
    std::lock_guard lock(mutex_);
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
        make_room(now);
        it = buckets_.emplace(key, Bucket{static_cast<double>(per_hour_), now}).first;
    }
    auto& b = it->second;
    b.tokens = refilled(b, now);
    b.at = std::max(b.at, now);
    if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return std::nullopt;
    }
    const double wait = (1.0 - b.tokens) * 3600.0 / static_cast<double>(per_hour_);
    return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(wait)));
}

}  // namespace civic::api
