// civicsnap-bulkgen: fills a data dir with the demo city and N simulated reports, fast, for
// measuring the statistics at scale (docs/performance.md). Not the HTTP path: each report is
// written once in its final state with its whole event history, in large transactions over
// prepared statements.
//
//   civicsnap-bulkgen --data-dir DIR --reports N [--seed S] [--weeks W]
#include "server/domain/simulate.hpp"

#include "common/crypto.hpp"
#include "common/seal.hpp"
#include "server/domain/accounts.hpp"
#include "server/domain/demo.hpp"
#include "server/store/accounts_repo.hpp"
#include "server/store/bulk_repo.hpp"
#include "server/store/city_repo.hpp"
#include "server/store/migrations.hpp"
#include "server/store/sqlite.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>

namespace {

using namespace civic;
namespace fs = std::filesystem;

struct Options {
    std::string data_dir;
    std::int64_t reports = -1;
    std::uint64_t seed = 1;
    int weeks = 52;
};

const char* kUsage = "usage: civicsnap-bulkgen --data-dir DIR --reports N [--seed S] [--weeks W]\n";

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value");
        const std::string value = argv[++i];
        if (flag == "--data-dir")
            o.data_dir = value;
        else if (flag == "--reports")
            o.reports = std::stoll(value);
        else if (flag == "--seed")
            o.seed = std::stoull(value);
        else if (flag == "--weeks")
            o.weeks = std::stoi(value);
        else
            throw std::invalid_argument("unknown flag " + flag);
    }
    if (o.data_dir.empty() || o.reports < 0) throw std::invalid_argument("--data-dir and --reports are required");
    if (o.weeks < 1 || o.weeks > 520) throw std::invalid_argument("--weeks is 1..520");
    return o;
}

int run(const Options& o) {
    const fs::path data(o.data_dir);
    fs::create_directories(data / "photos");
    fs::create_directories(data / "secrets");
    fs::permissions(data / "secrets", fs::perms::owner_all, fs::perm_options::replace);
    const auto master_key = seal::load_or_create_key_file((data / "secrets" / "master.key").string(), seal::kKeyBytes);
    const auto now = static_cast<std::int64_t>(std::time(nullptr));

    store::Conn conn((data / "civicsnap.db").string(), store::Conn::Mode::read_write);
    store::migrate(conn);
    const auto demo = domain::load_demo_city(conn, master_key, now);
    std::cerr << "civicsnap-bulkgen: " << (demo.loaded_now ? "loaded" : "found") << " the demo city\n";
    store::tune_for_bulk_load(conn);

    const auto city = domain::sim::read_city(conn);
    std::vector<std::int64_t> residents;
    store::in_transaction(conn, [&] {
        residents = domain::sim::ensure_residents(conn, std::clamp<std::int64_t>(o.reports / 40, 200, 250000), now);
    });
    std::cerr << "civicsnap-bulkgen: " << residents.size() << " residents (password "
              << domain::sim::kSimulatedResidentPassword << ")\n";

    const auto started = std::chrono::steady_clock::now();
    store::begin_bulk_load(conn);
    domain::sim::Simulator sim(city, residents, o.seed, now - static_cast<std::int64_t>(o.weeks) * 7 * 86400, now);
    constexpr std::int64_t kBatch = 20000;
    domain::sim::Tally tally;
    for (std::int64_t done = 0; done < o.reports;) {
        const auto n = std::min(kBatch, o.reports - done);
        store::in_transaction(conn, [&] { sim.write(conn, done, n, o.reports, tally); });
        done += n;
        if ((done / kBatch) % 25 == 0 || done == o.reports) {
            const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            std::fprintf(stderr, "civicsnap-bulkgen: %lld reports, %.0f/s\n", static_cast<long long>(done),
                         s > 0 ? static_cast<double>(done) / s : 0.0);
        }
    }
    const double insert_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::cerr << "civicsnap-bulkgen: rebuilding indexes and running sums\n";
    store::finish_bulk_load(conn);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::fprintf(stderr, "civicsnap-bulkgen: rows %.1f s, indexes and sums %.1f s\n", insert_seconds,
                 seconds - insert_seconds);
    const auto db_bytes = fs::file_size(data / "civicsnap.db");
    std::printf("reports %lld events %lld seconds %.1f rate %.0f/s db_bytes %lld\n", static_cast<long long>(o.reports),
                static_cast<long long>(tally.events), seconds,
                seconds > 0 ? static_cast<double>(o.reports) / seconds : 0.0, static_cast<long long>(db_bytes));
    std::printf("status mix:");
    for (const auto& [status, count] : tally.by_status)
        std::printf(" %s %lld", status.c_str(), static_cast<long long>(count));
    std::printf("\n");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(parse(argc, argv));
    } catch (const std::invalid_argument& e) {
        std::cerr << "civicsnap-bulkgen: " << e.what() << "\n" << kUsage;
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "civicsnap-bulkgen: " << e.what() << "\n";
        return 1;
    }
}
