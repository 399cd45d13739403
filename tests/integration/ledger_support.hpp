#pragma once
// Helpers shared by the points, exchange and kiosk integration tests.
#include "support/daemon.hpp"
#include "support/test_database.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <array>
#include <cstdint>
#include <cstdio>
#include <string>

namespace civic::test {

inline std::int64_t user_id_of(const Daemon& d, const std::string& token) {
    return d.get("/api/v1/me", token).json()["id"].get<std::int64_t>();
}

// Gives a resident points through the admin adjustment (the report actions pay them in main).
inline void grant_points(const Daemon& d, std::int64_t user_id, std::int64_t points) {
    auto r = d.post("/api/v1/admin/points/adjustments", {{"user_id", user_id}, {"points", points}, {"reason", "test"}},
                    d.admin_token());
    ASSERT_EQ(r.status, 201) << r.body;
}

inline std::int64_t balance_of(const Daemon& d, const std::string& token) {
    return d.get("/api/v1/me/points", token).json()["balance"].get<std::int64_t>();
}

struct CommandResult {
    int exit_code = -1;
    std::string output;  // stdout and stderr
};

inline CommandResult run_command(const std::string& command) {
    CommandResult r;
    FILE* p = ::popen((command + " 2>&1").c_str(), "r");
    if (!p) return r;
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
    const int status = ::pclose(p);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

// `civicsnapd check --database URL`: the ledger and statistics invariants of that database.
inline CommandResult run_database_check(const std::string& database) {
    return run_command(std::string(CIVICSNAPD_PATH) + " check --database '" + database + "'");
}

// `civicsnapd check --data-dir D`, or `--database URL` of the daemons on D in a PostgreSQL run.
inline CommandResult run_ledger_check(const std::string& data_dir) {
    const auto database = database_for(data_dir);
    if (!database.empty()) return run_database_check(database);
    return run_command(std::string(CIVICSNAPD_PATH) + " check --data-dir '" + data_dir + "'");
}

}  // namespace civic::test
