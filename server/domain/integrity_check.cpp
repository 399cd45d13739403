#include "server/domain/integrity_check.hpp"

#include "server/domain/ledger.hpp"
#include "server/store/migrations.hpp"
#include "server/store/reports_repo.hpp"
#include "server/store/stats_repo.hpp"
#include "server/store/worker_loads_repo.hpp"

namespace civic::domain {

std::vector<std::string> check_data_dir(const std::string& data_dir) {
    auto conn = store::open_for_check(data_dir);
    return check_database(*conn);
}

std::vector<std::string> check_database(store::Conn& conn) {
    std::vector<std::string> problems;
    store::in_snapshot(conn, [&] { problems = check_database_in_transaction(conn); });
    return problems;
}

std::vector<std::string> check_database_in_transaction(store::Conn& conn) {
    auto problems = ledger::check_invariants(conn);
    for (auto& p : store::stats_sum_mismatches(conn)) problems.push_back(std::move(p));
    for (auto& p : store::worker_load_mismatches(conn)) problems.push_back(std::move(p));
    for (auto& p : store::open_point_mismatches(conn)) problems.push_back(std::move(p));
    return problems;
}

}  // namespace civic::domain
