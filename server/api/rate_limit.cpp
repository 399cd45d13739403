#include "server/api/rate_limit.hpp"

#include "server/http/limits.hpp"
#include "server/store/database.hpp"
#include "server/store/rate_limit_repo.hpp"

#include <algorithm>
#include <cmath>

namespace civic::api {

double refilled_tokens(double tokens, std::int64_t at, std::int64_t now, std::int64_t per_hour) {
    // A clock set backwards (the test clock, or an NTP step) refills nothing rather than draining.
    const auto elapsed = std::max<std::int64_t>(0, now - at);
    return std::min(static_cast<double>(per_hour), tokens + static_cast<double>(elapsed * per_hour) / 3600.0);
}

std::int64_t seconds_until_token(double tokens, std::int64_t per_hour) {
    const double wait = (1.0 - tokens) * 3600.0 / static_cast<double>(per_hour);
    return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(wait)));
}

// Bounded memory under a flood of distinct keys: full buckets carry no information and go first;
// if every bucket is in use, the table is reset (failing open beats growing without bound).
void MemoryRateLimiter::make_room(std::int64_t now) {
    if (buckets_.size() < http::limits::kMaxRateLimitKeys) return;
    std::erase_if(buckets_, [&](const auto& kv) {
        return refilled_tokens(kv.second.tokens, kv.second.at, now, per_hour_) >= static_cast<double>(per_hour_);
    });
    if (buckets_.size() >= http::limits::kMaxRateLimitKeys) buckets_.clear();
}

std::optional<std::int64_t> MemoryRateLimiter::take_now(const std::string& key, std::int64_t now) {
    if (per_hour_ <= 0) return std::nullopt;
    std::lock_guard lock(mutex_);
    auto it = buckets_.find(key);
    if (it == buckets_.end()) {
        make_room(now);
        it = buckets_.emplace(key, Bucket{static_cast<double>(per_hour_), now}).first;
    }
    auto& b = it->second;
    b.tokens = refilled_tokens(b.tokens, b.at, now, per_hour_);
    b.at = std::max(b.at, now);
    if (b.tokens >= 1.0) {
        b.tokens -= 1.0;
        return std::nullopt;
    }
    return seconds_until_token(b.tokens, per_hour_);
}

bool DatabaseRateLimiter::claim_sweep(std::int64_t now) {
    auto due = next_sweep_.load(std::memory_order_relaxed);
    return now >= due && next_sweep_.compare_exchange_strong(due, now + kSweepInterval, std::memory_order_relaxed);
}

boost::asio::awaitable<std::optional<std::int64_t>> DatabaseRateLimiter::take(std::string key, std::int64_t now) {
    if (per_hour_ <= 0) co_return std::nullopt;
    const bool sweep = claim_sweep(now);
    // One short write job: the take is one statement (a refused one reads the row once more).
    // Run again by the pool after a rollback, it takes the token once: the rerun sees no trace of
    // the rolled-back run.
    const auto refused = co_await db_.write([&](store::Conn& conn) {
        if (sweep) store::sweep_rate_buckets(conn, now - kFullAfter);
        return store::take_rate_token(conn, name_, key, per_hour_, now);
    });
    if (!refused) co_return std::nullopt;
    co_return seconds_until_token(refilled_tokens(refused->tokens, refused->at, now, per_hour_), per_hour_);
}

RateLimits make_rate_limits(store::Database& db, std::int64_t registrations_per_hour, std::int64_t reports_per_hour) {
    if (db.engine().kind() == store::Engine::postgresql)
        return {std::make_unique<DatabaseRateLimiter>(db, "registrations", registrations_per_hour),
                std::make_unique<DatabaseRateLimiter>(db, "reports", reports_per_hour)};
    return {std::make_unique<MemoryRateLimiter>(registrations_per_hour),
            std::make_unique<MemoryRateLimiter>(reports_per_hour)};
}

}  // namespace civic::api
