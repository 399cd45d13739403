#include "server/domain/rewards.hpp"

#include "common/errors.hpp"
#include "common/utf8.hpp"

namespace civic::domain {

void check_reward(const store::RewardRow& r) {
    const bool sku_ok = !r.sku.empty() && r.sku.size() <= kMaxSkuChars &&
                        r.sku.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") ==
                            std::string::npos;
    if (!sku_ok) throw ApiError::invalid_field("sku", "sku must be 1 to 64 of A-Z a-z 0-9 _ . -");
    if (r.name.empty() || utf8::length(r.name) > kMaxRewardNameChars || utf8::has_control_chars(r.name, false))
        throw ApiError::invalid_field("name", "name must be 1 to 100 characters");
    if (r.points_cost < 1 || r.points_cost > kMaxRewardCost)
        throw ApiError::invalid_field("points_cost", "points_cost must be 1 to 1000000");
    if (r.stock < 0 || r.stock > kMaxRewardStock) throw ApiError::invalid_field("stock", "stock must be 0 to 1000000");
    if (r.kind != "goods" && r.kind != "honour") throw ApiError::invalid_field("kind", "kind must be goods or honour");
}

store::RewardRow create_reward(store::Conn& conn, const store::RewardRow& reward, std::int64_t now) {
    check_reward(reward);
    try {
        store::insert_reward(conn, reward, now);
    } catch (const store::DbError& e) {
        if (e.constraint_unique()) throw ApiError::conflict("a reward with this sku exists");
        throw;
    }
    return reward;
}

}  // namespace civic::domain
