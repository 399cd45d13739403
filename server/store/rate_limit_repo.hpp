#pragma once
// Token buckets in the database (schema/013_rate_limits.sql), so that every node takes from the
// same bucket (API.md §1.1). The refill arithmetic is server/api/rate_limit.cpp's, written in SQL.
#include "server/store/conn.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

namespace civic::store {

struct RateBucket {
    double tokens = 0;    // what the bucket held at `at`
    std::int64_t at = 0;  // unix seconds
};

// Takes one token from (limiter, key) at `now` in one statement (a concurrent take of the same
// bucket waits for this one's commit, then sees its result): a new bucket starts full at
// `per_hour` (≥ 1), an old one first refills by `per_hour` an hour up to `per_hour`. nullopt: taken;
// otherwise the bucket as stored, which had less than one token after its refill.
std::optional<RateBucket> take_rate_token(Conn& conn, std::string_view limiter, std::string_view key,
                                          std::int64_t per_hour, std::int64_t now);

// Deletes the buckets untouched since before `cutoff` (a bucket untouched for an hour is full, and
// a full bucket is the same as none). On PostgreSQL rows another sweep holds are skipped.
void sweep_rate_buckets(Conn& conn, std::int64_t cutoff);

}  // namespace civic::store
