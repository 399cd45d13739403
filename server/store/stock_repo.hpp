#pragma once
// Reward stock: the catalogue row by sku, and stock taken or given back with its check done by
// the UPDATE itself (so it cannot go below zero whatever the caller checked before).
#include "server/store/city_repo.hpp"

#include <optional>

namespace civic::store {

std::optional<RewardRow> find_reward(Conn& conn, std::string_view sku);
// False (and nothing changed) when the stock is smaller than qty.
bool take_stock(Conn& conn, std::string_view sku, std::int64_t qty);
void return_stock(Conn& conn, std::string_view sku, std::int64_t qty);

}  // namespace civic::store
