#include "server/store/stock_repo.hpp"
#include "server/store/sqlite.hpp"

namespace civic::store {

namespace {

constexpr const char* kFindReward = "SELECT sku, name, points_cost, stock, kind FROM rewards WHERE sku = ?";

std::optional<RewardRow> reward_from(Query& q) {
    if (!q.next()) return std::nullopt;
    return RewardRow{q.text(0), q.text(1), q.int64(2), q.int64(3), q.text(4)};
}

}  // namespace

std::optional<RewardRow> find_reward(Conn& conn, std::string_view sku) {
    auto q = conn.query(kFindReward);
    q.args(sku);
    return reward_from(q);
}

Pending<std::optional<RewardRow>> send_find_reward(Conn& conn, std::string_view sku) {
    auto q = std::make_shared<Query>(conn.query(kFindReward));
    q->args(sku).send();
    return Pending<std::optional<RewardRow>>([q] { return reward_from(*q); });
}

void take_stock(Conn& conn, std::string_view sku, std::int64_t qty, std::function<void()> short_of_stock) {
    if (conn.engine() == Engine::postgresql) {
        // No verdict to wait for before COMMIT: a short stock is the statement's own error.
        conn.query(
                "UPDATE rewards SET stock = CASE WHEN stock >= ?1 THEN stock - ?1 "
                "ELSE civic_stock_taken_since_read(sku, stock, ?1) END WHERE sku = ?2")
            .args(qty, sku)
            .run_deferred();
        return;
    }
    conn.query("UPDATE rewards SET stock = stock - ?1 WHERE sku = ?2 AND stock >= ?1")
        .args(qty, sku)
        .run_deferred([short_of_stock = std::move(short_of_stock)](int changes) {
            if (changes != 1) short_of_stock();
        });
}

void return_stock(Conn& conn, std::string_view sku, std::int64_t qty) {
    conn.query("UPDATE rewards SET stock = stock + ?1 WHERE sku = ?2").args(qty, sku).run();
}

}  // namespace civic::store
