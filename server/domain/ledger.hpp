#pragma once
// The points ledger (API.md §5): double-entry transfers between accounts; the only code that
// changes balances. Functions run inside the caller's write transaction.
#include "server/store/sqlite.hpp"

#include <cstdint>
#include <string_view>

namespace civic::domain::ledger {

// Pays a resident for a report (kind "report_accepted" or "report_closed", ref "report:<id>")
// from the city's issuance account, no more than what is left of the resident's daily cap for
// the Asia/Shanghai calendar day of `now`. Returns the points actually paid (0..points).
std::int64_t pay_report_points(store::Conn& conn, std::int64_t resident_id, std::int64_t report_id,
                               std::string_view kind, std::int64_t points, std::int64_t now, std::int64_t daily_cap);

}  // namespace civic::domain::ledger
