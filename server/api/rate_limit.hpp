#pragma once
// Token buckets for the endpoints that cost the city something when flooded: registration (per
// client address) and report submission (per account). On top of the login lockout (§2).
//
// A bucket holds up to `per_hour` tokens and refills evenly over an hour, so a burst of a whole
// hour's allowance is possible and the long-run rate is `per_hour`. Time comes from the server's
// clock (the test clock in tests), so behaviour is exact and testable. State is in memory: a
// restart forgives everyone, which is acceptable for abuse control (it is not an accounting).
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace civic::api {

class RateLimiter {
public:
    explicit RateLimiter(std::int64_t per_hour) : per_hour_(per_hour) {}

    // Takes one token for `key` at `now` (unix seconds). nullopt: allowed; otherwise the whole
    // seconds to wait before a token is back (for Retry-After, at least 1).
    std::optional<std::int64_t> take(const std::string& key, std::int64_t now);

private:
    struct Bucket {
        double tokens = 0;
        std::int64_t at = 0;  // when `tokens` was last brought up to date
    };
    double refilled(const Bucket& b, std::int64_t now) const;
    void make_room(std::int64_t now);

    const std::int64_t per_hour_;  // 0 = unlimited
    std::mutex mutex_;
    std::unordered_map<std::string, Bucket> buckets_;
};

struct RateLimits {
    RateLimiter registrations;  // key: client IP address
    RateLimiter reports;        // key: user id
};

}  // namespace civic::api
