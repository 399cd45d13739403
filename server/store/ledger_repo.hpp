#pragma once
// The SQL behind domain/ledger: accounts, immutable transfers, residents' standing and the
// daily-cap counter. Only domain/ledger calls the functions that change balances.
#include "server/store/conn.hpp"
#include "server/store/pending.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace civic::store {

struct LedgerAccountRow {
    std::int64_t id = 0;
    std::string kind;  // resident, issuance, fund, sink
    std::optional<std::string> code;
    std::string name;
    std::optional<std::int64_t> user_id;
    std::int64_t balance = 0;
};

struct TransferRow {
    std::int64_t id = 0;
    std::int64_t debit_account = 0;
    std::int64_t credit_account = 0;
    std::int64_t amount = 0;
    std::string kind;
    std::string ref;
    std::optional<std::string> note;
    std::int64_t debit_balance_after = 0;
    std::int64_t credit_balance_after = 0;
    std::int64_t at = 0;
};

struct StandingRow {
    std::int64_t lifetime_earned = 0;
    std::int64_t reports_accepted = 0;
    std::int64_t reports_closed = 0;
    std::int64_t credit_score = 0;
};

std::optional<LedgerAccountRow> find_resident_account(Conn& conn, std::int64_t user_id);
std::optional<LedgerAccountRow> find_named_account(Conn& conn, std::string_view kind, std::string_view code);
std::optional<LedgerAccountRow> find_account(Conn& conn, std::int64_t id);
std::int64_t insert_resident_account(Conn& conn, std::int64_t user_id, std::int64_t now);
// The resident's account id, created if missing; concurrent first uses create one account
// (INSERT … ON CONFLICT DO NOTHING, then read).
std::int64_t claim_resident_account(Conn& conn, std::int64_t user_id, std::int64_t now);
// The resident's account, its row locked until commit (PostgreSQL; see row_lock.hpp).
std::optional<LedgerAccountRow> lock_resident_account(Conn& conn, std::int64_t user_id);
std::vector<LedgerAccountRow> list_accounts(Conn& conn, std::optional<std::string_view> kind);

// Adds `delta` and returns the new balance; the table's CHECK refuses a negative balance for
// any account but the issuance account (DbError).
std::int64_t add_to_balance(Conn& conn, std::int64_t account_id, std::int64_t delta);
// Takes `amount` from the account if its balance covers it (the issuance account's always does)
// and returns the new balance; nullopt (nothing changed) if it does not, or if there is no such
// account. One conditional UPDATE: under concurrent spends the check and the debit are one step.
std::optional<std::int64_t> debit_if_covered(Conn& conn, std::int64_t account_id, std::int64_t amount);
// An account's id and its balance after a change.
struct AccountBalance {
    std::int64_t id = 0;
    std::int64_t balance = 0;
};
// The same two moves by the account's user id or (kind, code) instead of its id: the UPDATE finds
// the row, so a caller need not read the account first (one round trip fewer on PostgreSQL).
// Takes `amount` from the resident's account if it covers it; nullopt (nothing changed) if it does
// not or the resident has no account.
std::optional<AccountBalance> debit_resident_if_covered(Conn& conn, std::int64_t user_id, std::int64_t amount);
// Takes `amount` from an account whose row this transaction holds locked and whose balance it has
// seen cover it, deferred (Query::run_deferred): no verdict to wait for, the schema's CHECK is the
// backstop.
void debit_locked_account(Conn& conn, std::int64_t account_id, std::int64_t amount);
// Takes `amount` from the named account if it covers it; nullopt (nothing changed) if not.
std::optional<AccountBalance> debit_named_if_covered(Conn& conn, std::string_view kind, std::string_view code,
                                                     std::int64_t amount);
// Adds `delta` to the named account's balance; DbError if there is no such account.
AccountBalance add_to_named_balance(Conn& conn, std::string_view kind, std::string_view code, std::int64_t delta);
std::int64_t insert_transfer(Conn& conn, const TransferRow& transfer);
// add_to_named_balance(kind, code, t.amount) and insert_transfer(t) with that account as the credit
// side (t's credit fields are filled in); get() gives the transfer's id. On PostgreSQL one
// statement, sent (pending.hpp): it goes out with the transaction's next statement — the COMMIT,
// when nothing follows — so a hot named account is locked in the COMMIT's round trip only, and
// the transfer's id is still drawn after its row is locked (ids follow the balance's order). It
// runs whether get() is called or not; a missing account is its error. Two statements on SQLite,
// run at once.
Pending<std::int64_t> credit_named_and_insert_transfer(Conn& conn, std::string_view kind, std::string_view code,
                                                       TransferRow t);
// Whether a report reward (kind 'report_accepted' or 'report_closed') was already paid for `ref`:
// one lookup in the partial unique index that also enforces it.
bool report_reward_paid(Conn& conn, std::string_view kind, std::string_view ref);
// The account's transfers with id < before_id, newest first.
std::vector<TransferRow> account_transfers(Conn& conn, std::int64_t account_id, std::int64_t before_id,
                                           std::int64_t limit);
// Every transfer in id order (the checker's replay).
void for_each_transfer(Conn& conn, const std::function<void(const TransferRow&)>& fn);

StandingRow find_standing(Conn& conn, std::int64_t user_id);
void add_to_standing(Conn& conn, std::int64_t user_id, const StandingRow& delta);
// The reverse, for a voided report: lowers the counters, never below zero (an upsert cannot: the
// row it would insert fails the counters' CHECK before the conflict is seen).
void take_from_standing(Conn& conn, std::int64_t user_id, std::int64_t lifetime_earned, std::int64_t reports_accepted);

std::int64_t daily_earned(Conn& conn, std::int64_t user_id, std::int64_t day);
// daily_earned for a payment about to be made: on PostgreSQL the day's row is created if missing
// (earned 0) and locked until commit, so concurrent awards to one resident queue here and each
// reads what the others paid. On SQLite, the plain read (the writer excludes the others).
std::int64_t lock_daily_earned(Conn& conn, std::int64_t user_id, std::int64_t day);
void add_daily_earned(Conn& conn, std::int64_t user_id, std::int64_t day, std::int64_t amount);

}  // namespace civic::store
