#include "server/store/ledger_repo.hpp"
#include "server/store/row_lock.hpp"
#include "server/store/sqlite.hpp"

namespace civic::store {

namespace {

constexpr const char* kAccountColumns = "SELECT id, kind, code, name, user_id, balance FROM ledger_accounts ";
constexpr const char* kTransferColumns =
    "SELECT id, debit_account, credit_account, amount, kind, ref, note, debit_balance_after, "
    "credit_balance_after, at FROM ledger_transfers ";

LedgerAccountRow account_from(const Query& q) {
    return {q.int64(0), q.text(1), q.opt_text(2), q.text(3), q.opt_int64(4), q.int64(5)};
}

TransferRow transfer_from(const Query& q) {
    return {q.int64(0), q.int64(1),    q.int64(2), q.int64(3), q.text(4),
            q.text(5),  q.opt_text(6), q.int64(7), q.int64(8), q.int64(9)};
}

std::optional<LedgerAccountRow> one_account(Query q) {
    if (!q.next()) return std::nullopt;
    return account_from(q);
}

}  // namespace

std::optional<LedgerAccountRow> find_resident_account(Conn& conn, std::int64_t user_id) {
    auto q = conn.query(std::string(kAccountColumns) + "WHERE user_id = ?");
    q.args(user_id);
    return one_account(std::move(q));
}

std::optional<LedgerAccountRow> find_named_account(Conn& conn, std::string_view kind, std::string_view code) {
    auto q = conn.query(std::string(kAccountColumns) + "WHERE kind = ? AND code = ?");
    q.args(kind, code);
    return one_account(std::move(q));
}

std::optional<LedgerAccountRow> find_account(Conn& conn, std::int64_t id) {
    auto q = conn.query(std::string(kAccountColumns) + "WHERE id = ?");
    q.args(id);
    return one_account(std::move(q));
}

std::int64_t insert_resident_account(Conn& conn, std::int64_t user_id, std::int64_t now) {
    return conn
        .query(
            "INSERT INTO ledger_accounts (kind, name, user_id, created_at) VALUES ('resident', ?, ?, ?) RETURNING id")
        .args("user:" + std::to_string(user_id), user_id, now)
        .run_returning_id();
}

std::int64_t claim_resident_account(Conn& conn, std::int64_t user_id, std::int64_t now) {
    if (auto a = find_resident_account(conn, user_id)) return a->id;
    conn.query(
            "INSERT INTO ledger_accounts (kind, name, user_id, created_at) VALUES ('resident', ?, ?, ?) "
            "ON CONFLICT (user_id) DO NOTHING")
        .args("user:" + std::to_string(user_id), user_id, now)
        .run();
    // Ours, or the one a concurrent first use committed while this insert waited for it.
    if (auto a = find_resident_account(conn, user_id)) return a->id;
    throw DbError(0, "ledger account of user " + std::to_string(user_id) + " neither created nor found");
}

std::optional<LedgerAccountRow> lock_resident_account(Conn& conn, std::int64_t user_id) {
    auto q = conn.query(locking(conn, std::string(kAccountColumns) + "WHERE user_id = ?"));
    q.args(user_id);
    return one_account(std::move(q));
}

std::vector<LedgerAccountRow> list_accounts(Conn& conn, std::optional<std::string_view> kind) {
    auto q = conn.query(std::string(kAccountColumns) + "WHERE ?1 IS NULL OR kind = ?1 ORDER BY id");
    q.bind(1, kind);
    std::vector<LedgerAccountRow> out;
    while (q.next()) out.push_back(account_from(q));
    return out;
}

std::int64_t add_to_balance(Conn& conn, std::int64_t account_id, std::int64_t delta) {
    auto q = conn.query("UPDATE ledger_accounts SET balance = balance + ? WHERE id = ? RETURNING balance");
    q.args(delta, account_id);
    if (!q.next()) throw DbError(0, "ledger account " + std::to_string(account_id) + " does not exist");
    const auto balance = q.int64(0);
    q.run();  // to the statement's end
    return balance;
}

std::optional<std::int64_t> debit_if_covered(Conn& conn, std::int64_t account_id, std::int64_t amount) {
    auto q = conn.query(
        "UPDATE ledger_accounts SET balance = balance - ?1 WHERE id = ?2 AND (kind = 'issuance' OR balance >= ?1) "
        "RETURNING balance");
    q.args(amount, account_id);
    if (!q.next()) return std::nullopt;
    const auto balance = q.int64(0);
    q.run();  // to the statement's end
    return balance;
}

namespace {
std::optional<AccountBalance> one_balance(Query& q) {
    if (!q.next()) return std::nullopt;
    AccountBalance b{q.int64(0), q.int64(1)};
    q.run();  // to the statement's end
    return b;
}
}  // namespace

std::optional<AccountBalance> debit_resident_if_covered(Conn& conn, std::int64_t user_id, std::int64_t amount) {
    auto q = conn.query(
        "UPDATE ledger_accounts SET balance = balance - ?1 WHERE user_id = ?2 AND balance >= ?1 RETURNING id, balance");
    q.args(amount, user_id);
    return one_balance(q);
}

void debit_locked_account(Conn& conn, std::int64_t account_id, std::int64_t amount) {
    conn.query("UPDATE ledger_accounts SET balance = balance - ?1 WHERE id = ?2")
        .args(amount, account_id)
        .run_deferred();
}

std::optional<AccountBalance> debit_named_if_covered(Conn& conn, std::string_view kind, std::string_view code,
                                                     std::int64_t amount) {
    auto q = conn.query(
        "UPDATE ledger_accounts SET balance = balance - ?1 WHERE kind = ?2 AND code = ?3 "
        "AND (kind = 'issuance' OR balance >= ?1) RETURNING id, balance");
    q.args(amount, kind, code);
    return one_balance(q);
}

AccountBalance add_to_named_balance(Conn& conn, std::string_view kind, std::string_view code, std::int64_t delta) {
    auto q = conn.query(
        "UPDATE ledger_accounts SET balance = balance + ?1 WHERE kind = ?2 AND code = ?3 RETURNING id, balance");
    q.args(delta, kind, code);
    if (auto b = one_balance(q)) return *b;
    throw DbError(0, "ledger account " + std::string(kind) + ":" + std::string(code) + " does not exist");
}

std::int64_t insert_transfer(Conn& conn, const TransferRow& t) {
    auto q = conn.query(
        "INSERT INTO ledger_transfers (debit_account, credit_account, amount, kind, ref, note, debit_balance_after, "
        "credit_balance_after, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id");
    q.args(t.debit_account, t.credit_account, t.amount, t.kind, t.ref, t.note, t.debit_balance_after,
           t.credit_balance_after, t.at);
    return q.run_returning_id();
}

Pending<std::int64_t> credit_named_and_insert_transfer(Conn& conn, std::string_view kind, std::string_view code,
                                                       TransferRow t) {
    if (conn.engine() == Engine::sqlite) {
        const auto credited = add_to_named_balance(conn, kind, code, t.amount);
        t.credit_account = credited.id;
        t.credit_balance_after = credited.balance;
        const auto id = insert_transfer(conn, t);
        return Pending<std::int64_t>([id] { return id; });
    }
    // The UPDATE in the WITH yields its row (locked) before the INSERT forms the transfer's row and
    // draws its id. The outer join makes a missing account a row of NULLs, which the NOT NULL
    // credit_account refuses: an error of the statement, with nobody left to count rows.
    auto q = std::make_shared<Query>(conn.query(
        "WITH credited AS (UPDATE ledger_accounts SET balance = balance + ?1 WHERE kind = ?2 AND code = ?3 "
        "RETURNING id, balance) "
        "INSERT INTO ledger_transfers (debit_account, credit_account, amount, kind, ref, note, debit_balance_after, "
        "credit_balance_after, at) SELECT ?4, credited.id, ?1, ?5, ?6, ?7, ?8, credited.balance, ?9 "
        "FROM (VALUES (1)) AS one LEFT JOIN credited ON true RETURNING id"));
    q->args(t.amount, kind, code, t.debit_account, t.kind, t.ref, t.note, t.debit_balance_after, t.at).send();
    return Pending<std::int64_t>([q] { return q->run_returning_id(); });
}

bool report_reward_paid(Conn& conn, std::string_view kind, std::string_view ref) {
    // The IN term repeats the partial index's WHERE so that the planner may use it; with `kind = ?`
    // alone it took ledger_transfers_by_kind and read every transfer of that kind (a scan that
    // grew with the ledger, on the writer thread, at every accept and close).
    auto q = conn.query(
        "SELECT 1 FROM ledger_transfers WHERE kind IN ('report_accepted', 'report_closed') AND kind = ? AND ref = ? "
        "LIMIT 1");
    q.args(kind, ref);
    return q.next();
}

std::vector<TransferRow> account_transfers(Conn& conn, std::int64_t account_id, std::int64_t before_id,
                                           std::int64_t limit) {
    // Two index range scans (debit side, credit side) merged by the OR optimisation.
    auto q = conn.query(std::string(kTransferColumns) +
                        "WHERE (debit_account = ?1 AND id < ?2) OR (credit_account = ?1 AND id < ?2) "
                        "ORDER BY id DESC LIMIT ?3");
    q.args(account_id, before_id, limit);
    std::vector<TransferRow> out;
    while (q.next()) out.push_back(transfer_from(q));
    return out;
}

void for_each_transfer(Conn& conn, const std::function<void(const TransferRow&)>& fn) {
    auto q = conn.query(std::string(kTransferColumns) + "ORDER BY id");
    while (q.next()) fn(transfer_from(q));
}

StandingRow find_standing(Conn& conn, std::int64_t user_id) {
    auto q = conn.query(
        "SELECT lifetime_earned, reports_accepted, reports_closed, credit_score FROM resident_standing WHERE user_id = "
        "?");
    q.args(user_id);
    if (!q.next()) return {};
    return {q.int64(0), q.int64(1), q.int64(2), q.int64(3)};
}

void add_to_standing(Conn& conn, std::int64_t user_id, const StandingRow& d) {
    conn.query(
            "INSERT INTO resident_standing (user_id, lifetime_earned, reports_accepted, reports_closed, credit_score) "
            "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (user_id) DO UPDATE SET "
            "lifetime_earned = resident_standing.lifetime_earned + ?2, "
            "reports_accepted = resident_standing.reports_accepted + ?3, "
            "reports_closed = resident_standing.reports_closed + ?4, "
            "credit_score = resident_standing.credit_score + ?5")
        .args(user_id, d.lifetime_earned, d.reports_accepted, d.reports_closed, d.credit_score)
        .run();
}

void take_from_standing(Conn& conn, std::int64_t user_id, std::int64_t lifetime_earned, std::int64_t reports_accepted) {
    conn.query(
            "UPDATE resident_standing SET "
            "lifetime_earned = CASE WHEN lifetime_earned > ?2 THEN lifetime_earned - ?2 ELSE 0 END, "
            "reports_accepted = CASE WHEN reports_accepted > ?3 THEN reports_accepted - ?3 ELSE 0 END "
            "WHERE user_id = ?1")
        .args(user_id, lifetime_earned, reports_accepted)
        .run();
}

std::int64_t daily_earned(Conn& conn, std::int64_t user_id, std::int64_t day) {
    auto q = conn.query("SELECT earned FROM daily_earnings WHERE user_id = ? AND day = ?");
    q.args(user_id, day);
    return q.next() ? q.int64(0) : 0;
}

std::int64_t lock_daily_earned(Conn& conn, std::int64_t user_id, std::int64_t day) {
    if (conn.engine() == Engine::sqlite) return daily_earned(conn, user_id, day);
    // A missing row cannot be locked: claim it first (a concurrent claim makes this one wait for
    // its commit, then do nothing), then lock it.
    conn.query("INSERT INTO daily_earnings (user_id, day, earned) VALUES (?, ?, 0) ON CONFLICT DO NOTHING")
        .args(user_id, day)
        .run();
    auto q = conn.query(locking(conn, "SELECT earned FROM daily_earnings WHERE user_id = ? AND day = ?"));
    q.args(user_id, day);
    if (!q.next()) throw DbError(0, "daily earnings row neither created nor found");
    return q.int64(0);
}

void add_daily_earned(Conn& conn, std::int64_t user_id, std::int64_t day, std::int64_t amount) {
    conn.query(
            "INSERT INTO daily_earnings (user_id, day, earned) VALUES (?1, ?2, ?3) "
            "ON CONFLICT (user_id, day) DO UPDATE SET earned = daily_earnings.earned + ?3")
        .args(user_id, day, amount)
        .run();
}

}  // namespace civic::store
