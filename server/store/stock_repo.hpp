#pragma once
// Reward stock: the catalogue row by sku, and stock taken or given back with its check done by
// the UPDATE itself (so it cannot go below zero whatever the caller checked before).
#include "server/store/city_repo.hpp"
#include "server/store/pending.hpp"

#include <functional>
#include <optional>

namespace civic::store {

std::optional<RewardRow> find_reward(Conn& conn, std::string_view sku);
// find_reward sent ahead (pending.hpp).
Pending<std::optional<RewardRow>> send_find_reward(Conn& conn, std::string_view sku);
// Takes qty off the stock, deferred (Query::run_deferred): when the stock is smaller, nothing
// changes and `short_of_stock()`, which must throw, is called when the verdict arrives.
void take_stock(Conn& conn, std::string_view sku, std::int64_t qty, std::function<void()> short_of_stock);
void return_stock(Conn& conn, std::string_view sku, std::int64_t qty);

}  // namespace civic::store
