#pragma once
// The points ledger (API.md §5): double-entry transfers between accounts; the only code that
// changes balances. Functions run inside the caller's write transaction.
#include "server/store/conn.hpp"
#include "server/store/ledger_repo.hpp"
#include "server/store/pending.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace civic::domain::ledger {

// 十星级: stars at these lifetime-earned thresholds (API.md §5); index = stars.
inline constexpr std::array<std::int64_t, 11> kStarThresholds = {0, 10, 30, 60, 100, 200, 400, 700, 1000, 1500, 2000};
// The largest single movement of points accepted from a request (spends, donations, adjustments).
inline constexpr std::int64_t kMaxTransferPoints = 1'000'000;

// The named accounts created by the schema.
inline constexpr std::string_view kIssuance = "city";               // kind issuance
inline constexpr std::string_view kCharityFund = "charity";         // kind fund
inline constexpr std::string_view kRedemptionSink = "redemption";   // kind sink
inline constexpr std::string_view kHonourSink = "honour_exchange";  // kind sink
inline constexpr std::string_view kCreditSink = "credit_exchange";  // kind sink

// Pays a resident for a report (kind "report_accepted" or "report_closed", ref "report:<id>")
// from the city's issuance account, no more than what is left of the resident's daily cap for
// the Asia/Shanghai calendar day of `now`. Returns the points actually paid (0..points).
std::int64_t pay_report_points(store::Conn& conn, std::int64_t resident_id, std::int64_t report_id,
                               std::string_view kind, std::int64_t points, std::int64_t now, std::int64_t daily_cap);

// 作废: takes back what a voided report paid (kind "report_voided", ref "report:<id>"), resident →
// issuance, a new transfer that reverses the earlier ones (the ledger is never rewritten). Only
// what the resident still holds can be taken back (balances never go negative); the report no
// longer counts toward lifetime earned (stars) nor reports accepted. Returns the points taken.
std::int64_t take_back_report_points(store::Conn& conn, std::int64_t resident_id, std::int64_t report_id,
                                     std::int64_t points_awarded, bool was_accepted, std::int64_t now);

// A transfer seen from the resident's side.
struct Posted {
    std::int64_t transfer_id = 0;
    std::int64_t balance_after = 0;
};

// Resident → sink (`redemption`, `honour_exchange`, `credit_exchange` kinds); 409
// insufficient_points when the balance is smaller than `amount`.
Posted spend(store::Conn& conn, std::int64_t user_id, std::string_view sink, std::int64_t amount, std::string_view kind,
             std::string ref, std::int64_t now);
// spend in two halves, for a caller with steps of its own between them: debit_resident takes the
// resident's row (409 insufficient_points), credit_sink the sink's — one row shared by every spend
// of its kind, so a caller takes it last, just before COMMIT — and records the transfer. Always
// both, in one transaction (a debit alone fails the ledger's check).
struct Debit {
    std::int64_t account = 0;
    std::int64_t amount = 0;
    std::int64_t balance_after = 0;
};
Debit debit_resident(store::Conn& conn, std::int64_t user_id, std::int64_t amount);
// debit_resident for a caller that holds the resident's row locked and has read its balance
// (`locked`; nullopt: no account): the verdict is made here, and the debit goes out with the next
// round trip on PostgreSQL, needing none.
Debit debit_locked(store::Conn& conn, const std::optional<store::AccountBalance>& locked, std::int64_t amount);
// The sink's credit is sent (store::Query::send) on PostgreSQL: it goes out with the next
// statement (a redemption's COMMIT), and get() is needed only for the transfer's id.
store::Pending<Posted> credit_sink(store::Conn& conn, const Debit& debit, std::string_view sink, std::string_view kind,
                                   std::string ref, std::int64_t now);
// Sink → resident: gives back what `spend` took (kind `redemption_void`), in spend's order (else a
// refund and a spend of one resident could deadlock on PostgreSQL): credit_resident, the caller's
// steps between (a void returns the stock there), then debit_sink, which records the transfer
// (409 insufficient_points if the sink cannot cover it). Always both, in one transaction.
struct Credit {
    std::int64_t account = 0;
    std::int64_t amount = 0;
    std::int64_t balance_after = 0;
};
Credit credit_resident(store::Conn& conn, std::int64_t user_id, std::int64_t amount, std::int64_t now);
Posted debit_sink(store::Conn& conn, const Credit& credit, std::string_view sink, std::string_view kind,
                  std::string ref, std::int64_t now);
// Resident → fund (兑爱心); 400 invalid_field "fund" for an unknown fund.
Posted donate(store::Conn& conn, std::int64_t user_id, std::string_view fund, std::int64_t points, std::int64_t now);
// Resident → credit sink, credit_score += points / kCreditPointsPerUnit (兑信用). `points` must
// be a positive multiple of kCreditPointsPerUnit (std::invalid_argument otherwise).
inline constexpr std::int64_t kCreditPointsPerUnit = 10;
Posted exchange_for_credit(store::Conn& conn, std::int64_t user_id, std::int64_t points, std::string ref,
                           std::int64_t now);
// Admin correction: issuance → resident (points > 0, counted as earned) or resident → issuance.
Posted adjust(store::Conn& conn, std::int64_t user_id, std::int64_t points, std::string_view reason,
              std::int64_t admin_id, std::int64_t now);

struct Honour {
    int stars = 0;
    std::string title;
    std::optional<std::int64_t> next_stars_at;  // lifetime earned needed for the next star
};
Honour honour_for(std::int64_t lifetime_earned);

struct Standing {
    std::int64_t balance = 0;
    std::int64_t lifetime_earned = 0;
    std::int64_t reports_accepted = 0;
    std::int64_t reports_closed = 0;
    std::int64_t credit_score = 0;
};
Standing standing(store::Conn& conn, std::int64_t user_id);

// One line of a resident's statement (API.md §5 ledger listing).
struct StatementLine {
    std::int64_t id = 0;
    std::int64_t at = 0;
    std::int64_t amount = 0;  // signed from the resident's side
    std::string kind;
    std::string ref;
    std::int64_t balance_after = 0;
};
std::vector<StatementLine> statement(store::Conn& conn, std::int64_t user_id, std::int64_t before_id,
                                     std::int64_t limit);

struct Fund {
    std::string code;
    std::string name;
    std::int64_t balance = 0;
};
std::vector<Fund> funds(store::Conn& conn);

// The ledger's invariants: the balances sum to zero; no account but the issuance account is
// negative; every balance equals its transfers replayed (and each transfer's recorded
// balances-after match the replay); every amount is positive. Returns one message per
// violation (empty when all hold). Run it inside a read transaction for a consistent view.
std::vector<std::string> check_invariants(store::Conn& conn);

}  // namespace civic::domain::ledger
