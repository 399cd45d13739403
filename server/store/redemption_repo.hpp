#pragma once
// One-time redemption tokens (hashed) and kiosk redemptions with their lines.
#include "server/store/conn.hpp"
#include "server/store/ledger_repo.hpp"
#include "server/store/pending.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace civic::store {

struct RedeemTokenRow {
    std::int64_t user_id = 0;
    std::int64_t expires_at = 0;
    std::optional<std::int64_t> used_at;
};

void insert_redeem_token(Conn& conn, std::string_view token_hash, std::int64_t user_id, std::int64_t now,
                         std::int64_t expires_at);
std::optional<RedeemTokenRow> find_redeem_token(Conn& conn, std::string_view token_hash);
// Marks the token used if it is unused and unexpired and returns its holder's user id; nullopt
// otherwise (nothing changed). The check and the claim are one statement, sent ahead
// (pending.hpp), inside a transaction.
Pending<std::optional<std::int64_t>> send_use_redeem_token(Conn& conn, std::string_view token_hash, std::int64_t now);
// Sent after send_use_redeem_token of the same token and `now`: the balance of the resident whose
// code this transaction has just used, locked until commit (row_lock.hpp); nullopt if the code was
// not used here or its holder has no account. Found through the code, so that it goes out in the
// same round trip as the code's use, before the holder's id is known.
Pending<std::optional<AccountBalance>> send_lock_balance_of_code_just_used(Conn& conn, std::string_view token_hash,
                                                                           std::int64_t now);
void delete_redeem_tokens_expired_before(Conn& conn, std::int64_t cutoff);

struct RedemptionLine {
    std::string sku;
    std::string name;
    std::int64_t qty = 0;
    std::int64_t points_each = 0;
};

struct RedemptionRow {
    std::int64_t id = 0;
    std::int64_t kiosk_id = 0;
    std::int64_t user_id = 0;
    std::int64_t total_points = 0;
    std::int64_t at = 0;
    std::optional<std::int64_t> voided_at;
    std::vector<RedemptionLine> lines;
};

// The id the next redemption may take, sent ahead: drawn from the sequence on PostgreSQL (never
// handed out twice, a rollback leaves a gap); on SQLite, whose one writer excludes any other
// insert until commit, one past the largest.
Pending<std::int64_t> send_next_redemption_id(Conn& conn);
// The redemption's row (its lines not) under redemption.id (send_next_redemption_id), deferred
// (Query::run_deferred): it goes out with the next round trip and needs no verdict.
void insert_redemption(Conn& conn, const RedemptionRow& redemption);
// Its lines, deferred (Query::run_deferred). Each references its reward's row, which on
// PostgreSQL takes a key-share lock on it: inserted after the stock is taken, that lock is
// already this transaction's, and concurrent redemptions of one reward share no lock on its row
// (shared row locks make MultiXacts, which every later lock of that row must read).
void insert_redemption_lines(Conn& conn, std::int64_t redemption_id, const std::vector<RedemptionLine>& lines);
std::optional<RedemptionRow> find_redemption(Conn& conn, std::int64_t id);
// Marks it voided unless it is already; false (nothing changed) if it was. The claim of a void:
// of concurrent voids on PostgreSQL one marks it, the others wait for its commit and get false.
bool mark_redemption_voided(Conn& conn, std::int64_t id, std::int64_t now);

}  // namespace civic::store
