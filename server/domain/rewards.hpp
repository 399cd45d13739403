#pragma once
// The reward catalogue (API.md §6): goods redeemed at kiosks, honours exchanged in the app.
#include "server/store/city_repo.hpp"

#include <cstdint>

namespace civic::domain {

inline constexpr std::size_t kMaxSkuChars = 64;
inline constexpr std::size_t kMaxRewardNameChars = 100;
inline constexpr std::int64_t kMaxRewardCost = 1'000'000;
inline constexpr std::int64_t kMaxRewardStock = 1'000'000;

// Validates (400 invalid_field naming the field) and stores; 409 conflict when the sku is taken.
store::RewardRow create_reward(store::Conn& conn, const store::RewardRow& reward, std::int64_t now);
void check_reward(const store::RewardRow& reward);

}  // namespace civic::domain
