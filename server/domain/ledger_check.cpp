#include "server/domain/ledger_check.hpp"

#include "server/domain/ledger.hpp"
#include "server/store/migrations.hpp"

#include <filesystem>
#include <stdexcept>

namespace civic::domain::ledger {

std::vector<std::string> check_data_dir(const std::string& data_dir) {
    const auto path = std::filesystem::path(data_dir) / "civicsnap.db";
    if (!std::filesystem::exists(path)) throw std::runtime_error("no database at " + path.string());
    store::Conn conn(path.string(), store::Conn::Mode::read_only);
    {
        auto q = conn.query("PRAGMA user_version");
        q.next();
        if (q.int64(0) != static_cast<std::int64_t>(store::migrations().size()))
            throw std::runtime_error("the database's schema version differs from this binary's; start the matching "
                                     "civicsnapd once to migrate it");
    }
    // One read transaction: every query below sees the same snapshot.
    conn.exec("BEGIN");
    auto problems = check_invariants(conn);
    conn.exec("COMMIT");
    return problems;
}

}  // namespace civic::domain::ledger
