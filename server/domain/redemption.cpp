#include "server/domain/redemption.hpp"

#include "common/crypto.hpp"
#include "common/errors.hpp"
#include "server/domain/ledger.hpp"
#include "server/domain/masking.hpp"
#include "server/store/accounts_repo.hpp"
#include "server/store/pending.hpp"
#include "server/store/stock_repo.hpp"

#include <map>

namespace civic::domain {

namespace {

ApiError token_invalid() { return {409, "token_invalid", "the redemption code is invalid, expired or already used"}; }
ApiError out_of_stock() { return {409, "out_of_stock", "a reward's stock is smaller than the quantity asked"}; }

// The token's row if it can still be used; the hash is of the token as typed, so a forged or
// altered token simply finds nothing.
store::RedeemTokenRow usable_token(store::Conn& conn, std::string_view token, std::int64_t now) {
    if (token.empty() || token.size() > kMaxRedeemTokenChars) throw token_invalid();
    auto row = store::find_redeem_token(conn, crypto::sha256(token));
    if (!row || row->used_at || row->expires_at <= now) throw token_invalid();
    return *row;
}

}  // namespace

IssuedToken issue_redeem_token(store::Conn& conn, std::int64_t user_id, std::int64_t now) {
    store::delete_redeem_tokens_expired_before(conn, now - kRedeemTokenPurgeAfterSeconds);
    IssuedToken t{crypto::random_token(kRedeemTokenBytes), now + kRedeemTokenTtlSeconds};
    store::insert_redeem_token(conn, crypto::sha256(t.token), user_id, now, t.expires_at);
    return t;
}

TokenHolder lookup_token(store::Conn& conn, std::string_view token, std::int64_t now) {
    const auto row = usable_token(conn, token, now);
    const auto user = store::find_user(conn, row.user_id);
    return {mask_name(user ? user->display_name : ""), ledger::standing(conn, row.user_id).balance};
}

// Rows are taken from the least to the most shared, so that the shared ones are held over the
// fewest round trips to COMMIT (PostgreSQL holds a row lock until then): the code (this
// redemption's own) and the resident's balance here; each reward's stock (every redemption of that
// reward) and the redemption sink (every redemption) in finish_redemption, after the caller has
// stored its answer. void_redemption takes them in the same order, else a redeem and a void could
// deadlock. Reads the conditional UPDATEs re-check anyway are not made.
// On PostgreSQL the statements go out in two round trips (store::Query::send, run_deferred): every
// read and lock that a verdict needs — the rewards, the code's use, its holder's balance locked, the
// redemption's id drawn — in the first; the verdicts are then made here, so that what writes (the
// redemption's row, the debit, and after the caller's stored answer the stock, the lines and the
// sink's credit) needs none and goes out with the COMMIT. What was sent ahead of a refusal is
// rolled back with it.
PreparedRedemption prepare_redemption(store::Conn& conn, std::int64_t kiosk_id, std::string_view token,
                                      const std::vector<LineRequest>& lines, std::int64_t now) {
    if (token.empty() || token.size() > kMaxRedeemTokenChars) throw token_invalid();
    std::map<std::string, std::int64_t> wanted;  // merged by sku, in sku order
    for (const auto& l : lines) wanted[l.sku] += l.qty;
    std::vector<store::Pending<std::optional<store::RewardRow>>> rewards;  // not locked: take_stock re-checks
    rewards.reserve(wanted.size());
    for (const auto& [sku, qty] : wanted) rewards.push_back(store::send_find_reward(conn, sku));
    // Checked and used up in one statement; every later failure rolls the use back with the rest.
    const auto token_hash = crypto::sha256(token);
    auto holder = store::send_use_redeem_token(conn, token_hash, now);
    auto balance = store::send_lock_balance_of_code_just_used(conn, token_hash, now);
    auto redemption_id = store::send_next_redemption_id(conn);
    const auto user_id = holder.get();
    if (!user_id) throw token_invalid();

    PreparedRedemption p;
    auto& r = p.result.redemption;
    r.kiosk_id = kiosk_id;
    r.user_id = *user_id;
    r.at = now;
    bool short_of_stock = false;
    auto reward_read = rewards.begin();
    for (const auto& [sku, qty] : wanted) {
        const auto reward = (reward_read++)->get();
        if (!reward || reward->kind != "goods")
            throw ApiError::invalid_field("items", "no goods reward with sku " + sku);
        short_of_stock = short_of_stock || reward->stock < qty;
        r.lines.push_back({sku, reward->name, qty, reward->points_cost});
        r.total_points += qty * reward->points_cost;
    }
    if (short_of_stock) throw out_of_stock();
    p.debit = ledger::debit_locked(conn, balance.get(), r.total_points);  // insufficient_points
    r.id = redemption_id.get();
    // Deferred like the debit, and ahead of its lines (finish_redemption): their foreign key.
    store::insert_redemption(conn, r);
    p.result.balance_after = p.debit.balance_after;
    return p;
}

void finish_redemption(store::Conn& conn, const PreparedRedemption& p, std::int64_t now) {
    const auto& r = p.result.redemption;
    // On PostgreSQL all of it goes out with the COMMIT, so that the rows every redemption locks
    // are held over no round trip of ours: the stock (a take short since prepare_redemption read
    // it fails as a serialization failure, and the job runs again), the lines after it (see
    // insert_redemption_lines), the sink's credit (its transfer id is not needed).
    for (const auto& l : r.lines) store::take_stock(conn, l.sku, l.qty, [] { throw out_of_stock(); });
    store::insert_redemption_lines(conn, r.id, r.lines);
    ledger::credit_sink(conn, p.debit, ledger::kRedemptionSink, "redemption", "redemption:" + std::to_string(r.id),
                        now);
}

RedemptionResult redeem(store::Conn& conn, std::int64_t kiosk_id, std::string_view token,
                        const std::vector<LineRequest>& lines, std::int64_t now) {
    auto p = prepare_redemption(conn, kiosk_id, token, lines, now);
    finish_redemption(conn, p, now);
    return std::move(p.result);
}

store::RedemptionRow void_redemption(store::Conn& conn, std::int64_t kiosk_id, std::int64_t redemption_id,
                                     std::int64_t now) {
    auto r = store::find_redemption(conn, redemption_id);
    // Another kiosk's redemption is as good as unknown: a kiosk cannot probe others' ids.
    if (!r || r->kiosk_id != kiosk_id) throw ApiError::not_found("no such redemption");
    if (r->voided_at) return *r;
    if (now - r->at > kVoidWindowSeconds)
        throw ApiError::invalid_transition("a redemption can only be voided within 10 minutes");
    // Marked first: of concurrent voids only the one that marks it gives stock and points back;
    // the others return it as that one voided it.
    if (!store::mark_redemption_voided(conn, r->id, now)) return *store::find_redemption(conn, r->id);
    // redeem's order: the resident's balance, the stock, the sink.
    const auto credit = ledger::credit_resident(conn, r->user_id, r->total_points, now);
    for (const auto& l : r->lines) store::return_stock(conn, l.sku, l.qty);
    ledger::debit_sink(conn, credit, ledger::kRedemptionSink, "redemption_void", "redemption:" + std::to_string(r->id),
                       now);
    r->voided_at = now;
    return *r;
}

}  // namespace civic::domain
