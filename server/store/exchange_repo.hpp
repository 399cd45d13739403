#pragma once
// 兑荣誉 and 兑信用 records, and the honour roll read from them.
#include "server/store/conn.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace civic::store {

std::int64_t insert_exchange(Conn& conn, std::int64_t user_id, std::string_view type,
                             std::optional<std::string_view> sku, std::int64_t points, std::int64_t transfer_id,
                             std::int64_t now);

struct HonourHolder {
    std::int64_t user_id = 0;
    std::string display_name;
    std::int64_t latest_exchange_id = 0;  // the roll's order and cursor
    std::int64_t lifetime_earned = 0;
};
// Residents holding honour rewards, most recent award first, below `before_latest_id`.
std::vector<HonourHolder> honour_holders(Conn& conn, std::int64_t before_latest_id, std::int64_t limit);

struct HonourAward {
    std::string sku;
    std::string name;
    std::int64_t at = 0;
};
std::vector<HonourAward> honour_awards(Conn& conn, std::int64_t user_id, std::int64_t limit);

}  // namespace civic::store
