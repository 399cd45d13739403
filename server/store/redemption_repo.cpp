#include "server/store/redemption_repo.hpp"
#include "server/store/row_lock.hpp"
#include "server/store/sqlite.hpp"

#include <memory>

namespace civic::store {

void insert_redeem_token(Conn& conn, std::string_view token_hash, std::int64_t user_id, std::int64_t now,
                         std::int64_t expires_at) {
    auto q = conn.query("INSERT INTO redeem_tokens (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)");
    q.bind_blob(1, token_hash).bind(2, user_id).bind(3, now).bind(4, expires_at);
    q.run();
}

std::optional<RedeemTokenRow> find_redeem_token(Conn& conn, std::string_view token_hash) {
    auto q = conn.query("SELECT user_id, expires_at, used_at FROM redeem_tokens WHERE token_hash = ?");
    q.bind_blob(1, token_hash);
    if (!q.next()) return std::nullopt;
    return RedeemTokenRow{q.int64(0), q.int64(1), q.opt_int64(2)};
}

std::optional<std::int64_t> use_redeem_token(Conn& conn, std::string_view token_hash, std::int64_t now) {
    auto q = conn.query(
        "UPDATE redeem_tokens SET used_at = ?1 WHERE token_hash = ?2 AND used_at IS NULL AND expires_at > ?1 "
        "RETURNING user_id");
    q.bind(1, now).bind_blob(2, token_hash);
    if (!q.next()) return std::nullopt;
    const auto user_id = q.int64(0);
    q.run();  // to the statement's end
    return user_id;
}

void delete_redeem_tokens_expired_before(Conn& conn, std::int64_t cutoff) {
    purge_rows_below(conn, "redeem_tokens", "expires_at", cutoff);
}

std::int64_t insert_redemption(Conn& conn, const RedemptionRow& r) { return send_insert_redemption(conn, r).get(); }

Pending<std::int64_t> send_insert_redemption(Conn& conn, const RedemptionRow& r) {
    auto q = std::make_shared<Query>(
        conn.query("INSERT INTO redemptions (kiosk_id, user_id, total_points, at) VALUES (?, ?, ?, ?) RETURNING id"));
    q->args(r.kiosk_id, r.user_id, r.total_points, r.at).send();
    return Pending<std::int64_t>([q] { return q->run_returning_id(); });
}

void insert_redemption_lines(Conn& conn, std::int64_t redemption_id, const std::vector<RedemptionLine>& lines) {
    for (const auto& l : lines)
        conn.query("INSERT INTO redemption_items (redemption_id, sku, name, qty, points_each) VALUES (?, ?, ?, ?, ?)")
            .args(redemption_id, l.sku, l.name, l.qty, l.points_each)
            .run_deferred();
}

std::optional<RedemptionRow> find_redemption(Conn& conn, std::int64_t id) {
    auto q = conn.query("SELECT id, kiosk_id, user_id, total_points, at, voided_at FROM redemptions WHERE id = ?");
    q.args(id);
    if (!q.next()) return std::nullopt;
    RedemptionRow r{q.int64(0), q.int64(1), q.int64(2), q.int64(3), q.int64(4), q.opt_int64(5), {}};
    auto lines =
        conn.query("SELECT sku, name, qty, points_each FROM redemption_items WHERE redemption_id = ? ORDER BY sku");
    lines.args(id);
    while (lines.next()) r.lines.push_back({lines.text(0), lines.text(1), lines.int64(2), lines.int64(3)});
    return r;
}

bool mark_redemption_voided(Conn& conn, std::int64_t id, std::int64_t now) {
    conn.query("UPDATE redemptions SET voided_at = ? WHERE id = ? AND voided_at IS NULL").args(now, id).run();
    return conn.changes() == 1;
}

}  // namespace civic::store
