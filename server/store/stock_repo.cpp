#include "server/store/stock_repo.hpp"
#include "server/store/sqlite.hpp"

namespace civic::store {

std::optional<RewardRow> find_reward(Conn& conn, std::string_view sku) {
    auto q = conn.query("SELECT sku, name, points_cost, stock, kind FROM rewards WHERE sku = ?");
    q.args(sku);
    if (!q.next()) return std::nullopt;
    return RewardRow{q.text(0), q.text(1), q.int64(2), q.int64(3), q.text(4)};
}

bool take_stock(Conn& conn, std::string_view sku, std::int64_t qty) {
    conn.query("UPDATE rewards SET stock = stock - ?1 WHERE sku = ?2 AND stock >= ?1").args(qty, sku).run();
    return conn.changes() == 1;
}

void return_stock(Conn& conn, std::string_view sku, std::int64_t qty) {
    conn.query("UPDATE rewards SET stock = stock + ?1 WHERE sku = ?2").args(qty, sku).run();
}

}  // namespace civic::store
