#include "server/domain/exchanges.hpp"

#include "common/errors.hpp"
#include "server/domain/ledger.hpp"
#include "server/domain/masking.hpp"
#include "server/store/exchange_repo.hpp"
#include "server/store/ledger_repo.hpp"
#include "server/store/stock_repo.hpp"

namespace civic::domain {

ExchangeResult exchange_for_honour(store::Conn& conn, std::int64_t user_id, std::string_view sku, std::int64_t now) {
    const auto reward = store::find_reward(conn, sku);
    if (!reward || reward->kind != "honour") throw ApiError::invalid_field("sku", "no honour reward with this sku");
    const auto out_of_stock = [] { throw ApiError(409, "out_of_stock", "this honour is out of stock"); };
    if (reward->stock < 1) out_of_stock();
    // Its verdict arrives with the debit's round trip (out_of_stock first if both refuse).
    store::take_stock(conn, sku, 1, out_of_stock);
    const auto posted = ledger::spend(conn, user_id, ledger::kHonourSink, reward->points_cost, "honour_exchange",
                                      "reward:" + std::string(sku), now);
    const auto id = store::insert_exchange(conn, user_id, "honour", sku, reward->points_cost, posted.transfer_id, now);
    return {id, reward->points_cost, posted.balance_after, store::find_standing(conn, user_id).credit_score};
}

ExchangeResult exchange_for_credit(store::Conn& conn, std::int64_t user_id, std::int64_t points, std::int64_t now) {
    const auto posted = ledger::exchange_for_credit(
        conn, user_id, points, "credit:+" + std::to_string(points / ledger::kCreditPointsPerUnit), now);
    const auto id = store::insert_exchange(conn, user_id, "credit", std::nullopt, points, posted.transfer_id, now);
    return {id, points, posted.balance_after, store::find_standing(conn, user_id).credit_score};
}

std::vector<HonourRollEntry> honour_roll(store::Conn& conn, std::int64_t before_id, std::int64_t limit) {
    std::vector<HonourRollEntry> out;
    for (const auto& h : store::honour_holders(conn, before_id, limit)) {
        HonourRollEntry e;
        e.cursor_id = h.latest_exchange_id;
        e.masked_name = mask_name(h.display_name);
        e.stars = ledger::honour_for(h.lifetime_earned).stars;
        for (const auto& a : store::honour_awards(conn, h.user_id, kMaxHonoursShownPerResident))
            e.honours.push_back({a.sku, a.name, a.at});
        out.push_back(std::move(e));
    }
    return out;
}

}  // namespace civic::domain
