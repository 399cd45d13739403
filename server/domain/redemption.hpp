#pragma once
// 兑奖品 at a kiosk (API.md §7): one-time tokens shown by the resident's app, lookup, redemption
// (token used up, stock down, points down — in the caller's one transaction) and void.
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
// Same kiosk within kVoidWindowSeconds; a voided redemption is returned unchanged. 404 for an
// unknown id or another kiosk's redemption; 409 invalid_transition when too late.
store::RedemptionRow void_redemption(store::Conn& conn, std::int64_t kiosk_id, std::int64_t redemption_id,
                                     std::int64_t now);

}  // namespace civic::domain
