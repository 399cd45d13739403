#pragma once
// The daemon's configuration: defaults, then a JSON config file (--config), then flags.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace civic {

struct Endpoint {
    std::string host;
    unsigned short port = 0;
};

struct Config {
    Endpoint listen{"127.0.0.1", 8080};
    std::optional<Endpoint> tls_listen;
    std::string tls_cert;
    std::string tls_key;
    std::string data_dir = "./data";
    std::string database;  // --database: sqlite:PATH or postgresql://…; empty = sqlite:<data-dir>/civicsnap.db
    std::string photos;    // --photos: file:DIR or s3://BUCKET?endpoint=URL&region=R; empty = file:<data-dir>/photos
    // --secrets-dir: the keys every node shares (common/secrets_dir.hpp); required with PostgreSQL,
    // empty on SQLite = <data-dir>/secrets, created on first use.
    std::string secrets_dir;
    unsigned threads = 0;  // 0 = number of cores
    bool demo = false;
    std::int64_t demo_seed = 1;  // the demo city's simulated history (--demo-seed)
    bool test_clock = false;
    std::int64_t daily_points_cap = 100;
    // Token buckets (0 = unlimited): a burst of N, refilled evenly over an hour.
    std::int64_t registrations_per_hour = 20;  // per client IP address
    std::int64_t reports_per_hour = 60;        // per resident account
    std::int64_t session_ttl_seconds = 30 * 24 * 3600;
    bool access_log = true;
    // Memory under load (docs/architecture.md): request bodies held in memory, all together
    // (over it: 503 + Retry-After before the body is read), and photos decoded at once (0 = cores).
    std::int64_t upload_memory_budget = 256ll << 20;
    unsigned photo_decodes = 0;
};

struct ParsedArgs {
    // check: `civicsnapd check --data-dir D | --database URL`;
    // migrate: `civicsnapd migrate --database URL`;
    // init_secrets: `civicsnapd init-secrets --secrets-dir DIR`;
    // backup: `civicsnapd backup --data-dir D --to DIR`;
    // sweep_photos: `civicsnapd sweep-photos --data-dir D [--database URL] [--photos SPEC] [--older-than SECONDS]`;
    // copy_photos: `civicsnapd copy-photos --from SPEC --to SPEC`;
    // copy_database: `civicsnapd copy-database --from sqlite:PATH --to postgresql://…`;
    // routes: `civicsnapd routes [--test-clock]` prints the route table (tests/fuzz/routes.txt)
    enum class Command {
        serve,
        help,
        version,
        check,
        migrate,
        init_secrets,
        backup,
        sweep_photos,
        copy_photos,
        copy_database,
        routes
    };
    Command command = Command::serve;
    Config config;
    std::string backup_to;
    std::int64_t older_than = 3600;  // sweep-photos: orphans at least this old (seconds)
    std::string copy_from, copy_to;  // copy-photos, copy-database
};

// Throws std::invalid_argument with a message fit for the user on a bad flag, value or file.
ParsedArgs parse_args(const std::vector<std::string>& args);
std::optional<Endpoint> parse_endpoint(const std::string& text);
const char* usage();

}  // namespace civic
