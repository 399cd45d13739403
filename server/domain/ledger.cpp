#include "server/domain/ledger.hpp"

#include "common/errors.hpp"
#include "common/time.hpp"
#include "server/store/ledger_repo.hpp"

#include <map>
#include <stdexcept>

namespace civic::domain::ledger {

namespace {

ApiError insufficient_points() { return {409, "insufficient_points", "the balance is smaller than the points asked"}; }

store::LedgerAccountRow named(store::Conn& conn, std::string_view kind, std::string_view code) {
    auto a = store::find_named_account(conn, kind, code);
    // The schema creates the named accounts; their absence is a broken database, not a bad request.
    if (!a) throw std::runtime_error("ledger account " + std::string(kind) + ":" + std::string(code) + " is missing");
    return *a;
}

// The resident's account, created on first use (once, however many first uses race): most
// residents never earn a point.
std::int64_t resident_account(store::Conn& conn, std::int64_t user_id, std::int64_t now) {
    return store::claim_resident_account(conn, user_id, now);
}

struct Moved {
    std::int64_t id, debit_after, credit_after;
};

// The transfer row, once both balances have moved: its id is drawn after both accounts are
// locked, so that for each account ids follow its balance changes (the checker replays in id
// order).
Moved record_transfer(store::Conn& conn, store::AccountBalance debit, store::AccountBalance credit, std::int64_t amount,
                      std::string_view kind, std::string ref, std::optional<std::string> note, std::int64_t now) {
    store::TransferRow t;
    t.debit_account = debit.id;
    t.credit_account = credit.id;
    t.amount = amount;
    t.kind = std::string(kind);
    t.ref = std::move(ref);
    t.note = std::move(note);
    t.debit_balance_after = debit.balance;
    t.credit_balance_after = credit.balance;
    t.at = now;
    return {store::insert_transfer(conn, t), t.debit_balance_after, t.credit_balance_after};
}

// Where balances change (with debit_resident, credit_sink and refund below, which take the
// sink's row last): both balances and the transfer row, in the caller's transaction. Only the
// issuance account may go negative (the schema's CHECK enforces the same rule underneath).
Moved post_transfer(store::Conn& conn, std::int64_t debit, std::int64_t credit, std::int64_t amount,
                    std::string_view kind, std::string ref, std::optional<std::string> note, std::int64_t now) {
    if (amount <= 0) throw std::invalid_argument("ledger transfer amount must be positive");
    if (debit == credit) throw std::invalid_argument("ledger transfer between an account and itself");
    // The balance check and the debit are one conditional UPDATE: whatever a caller read before,
    // concurrent spends from one balance cannot overdraw it (the schema's CHECK is the backstop).
    const auto debit_after = store::debit_if_covered(conn, debit, amount);
    if (!debit_after) {
        if (!store::find_account(conn, debit)) throw std::runtime_error("ledger account missing");
        throw insufficient_points();
    }
    const auto credit_after = store::add_to_balance(conn, credit, amount);
    return record_transfer(conn, {debit, *debit_after}, {credit, credit_after}, amount, kind, std::move(ref),
                           std::move(note), now);
}

void check_amount(std::int64_t amount) {
    if (amount <= 0 || amount > kMaxTransferPoints) throw std::invalid_argument("ledger amount out of range");
}

}  // namespace

std::int64_t pay_report_points(store::Conn& conn, std::int64_t resident_id, std::int64_t report_id,
                               std::string_view kind, std::int64_t points, std::int64_t now, std::int64_t daily_cap) {
    const bool on_accept = kind == "report_accepted";
    if (!on_accept && kind != "report_closed") throw std::invalid_argument("pay_report_points: unknown kind");
    if (points < 0 || daily_cap < 0) throw std::invalid_argument("pay_report_points: negative points or cap");
    const auto ref = "report:" + std::to_string(report_id);
    // A report pays each reward once, even if a caller retried (the unique index backs this up).
    if (store::report_reward_paid(conn, kind, ref)) return 0;
    const auto day = timefmt::shanghai_day(now);
    std::int64_t paid = 0;
    // With nothing to pay the day's row is not read (nor, on PostgreSQL, created and locked). Else
    // it is locked before it is read: concurrent awards to one resident see each other's payments.
    if (points > 0 && daily_cap > 0)
        paid =
            std::min(points, std::max<std::int64_t>(0, daily_cap - store::lock_daily_earned(conn, resident_id, day)));
    if (paid > 0) {
        post_transfer(conn, named(conn, "issuance", kIssuance).id, resident_account(conn, resident_id, now), paid, kind,
                      ref, std::nullopt, now);
        store::add_daily_earned(conn, resident_id, day, paid);
    }
    // Merit counts the report whether or not the cap left anything to pay.
    store::StandingRow delta;
    delta.lifetime_earned = paid;
    (on_accept ? delta.reports_accepted : delta.reports_closed) = 1;
    store::add_to_standing(conn, resident_id, delta);
    return paid;
}

std::int64_t take_back_report_points(store::Conn& conn, std::int64_t resident_id, std::int64_t report_id,
                                     std::int64_t points_awarded, bool was_accepted, std::int64_t now) {
    if (points_awarded < 0) throw std::invalid_argument("take_back_report_points: negative points");
    std::int64_t taken = 0;
    // Locked: what is taken back is what the resident holds at commit, not before a concurrent spend.
    if (auto account = store::lock_resident_account(conn, resident_id)) {
        taken = std::min(points_awarded, account->balance);
        if (taken > 0)
            post_transfer(conn, account->id, named(conn, "issuance", kIssuance).id, taken, "report_voided",
                          "report:" + std::to_string(report_id), std::nullopt, now);
    }
    store::take_from_standing(conn, resident_id, points_awarded, was_accepted ? 1 : 0);
    return taken;
}

Debit debit_resident(store::Conn& conn, std::int64_t user_id, std::int64_t amount) {
    check_amount(amount);
    // The balance check and the debit are one conditional UPDATE found by the user id (no account
    // read first).
    const auto debited = store::debit_resident_if_covered(conn, user_id, amount);
    if (!debited) throw insufficient_points();
    return {debited->id, amount, debited->balance};
}

Debit debit_locked(store::Conn& conn, const std::optional<store::AccountBalance>& locked, std::int64_t amount) {
    check_amount(amount);
    if (!locked || locked->balance < amount) throw insufficient_points();
    store::debit_locked_account(conn, locked->id, amount);
    return {locked->id, amount, locked->balance - amount};
}

store::Pending<Posted> credit_sink(store::Conn& conn, const Debit& debit, std::string_view sink, std::string_view kind,
                                   std::string ref, std::int64_t now) {
    store::TransferRow t;
    t.debit_account = debit.account;
    t.amount = debit.amount;
    t.kind = std::string(kind);
    t.ref = std::move(ref);
    t.debit_balance_after = debit.balance_after;
    t.at = now;
    // The sink's credit and the transfer row in one statement on PostgreSQL: the sink, shared by
    // every spend of its kind, is then held over that statement and the COMMIT only.
    return store::Pending<Posted>([transfer = store::credit_named_and_insert_transfer(conn, "sink", sink, std::move(t)),
                                   balance_after = debit.balance_after]() mutable {
        return Posted{transfer.get(), balance_after};
    });
}

Posted spend(store::Conn& conn, std::int64_t user_id, std::string_view sink, std::int64_t amount, std::string_view kind,
             std::string ref, std::int64_t now) {
    return credit_sink(conn, debit_resident(conn, user_id, amount), sink, kind, std::move(ref), now).get();
}

Credit credit_resident(store::Conn& conn, std::int64_t user_id, std::int64_t amount, std::int64_t now) {
    check_amount(amount);
    const auto account = resident_account(conn, user_id, now);
    return {account, amount, store::add_to_balance(conn, account, amount)};
}

Posted debit_sink(store::Conn& conn, const Credit& credit, std::string_view sink, std::string_view kind,
                  std::string ref, std::int64_t now) {
    const auto debited = store::debit_named_if_covered(conn, "sink", sink, credit.amount);
    if (!debited) throw insufficient_points();
    const auto m = record_transfer(conn, *debited, {credit.account, credit.balance_after}, credit.amount, kind,
                                   std::move(ref), std::nullopt, now);
    return {m.id, m.credit_after};
}

Posted donate(store::Conn& conn, std::int64_t user_id, std::string_view fund, std::int64_t points, std::int64_t now) {
    check_amount(points);
    auto fund_account = store::find_named_account(conn, "fund", fund);
    if (!fund_account) throw ApiError::invalid_field("fund", "no such fund");
    auto account = store::find_resident_account(conn, user_id);
    if (!account || account->balance < points) throw insufficient_points();
    const auto m = post_transfer(conn, account->id, fund_account->id, points, "donation", "fund:" + std::string(fund),
                                 std::nullopt, now);
    return {m.id, m.debit_after};
}

Posted exchange_for_credit(store::Conn& conn, std::int64_t user_id, std::int64_t points, std::string ref,
                           std::int64_t now) {
    if (points % kCreditPointsPerUnit != 0) throw std::invalid_argument("credit exchange: not a multiple of 10");
    auto posted = spend(conn, user_id, kCreditSink, points, "credit_exchange", std::move(ref), now);
    store::StandingRow delta;
    delta.credit_score = points / kCreditPointsPerUnit;
    store::add_to_standing(conn, user_id, delta);
    return posted;
}

Posted adjust(store::Conn& conn, std::int64_t user_id, std::int64_t points, std::string_view reason,
              std::int64_t admin_id, std::int64_t now) {
    check_amount(points < 0 ? -points : points);
    const auto issuance = named(conn, "issuance", kIssuance).id;
    const auto account = resident_account(conn, user_id, now);
    const auto ref = "admin:" + std::to_string(admin_id);
    if (points > 0) {
        const auto m = post_transfer(conn, issuance, account, points, "adjustment", ref, std::string(reason), now);
        store::StandingRow delta;
        delta.lifetime_earned = points;
        store::add_to_standing(conn, user_id, delta);
        return {m.id, m.credit_after};
    }
    const auto m = post_transfer(conn, account, issuance, -points, "adjustment", ref, std::string(reason), now);
    return {m.id, m.debit_after};
}

Honour honour_for(std::int64_t lifetime_earned) {
    static constexpr std::array<const char*, 11> kTitles = {
        "见习市民",     "一星文明市民", "二星文明市民", "三星文明市民", "四星文明市民", "五星文明市民",
        "六星文明市民", "七星文明市民", "八星文明市民", "九星文明市民", "十星文明市民"};
    Honour h;
    for (std::size_t i = 1; i < kStarThresholds.size(); ++i)
        if (lifetime_earned >= kStarThresholds[i]) h.stars = static_cast<int>(i);
    h.title = kTitles[static_cast<std::size_t>(h.stars)];
    if (static_cast<std::size_t>(h.stars) + 1 < kStarThresholds.size())
        h.next_stars_at = kStarThresholds[static_cast<std::size_t>(h.stars) + 1];
    return h;
}

Standing standing(store::Conn& conn, std::int64_t user_id) {
    Standing s;
    if (auto a = store::find_resident_account(conn, user_id)) s.balance = a->balance;
    const auto row = store::find_standing(conn, user_id);
    s.lifetime_earned = row.lifetime_earned;
    s.reports_accepted = row.reports_accepted;
    s.reports_closed = row.reports_closed;
    s.credit_score = row.credit_score;
    return s;
}

std::vector<StatementLine> statement(store::Conn& conn, std::int64_t user_id, std::int64_t before_id,
                                     std::int64_t limit) {
    std::vector<StatementLine> out;
    const auto account = store::find_resident_account(conn, user_id);
    if (!account) return out;
    for (const auto& t : store::account_transfers(conn, account->id, before_id, limit)) {
        const bool out_going = t.debit_account == account->id;
        out.push_back({t.id, t.at, out_going ? -t.amount : t.amount, t.kind, t.ref,
                       out_going ? t.debit_balance_after : t.credit_balance_after});
    }
    return out;
}

std::vector<Fund> funds(store::Conn& conn) {
    std::vector<Fund> out;
    for (const auto& a : store::list_accounts(conn, "fund")) out.push_back({a.code.value_or(""), a.name, a.balance});
    return out;
}

std::vector<std::string> check_invariants(store::Conn& conn) {
    std::vector<std::string> problems;
    std::map<std::int64_t, std::int64_t> replayed;
    store::for_each_transfer(conn, [&](const store::TransferRow& t) {
        const auto tag = "transfer " + std::to_string(t.id);
        if (t.amount <= 0) problems.push_back(tag + ": amount " + std::to_string(t.amount) + " is not positive");
        const auto debit_after = replayed[t.debit_account] -= t.amount;
        const auto credit_after = replayed[t.credit_account] += t.amount;
        if (debit_after != t.debit_balance_after)
            problems.push_back(tag + ": debit balance after is " + std::to_string(t.debit_balance_after) +
                               ", replay gives " + std::to_string(debit_after));
        if (credit_after != t.credit_balance_after)
            problems.push_back(tag + ": credit balance after is " + std::to_string(t.credit_balance_after) +
                               ", replay gives " + std::to_string(credit_after));
    });
    std::int64_t sum = 0;
    for (const auto& a : store::list_accounts(conn, std::nullopt)) {
        const auto tag = "account " + std::to_string(a.id) + " (" + a.kind + " " +
                         (a.user_id ? "user " + std::to_string(*a.user_id) : a.code.value_or("")) + ")";
        sum += a.balance;
        if (a.kind != "issuance" && a.balance < 0)
            problems.push_back(tag + ": negative balance " + std::to_string(a.balance));
        const auto it = replayed.find(a.id);
        const auto expected = it == replayed.end() ? 0 : it->second;
        if (a.balance != expected)
            problems.push_back(tag + ": balance " + std::to_string(a.balance) + " but its transfers sum to " +
                               std::to_string(expected));
        if (it != replayed.end()) replayed.erase(it);
    }
    for (const auto& [id, balance] : replayed)
        problems.push_back("transfers name account " + std::to_string(id) + " that does not exist");
    if (sum != 0) problems.push_back("balances sum to " + std::to_string(sum) + ", not zero");
    return problems;
}

}  // namespace civic::domain::ledger
