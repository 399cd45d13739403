#pragma once
// 兑奖品 at a kiosk (API.md §7): one-time tokens shown by the resident's app, lookup, redemption
// (token used up, stock down, points down — in the caller's one transaction) and void.
#include "server/domain/ledger.hpp"
#include "server/store/redemption_repo.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace civic::domain {

inline constexpr std::size_t kRedeemTokenBytes = 32;  // 256 random bits
inline constexpr std::size_t kMaxRedeemTokenChars = 128;
inline constexpr std::int64_t kRedeemTokenTtlSeconds = 120;
// Expired tokens are deleted this long after expiry (they are refused from the moment they expire).
inline constexpr std::int64_t kRedeemTokenPurgeAfterSeconds = 3600;
inline constexpr std::int64_t kVoidWindowSeconds = 600;
inline constexpr std::size_t kMaxRedemptionLines = 50;
inline constexpr std::int64_t kMaxRedemptionQty = 99;

struct IssuedToken {
    std::string token;  // shown once; only its SHA-256 is stored
    std::int64_t expires_at = 0;
};
IssuedToken issue_redeem_token(store::Conn& conn, std::int64_t user_id, std::int64_t now);

struct TokenHolder {
    std::string masked_name;
    std::int64_t balance = 0;
};
// 409 token_invalid for a forged, expired or used token. Does not use the token up.
TokenHolder lookup_token(store::Conn& conn, std::string_view token, std::int64_t now);

struct LineRequest {
    std::string sku;
    std::int64_t qty = 0;
};

struct RedemptionResult {
    store::RedemptionRow redemption;
    std::int64_t balance_after = 0;
};

// 409 token_invalid / out_of_stock / insufficient_points (checked in that order), 400
// invalid_field "items" for a sku that is not a goods reward. Lines with the same sku are merged.
RedemptionResult redeem(store::Conn& conn, std::int64_t kiosk_id, std::string_view token,
                        const std::vector<LineRequest>& lines, std::int64_t now);
// redeem in two steps, for a caller that stores its answer between them (the kiosk API's
// Idempotency-Key): prepare_redemption makes every check and takes every row but the shared ones —
// the code used up, the points debited, the redemption recorded — so its result is the answer;
// finish_redemption then takes each reward's stock (409 out_of_stock if a concurrent redemption
// took it since the check) and credits the redemption sink, the rows every redemption of a reward
// (or every redemption) locks, last, just before COMMIT. Both in one transaction; an error from
// finish must roll back prepare's work with it.
struct PreparedRedemption {
    RedemptionResult result;
    ledger::Debit debit;
};
PreparedRedemption prepare_redemption(store::Conn& conn, std::int64_t kiosk_id, std::string_view token,
                                      const std::vector<LineRequest>& lines, std::int64_t now);
void finish_redemption(store::Conn& conn, const PreparedRedemption& prepared, std::int64_t now);

// Same kiosk within kVoidWindowSeconds; a voided redemption is returned unchanged. 404 for an
// unknown id or another kiosk's redemption; 409 invalid_transition when too late.
store::RedemptionRow void_redemption(store::Conn& conn, std::int64_t kiosk_id, std::int64_t redemption_id,
                                     std::int64_t now);

}  // namespace civic::domain
