#pragma once
// 兑荣誉 (points for an honour reward, shown on the public honour roll) and 兑信用 (points for
// credit score), API.md §6. Run inside the caller's write transaction.
#include "server/store/conn.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace civic::domain {

inline constexpr std::int64_t kMaxHonoursShownPerResident = 20;

struct ExchangeResult {
    std::int64_t id = 0;
    std::int64_t points = 0;
    std::int64_t balance_after = 0;
    std::int64_t credit_score = 0;  // credit exchanges
};

// 400 invalid_field "sku" for an unknown sku or a goods reward; 409 out_of_stock;
// 409 insufficient_points.
ExchangeResult exchange_for_honour(store::Conn& conn, std::int64_t user_id, std::string_view sku, std::int64_t now);
// `points` a positive multiple of 10 (checked by the caller); 409 insufficient_points.
ExchangeResult exchange_for_credit(store::Conn& conn, std::int64_t user_id, std::int64_t points, std::int64_t now);

struct HonourRollEntry {
    std::int64_t cursor_id = 0;
    std::string masked_name;
    int stars = 0;
    struct Honour {
        std::string sku, name;
        std::int64_t at = 0;
    };
    std::vector<Honour> honours;
};
std::vector<HonourRollEntry> honour_roll(store::Conn& conn, std::int64_t before_id, std::int64_t limit);

}  // namespace civic::domain
