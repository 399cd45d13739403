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

Pending<std::optional<std::int64_t>> send_use_redeem_token(Conn& conn, std::string_view token_hash, std::int64_t now) {
    auto q = std::make_shared<Query>(conn.query(
        "UPDATE redeem_tokens SET used_at = ?1 WHERE token_hash = ?2 AND used_at IS NULL AND expires_at > ?1 "
        "RETURNING user_id"));
    q->bind(1, now).bind_blob(2, token_hash).send();
    return Pending<std::optional<std::int64_t>>([q]() -> std::optional<std::int64_t> {
        if (!q->next()) return std::nullopt;
        const auto user_id = q->int64(0);
        q->run();  // to the statement's end
        return user_id;
    });
}

Pending<std::optional<AccountBalance>> send_lock_balance_of_code_just_used(Conn& conn, std::string_view token_hash,
                                                                           std::int64_t now) {
    // `used_at = now` keeps a code used earlier (by another transaction, at another second) from
    // locking its holder's balance for a request that will be refused anyway.
    auto q = std::make_shared<Query>(
        conn.query(locking(conn,
                           "SELECT id, balance FROM ledger_accounts WHERE user_id = "
                           "(SELECT user_id FROM redeem_tokens WHERE token_hash = ?1 AND used_at = ?2)")));
    q->bind_blob(1, token_hash).bind(2, now).send();
    return Pending<std::optional<AccountBalance>>([q]() -> std::optional<AccountBalance> {
        if (!q->next()) return std::nullopt;
        AccountBalance b{q->int64(0), q->int64(1)};
        q->run();  // to the statement's end
        return b;
    });
}

void delete_redeem_tokens_expired_before(Conn& conn, std::int64_t cutoff) {
    purge_rows_below(conn, "redeem_tokens", "expires_at", cutoff);
}

Pending<std::int64_t> send_next_redemption_id(Conn& conn) {
    auto q = std::make_shared<Query>(conn.query(conn.engine() == Engine::postgresql
                                                    ? "SELECT nextval('redemptions_id_seq')"
                                                    : "SELECT coalesce(max(id), 0) + 1 FROM redemptions"));
    q->send();
    return Pending<std::int64_t>([q] {
        if (!q->next()) throw DbError(0, "no next redemption id");
        const auto id = q->int64(0);
        q->run();  // to the statement's end
        return id;
    });
}

void insert_redemption(Conn& conn, const RedemptionRow& r) {
    conn.query("INSERT INTO redemptions (id, kiosk_id, user_id, total_points, at) VALUES (?, ?, ?, ?, ?)")
        .args(r.id, r.kiosk_id, r.user_id, r.total_points, r.at)
        .run_deferred();
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
