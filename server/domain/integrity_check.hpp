#pragma once
// `civicsnapd check` and a backup's verification: the ledger's invariants and the closure
// statistics' running sums against a recomputation, read-only in one snapshot, so the check can
// run beside a live daemon (WAL readers see a consistent state).
#include "server/store/conn.hpp"

#include <string>
#include <vector>

namespace civic::domain {

// One message per problem; empty when everything holds. Throws std::runtime_error when the data
// dir has no database or one of another schema version.
std::vector<std::string> check_data_dir(const std::string& data_dir);
// The same over an open connection of either engine (store::open_for_check), in one snapshot.
std::vector<std::string> check_database(store::Conn& conn);
// The same checks inside the transaction `conn` is in (a copy verified before it commits).
std::vector<std::string> check_database_in_transaction(store::Conn& conn);

}  // namespace civic::domain
