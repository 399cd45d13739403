#include "server/store/exchange_repo.hpp"
#include "server/store/sqlite.hpp"

namespace civic::store {

std::int64_t insert_exchange(Conn& conn, std::int64_t user_id, std::string_view type,
                             std::optional<std::string_view> sku, std::int64_t points, std::int64_t transfer_id,
                             std::int64_t now) {
    return conn
        .query(
            "INSERT INTO exchanges (user_id, type, sku, points, transfer_id, at) VALUES (?, ?, ?, ?, ?, ?) "
            "RETURNING id")
        .args(user_id, type, sku, points, transfer_id, now)
        .run_returning_id();
}

std::vector<HonourHolder> honour_holders(Conn& conn, std::int64_t before_latest_id, std::int64_t limit) {
    auto q = conn.query(
        "SELECT e.user_id, u.display_name, MAX(e.id) AS latest, COALESCE(s.lifetime_earned, 0) "
        "FROM exchanges e JOIN users u ON u.id = e.user_id "
        "LEFT JOIN resident_standing s ON s.user_id = e.user_id "
        "WHERE e.type = 'honour' GROUP BY e.user_id, u.display_name, s.lifetime_earned HAVING MAX(e.id) < ? "
        "ORDER BY latest DESC LIMIT ?");
    q.args(before_latest_id, limit);
    std::vector<HonourHolder> out;
    while (q.next()) out.push_back({q.int64(0), q.text(1), q.int64(2), q.int64(3)});
    return out;
}

std::vector<HonourAward> honour_awards(Conn& conn, std::int64_t user_id, std::int64_t limit) {
    auto q = conn.query(
        "SELECT e.sku, r.name, e.at FROM exchanges e JOIN rewards r ON r.sku = e.sku "
        "WHERE e.user_id = ? AND e.type = 'honour' ORDER BY e.id DESC LIMIT ?");
    q.args(user_id, limit);
    std::vector<HonourAward> out;
    while (q.next()) out.push_back({q.text(0), q.text(1), q.int64(2)});
    return out;
}

}  // namespace civic::store
