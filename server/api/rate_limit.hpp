#pragma once
// Token buckets for the endpoints that cost the city something when flooded: registration (per
// client address) and report submission (per account). On top of the login lockout (§2).
//
// A bucket holds up to `per_hour` tokens and refills evenly over an hour, so a burst of a whole
// hour's allowance is possible and the long-run rate is `per_hour`. Time comes from the server's
// clock (the test clock in tests), so behaviour is exact and testable.
//
// Two homes for the buckets, chosen by the engine (make_rate_limits): on SQLite (one node) they
// are in memory — a mutex and a hash lookup, no write on the single writer per request; a restart
// forgives everyone, which is acceptable for abuse control (it is not an accounting). On
// PostgreSQL they are rows every node takes from (store/rate_limit_repo.hpp), one short write job
// a take, so N nodes behind a load balancer allow what one node would (API.md §1.1).
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace civic::store {
class Database;
}

namespace civic::api {

// What a bucket holding `tokens` at `at` holds at `now` (a clock set back refills nothing).
double refilled_tokens(double tokens, std::int64_t at, std::int64_t now, std::int64_t per_hour);
// Whole seconds until a bucket holding `tokens` (< 1) has a token again (for Retry-After, ≥ 1).
std::int64_t seconds_until_token(double tokens, std::int64_t per_hour);

class RateLimiter {
public:
    virtual ~RateLimiter() = default;
    // Takes one token for `key` at `now` (unix seconds). nullopt: allowed; otherwise the whole
    // seconds to wait before a token is back (for Retry-After, at least 1).
    virtual boost::asio::awaitable<std::optional<std::int64_t>> take(std::string key, std::int64_t now) = 0;
};

// One node's buckets, in memory.
class MemoryRateLimiter final : public RateLimiter {
public:
    explicit MemoryRateLimiter(std::int64_t per_hour) : per_hour_(per_hour) {}

    boost::asio::awaitable<std::optional<std::int64_t>> take(std::string key, std::int64_t now) override {
        co_return take_now(key, now);
    }
    std::optional<std::int64_t> take_now(const std::string& key, std::int64_t now);

private:
    struct Bucket {
        double tokens = 0;
        std::int64_t at = 0;  // when `tokens` was last brought up to date
    };
    void make_room(std::int64_t now);

    const std::int64_t per_hour_;  // 0 = unlimited
    std::mutex mutex_;
    std::unordered_map<std::string, Bucket> buckets_;
};

// Buckets in the database (table rate_limit_buckets), shared by every node.
class DatabaseRateLimiter final : public RateLimiter {
public:
    // Full buckets are deleted at most this often (server clock seconds) by each node's limiter,
    // in the job of the take that finds a sweep due.
    static constexpr std::int64_t kSweepInterval = 600;
    // A bucket untouched this long has refilled completely: a full bucket is the same as none.
    static constexpr std::int64_t kFullAfter = 3600;

    // `name` tells this limiter's rows from another's (the table's `limiter` column).
    DatabaseRateLimiter(store::Database& db, std::string name, std::int64_t per_hour)
        : db_(db), name_(std::move(name)), per_hour_(per_hour) {}

    boost::asio::awaitable<std::optional<std::int64_t>> take(std::string key, std::int64_t now) override;

private:
    bool claim_sweep(std::int64_t now);

    store::Database& db_;
    const std::string name_;
    const std::int64_t per_hour_;  // 0 = unlimited
    std::atomic<std::int64_t> next_sweep_{0};
};

struct RateLimits {
    std::unique_ptr<RateLimiter> registrations;  // key: client IP address
    std::unique_ptr<RateLimiter> reports;        // key: user id
};

// In memory on SQLite, in `db` on PostgreSQL (0 = unlimited). `db` must outlive the limits.
RateLimits make_rate_limits(store::Database& db, std::int64_t registrations_per_hour, std::int64_t reports_per_hour);

}  // namespace civic::api
