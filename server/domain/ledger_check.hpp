#pragma once
// `civicsnapd check --data-dir D`: the ledger's invariant checker run against a data dir,
// read-only, so it can run beside a live daemon (WAL readers see a consistent snapshot).
#include <string>
#include <vector>

namespace civic::domain::ledger {

// One message per problem; empty when every invariant holds. Throws std::runtime_error when
// the database cannot be opened or has no ledger (never migrated by this version).
std::vector<std::string> check_data_dir(const std::string& data_dir);

}  // namespace civic::domain::ledger
