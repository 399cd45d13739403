// SQLite only (the suite's name says so): civicsnap-bulkgen writes a SQLite data dir directly.
// `civicsnapd check` at scale over the whole workflow (issue 17): civicsnap-bulkgen fills a data
// dir with tens of thousands of simulated tickets that take every branch of the standard — 核实
// confirmed and refuted, 挂账 and back, 作废, 自行处置 — with deadlines in calendar and working time
// (the demo city has working-day and working-hour categories); the statistics' running sums,
// new figures included, agree with a recomputation; then the daemon acts on those tickets over
// HTTP (the triggers moving the sums on top of the bulk-built ones) and they still agree.
#include "integration/ledger_support.hpp"
#include "support/daemon.hpp"
#include "support/scratch_dir.hpp"

#include <gtest/gtest.h>

#include <ctime>

namespace {

using namespace civic::test;
using nlohmann::json;

constexpr const char* kDispatcher = "13800000001";
constexpr const char* kDemoPassword = "demo-pass-2026";
constexpr int kReports = 40000;

std::string rfc3339(std::time_t t) {
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return buf;
}

json ids_with_status(const Daemon& d, const std::string& token, const std::string& status, int limit) {
    auto r = d.get("/api/v1/reports?status=" + status + "&limit=" + std::to_string(limit), token);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.json()["items"];
}

TEST(SqliteBulkgenAtScale, EveryBranchAndWorkingTimeAndTheSumsPassCheck) {
    ScratchDir dir;
    const auto gen = run_command(std::string(CIVICSNAP_BULKGEN_PATH) + " --data-dir '" + dir.path + "' --reports " +
                                 std::to_string(kReports) + " --weeks 8 --seed 5");
    ASSERT_EQ(gen.exit_code, 0) << gen.output;
    // The final statuses, as bulkgen tallies them.
    for (const char* status : {" parked ", " voided ", " rejected ", " closed ", " resolved "})
        EXPECT_NE(gen.output.find(status), std::string::npos) << status << " in " << gen.output;
    auto check = run_ledger_check(dir.path);
    ASSERT_EQ(check.exit_code, 0) << check.output;

    {
        Daemon d(Daemon::Options{.extra_args = {}, .test_clock = false, .demo = false, .data_dir = dir.path});
        const auto token = d.login(kDispatcher, kDemoPassword);
        const auto now = std::time(nullptr);
        const std::string window = "from=" + rfc3339(now - 60 * 86400) + "&to=" + rfc3339(now + 3600);
        auto totals = [&] {
            auto r = d.get("/api/v1/stats/closure?" + window, token);
            EXPECT_EQ(r.status, 200) << r.body;
            return r.json()["total"];
        };
        const auto before = totals();
        EXPECT_EQ(before["received"], kReports) << before.dump();
        for (const char* figure : {"checked", "refuted", "parked", "self_handled", "voided", "closed_on_time"})
            EXPECT_GT(before[figure].get<std::int64_t>(), 0) << figure << ": " << before.dump();

        // Working-time categories were closed on time and late alike.
        auto by_category = d.get("/api/v1/stats/closure?group_by=category&" + window, token).json();
        int work_time_categories = 0;
        const auto categories = d.get("/api/v1/categories").json();  // not a temporary in the range-for
        for (const auto& category : categories["items"]) {
            if (!category.contains("sla_work_days") && !category.contains("sla_work_hours")) continue;
            ++work_time_categories;
            for (const auto& g : by_category["groups"]) {
                if (g["key"] == category["code"]) {
                    EXPECT_GT(g["closed"].get<std::int64_t>(), 0) << g.dump();
                }
            }
        }
        EXPECT_GE(work_time_categories, 2);

        // Acting on the generated tickets: unpark, void, verify, confirm.
        const auto parked = ids_with_status(d, token, "parked", 5);
        ASSERT_FALSE(parked.empty());
        for (const auto& t : parked) {
            auto r = d.post("/api/v1/reports/" + std::to_string(t["id"].get<std::int64_t>()) + "/actions",
                            {{"action", "unpark"}}, token);
            EXPECT_EQ(r.status, 200) << r.body;
        }
        const auto submitted = ids_with_status(d, token, "submitted", 3);
        for (const auto& t : submitted) {
            auto r = d.post("/api/v1/reports/" + std::to_string(t["id"].get<std::int64_t>()) + "/actions",
                            {{"action", "void"}, {"reason", "误报录入"}}, token);
            EXPECT_EQ(r.status, 200) << r.body;
        }
        for (const auto& t : ids_with_status(d, token, "resolved", 3)) {
            auto r = d.post("/api/v1/reports/" + std::to_string(t["id"].get<std::int64_t>()) + "/actions",
                            {{"action", "verify"}}, token);
            EXPECT_EQ(r.status, 200) << r.body;
        }
        const auto after = totals();
        EXPECT_EQ(after["parked"].get<std::int64_t>(),
                  before["parked"].get<std::int64_t>() - static_cast<std::int64_t>(parked.size()));
        EXPECT_EQ(after["voided"].get<std::int64_t>(),
                  before["voided"].get<std::int64_t>() + static_cast<std::int64_t>(submitted.size()));
        EXPECT_EQ(d.stop(), 0);
    }
    check = run_ledger_check(dir.path);
    EXPECT_EQ(check.exit_code, 0) << check.output;
}

}  // namespace
