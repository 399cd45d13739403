#include "server/store/rate_limit_repo.hpp"

#include "server/store/row_lock.hpp"
#include "server/store/sqlite.hpp"

#include <cassert>
#include <string>

namespace civic::store {

std::optional<RateBucket> take_rate_token(Conn& conn, std::string_view limiter, std::string_view key,
                                          std::int64_t per_hour, std::int64_t now) {
    assert(per_hour >= 1);
    // ?3 is the allowance as a real on both engines. The refill of an existing row, written out
    // three times (CASE: min and max are spelled differently on the two engines):
    //   tokens + max(0, now - at) * allowance / 3600, capped at the allowance;
    // a clock set backwards refills nothing, and `at` never moves back.
    static const std::string refill =
        "rate_limit_buckets.tokens + (CASE WHEN excluded.at > rate_limit_buckets.at THEN excluded.at - "
        "rate_limit_buckets.at ELSE 0 END) * ?3 / 3600.0";
    static const std::string take =
        "INSERT INTO rate_limit_buckets (limiter, key, tokens, at) VALUES (?1, ?2, ?3 - 1, ?4) "
        "ON CONFLICT (limiter, key) DO UPDATE SET tokens = (CASE WHEN " +
        refill + " >= ?3 THEN ?3 ELSE " + refill +
        " END) - 1, "
        "at = CASE WHEN excluded.at > rate_limit_buckets.at THEN excluded.at ELSE rate_limit_buckets.at END "
        "WHERE " +
        refill + " >= 1 RETURNING tokens";
    auto q = conn.query(take);
    q.bind(1, limiter).bind(2, key).bind(3, static_cast<double>(per_hour)).bind(4, now);
    if (q.next()) return std::nullopt;
    auto bucket = conn.query("SELECT tokens, at FROM rate_limit_buckets WHERE limiter = ? AND key = ?");
    bucket.args(limiter, key);
    if (!bucket.next()) return RateBucket{0, now};  // swept meanwhile: treat as just emptied
    return RateBucket{bucket.real(0), bucket.int64(1)};
}

void sweep_rate_buckets(Conn& conn, std::int64_t cutoff) { purge_rows_below(conn, "rate_limit_buckets", "at", cutoff); }

}  // namespace civic::store
