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
// Takes qty off the stock, deferred (Query::run_deferred), for a caller that read the stock
// (find_reward) earlier in its transaction and found enough. When a concurrent take left less
// since: on SQLite `short_of_stock()`, which must throw, is called at once; on PostgreSQL, where
// the statement waits for the transaction's next one (often its COMMIT), it fails as a
// serialization failure (schema/postgresql/019), so the job runs again and its reads see the
// stock as it is. Rewards are never deleted, so the row exists.
void take_stock(Conn& conn, std::string_view sku, std::int64_t qty, std::function<void()> short_of_stock);
void return_stock(Conn& conn, std::string_view sku, std::int64_t qty);

}  // namespace civic::store
