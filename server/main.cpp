// civicsnapd: the daemon. Parses flags, opens the data dir, migrates, optionally loads the demo
// city, then serves HTTP(S) until SIGTERM/SIGINT.
#include "common/clock.hpp"
#include "common/config.hpp"
#include "common/crypto.hpp"
#include "common/seal.hpp"
#include "common/secrets_dir.hpp"
#include "server/api/context.hpp"
#include "server/api/rate_limit.hpp"
#include "server/api/report_feed.hpp"
#include "server/api/routes.hpp"
#include "server/api/session_cache.hpp"
#include "server/domain/accounts.hpp"
#include "server/domain/caller.hpp"
#include "server/domain/credit_cert.hpp"
#include "server/domain/demo.hpp"
#include "server/domain/integrity_check.hpp"
#include "server/domain/photo_decode_gate.hpp"
#include "server/domain/possible_duplicates.hpp"
#include "server/domain/stats.hpp"
#include "server/http/server.hpp"
#include "server/store/backup.hpp"
#include "server/store/cluster_events.hpp"
#include "server/store/copy_database.hpp"
#include "server/store/database.hpp"
#include "server/store/database_spec.hpp"
#include "server/store/migrations.hpp"
#include "server/store/photo_maintenance.hpp"
#include "server/store/photo_store.hpp"
#include "server/store/startup.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>

#include <sys/stat.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

namespace {

using namespace civic;

// One line for stderr: libpq's messages carry a hint on a second, indented line.
std::string one_line(std::string text) {
    std::string out;
    bool space = false;
    for (const char c : text) {
        if (c == '\n' || c == '\r' || c == '\t') {
            space = true;
            continue;
        }
        if (space && !out.empty()) out += ' ';
        space = false;
        out += c;
    }
    return out;
}

void ensure_dir(const std::filesystem::path& dir, std::filesystem::perms perms) {
    std::filesystem::create_directories(dir);
    std::filesystem::permissions(dir, perms, std::filesystem::perm_options::replace);
}

// CIVICSNAP_ADMIN_PHONE / CIVICSNAP_ADMIN_PASSWORD create the first admin (API.md §1).
void bootstrap_admin(store::Conn& conn, std::int64_t now) {
    const char* phone = std::getenv("CIVICSNAP_ADMIN_PHONE");
    const char* password = std::getenv("CIVICSNAP_ADMIN_PASSWORD");
    if (!phone || !password || store::any_user_with_role(conn, domain::to_string(domain::Role::admin))) return;
    domain::check_phone(phone);
    domain::check_password(password);
    store::UserRow admin;
    admin.phone = phone;
    admin.password_hash = crypto::hash_password(password);
    admin.display_name = "Administrator";
    admin.role = domain::to_string(domain::Role::admin);
    store::in_transaction(conn, [&] { domain::create_user(conn, admin, now); });
    std::cout << "civicsnapd: created admin account from CIVICSNAP_ADMIN_PHONE\n";
}

void print_demo(const domain::DemoSummary& demo) {
    std::cout << (demo.loaded_now ? "civicsnapd: loaded the demo city (Mengzi)\n"
                                  : "civicsnapd: demo city already present\n");
    if (demo.loaded_now) {
        const auto& h = demo.history;
        std::printf(
            "civicsnapd: demo history: %lld reports, %lld events, %lld photos, %lld residents, "
            "%lld points earned, %lld spent (%lld kiosk redemptions), in %.2f s\n",
            static_cast<long long>(h.reports), static_cast<long long>(h.events), static_cast<long long>(h.photos),
            static_cast<long long>(h.residents), static_cast<long long>(h.points_earned),
            static_cast<long long>(h.points_spent), static_cast<long long>(h.redemptions), h.seconds);
        std::fflush(stdout);
    }
    std::cout << "demo accounts (role, phone, password, name):\n";
    for (const auto& a : demo.accounts)
        std::cout << "  " << a.role << "\t" << a.phone << "\t" << a.password << "\t" << a.display_name << "\n";
    if (!demo.kiosk_key_id.empty())
        std::cout << "demo kiosk: key_id " << demo.kiosk_key_id << "  secret " << demo.kiosk_secret << "\n";
}

// `civicsnapd check`: exit 0 when the ledger's invariants hold and the closure statistics' running
// sums equal a recomputation (schema/005_stats.sql), as do the workers' open-ticket counts
// (schema/017_worker_loads.sql), 1 with the problems otherwise.
// Either engine (--database); a database that cannot be used → one line, exit 2.
int check(const Config& config) {
    std::vector<std::string> problems;
    try {
        auto conn = store::open_for_check(store::parse_database(config.database, config.data_dir));
        problems = domain::check_database(*conn);
    } catch (const store::DatabaseStartError& e) {
        std::cerr << "civicsnapd check: " << one_line(e.what()) << std::endl;
        return 2;
    }
    for (const auto& p : problems) std::cerr << "civicsnapd check: " << p << "\n";
    if (!problems.empty()) return 1;
    std::cout << "civicsnapd check: ledger invariants hold\n";
    std::cout << "civicsnapd check: closure statistics agree with a recomputation\n";
    std::cout << "civicsnapd check: worker loads agree with their tickets\n";
    return 0;
}

// `civicsnapd migrate`: the schema brought up to this binary's version (on PostgreSQL under the
// migrator's advisory lock, so it may run while daemons start); a database that cannot be used →
// one line, exit 2.
int migrate(const Config& config) {
    try {
        const auto spec = store::parse_database(config.database, config.data_dir);
        const auto outcome = store::migrate_database(spec);
        std::cout << "civicsnapd migrate: " << spec.describe() << " at schema version " << outcome.version << " ("
                  << outcome.applied << " migrations applied)" << std::endl;
        return 0;
    } catch (const store::DatabaseStartError& e) {
        std::cerr << "civicsnapd migrate: " << one_line(e.what()) << std::endl;
        return 2;
    }
}

// `civicsnapd init-secrets --secrets-dir DIR`: the keys every node shares, created once; an
// existing key is kept (and said so). A directory or key that cannot be used → one line, exit 2.
int init_secrets(const Config& config) {
    try {
        const auto report = secrets::init(config.secrets_dir);
        for (const auto& name : report.created)
            std::cout << "civicsnapd init-secrets: created " << config.secrets_dir << "/" << name << "\n";
        for (const auto& name : report.kept)
            std::cout << "civicsnapd init-secrets: kept the existing " << config.secrets_dir << "/" << name << "\n";
        std::cout << "civicsnapd init-secrets: give every node this directory's files (--secrets-dir)" << std::endl;
        return 0;
    } catch (const secrets::SecretsError& e) {
        std::cerr << "civicsnapd init-secrets: " << one_line(e.what()) << std::endl;
        return 2;
    }
}

// The keys a serving daemon uses (API.md §1.1). On PostgreSQL they must come from --secrets-dir,
// made beforehand by init-secrets: a node that invented its own could not open kiosk secrets
// sealed by another. On SQLite (one node) <data-dir>/secrets is the default, created on first use.
secrets::Keys serving_keys(const Config& config, const store::DatabaseSpec& db_spec) {
    const std::string hint = "; create the keys once with civicsnapd init-secrets --secrets-dir " +
                             (config.secrets_dir.empty() ? std::string("DIR") : config.secrets_dir);
    if (config.secrets_dir.empty()) {
        if (db_spec.engine == store::Engine::postgresql)
            throw secrets::SecretsError(
                "--database postgresql://… needs --secrets-dir DIR holding the keys every node shares" + hint);
        const auto dir = (std::filesystem::path(config.data_dir) / "secrets").string();
        secrets::init(dir);
        return secrets::load(dir);
    }
    try {
        return secrets::load(config.secrets_dir);
    } catch (const secrets::SecretsError& e) {
        throw secrets::SecretsError(e.what() + hint);
    }
}

// `civicsnapd routes`: the real route table, built as serve builds it but over an in-memory
// database and keys made up for the moment (registering routes runs no handler, reads nothing and
// writes no file), one "METHOD PATTERN" a line. tests/fuzz/routes.txt is its output with
// --test-clock, which the HTTP fuzzer matches against; RouteTable.FuzzHarnessHasTheDaemonsRoutes
// keeps the two equal.
int routes(const Config& config) {
    boost::asio::thread_pool pool(1);
    Clock clock;
    store::Database db({":memory:", 1}, pool);
    api::AppContext ctx{db, clock, config, pool, config.data_dir, std::string(seal::kKeyBytes, '\0')};
    ctx.credit_key_pem = crypto::ed25519_generate().private_pem;
    const auto router = api::build_router(ctx);
    for (const auto& r : router.routes()) std::cout << r.method << ' ' << r.pattern << '\n';
    db.engine().stop();
    pool.join();
    return 0;
}

// Runs `task` on `ioc` to its end before the daemon serves (the start-time checks); rethrows.
void run_before_serving(boost::asio::io_context& ioc, boost::asio::awaitable<void> task) {
    std::exception_ptr failure;
    boost::asio::co_spawn(ioc, std::move(task), [&](std::exception_ptr e) { failure = e; });
    ioc.run();
    ioc.restart();
    if (failure) std::rethrow_exception(failure);
}

// Runs one photo tool on its own io_context and blocking pool; one-line errors, exit 2 for a
// store that cannot be used (bad spec, refused, unreachable), 1 for a failure on the way.
template <class Fn>
int run_photo_tool(const char* name, Fn fn) {
    boost::asio::thread_pool pool(2);
    boost::asio::io_context ioc(1);
    int status = 0;
    try {
        run_before_serving(ioc, fn(ioc, pool));
    } catch (const store::PhotoStoreConfigError& e) {
        std::cerr << "civicsnapd " << name << ": " << e.what() << std::endl;
        status = 2;
    } catch (const std::exception& e) {
        std::cerr << "civicsnapd " << name << ": " << e.what() << std::endl;
        status = 1;
    }
    pool.join();
    return status;
}

// backup reads <data-dir>/civicsnap.db itself; a PostgreSQL database is backed up by
// PostgreSQL's own tools (docs/postgresql.md).
int sqlite_data_dir_only(const char* tool) {
    std::cerr << "civicsnapd " << tool << ": works on --data-dir's SQLite database only, not --database "
              << "(PostgreSQL: pg_basebackup and WAL archiving)" << std::endl;
    return 2;
}

// `civicsnapd backup`: copies the database and secrets while a daemon may be serving, and the
// photos too when they are a folder (`--photos file:`, the default); photos in an object store
// stay there. Then checks the copy — every photo it names is in the copied folder or the bucket,
// the ledger invariants hold — so a backup that reports success restores.
int backup(const Config& config, const std::string& to) {
    if (!config.database.empty()) return sqlite_data_dir_only("backup");
    int status = 0;
    const int tool_status = run_photo_tool(
        "backup", [&](boost::asio::io_context& ioc, boost::asio::thread_pool& pool) -> boost::asio::awaitable<void> {
            namespace fs = std::filesystem;
            const auto spec = store::parse_photo_store(config.photos, config.data_dir);
            const bool folder = spec.kind == store::PhotoStoreSpec::Kind::file;
            std::unique_ptr<store::PhotoStore> bucket;
            if (!folder) {  // refused or unreachable: exit 2 before anything is copied
                bucket = store::make_photo_store(spec, ioc.get_executor(), pool);
                co_await bucket->check();
            }
            auto s =
                store::backup_data_dir(config.data_dir, to, folder ? std::optional<fs::path>(spec.dir) : std::nullopt);
            const auto copied_folder =
                folder ? store::make_photo_store(
                             store::parse_photo_store("file:" + (fs::path(to) / "photos").string(), config.data_dir),
                             ioc.get_executor(), pool)
                       : nullptr;
            auto& photos = folder ? *copied_folder : *bucket;
            s.referenced_photos = co_await store::verify_named_photos(photos, (fs::path(to) / "civicsnap.db").string());
            std::cout << "civicsnapd backup: database " << s.database_bytes << " bytes, ";
            if (folder)
                std::cout << s.photo_files << " photo files (" << s.photo_bytes << " bytes), ";
            else
                std::cout << "photos stay in " << photos.describe() << " (back the bucket up with its versioning), ";
            std::cout << s.referenced_photos << " referenced photos present in " << photos.describe() << "\n";
            const auto problems = domain::check_data_dir(to);
            for (const auto& p : problems) std::cerr << "civicsnapd backup: the copy: " << p << "\n";
            if (!problems.empty()) {
                status = 1;
                co_return;
            }
            std::cout << "civicsnapd backup: ledger invariants hold and statistics agree in the copy at " << to
                      << std::endl;
        });
    return tool_status != 0 ? tool_status : status;
}

// `civicsnapd sweep-photos`: removes photo objects no row names that are older than --older-than.
// The names come from --database (either engine; default the data dir's SQLite file), opened as
// `check` opens it (a schema this binary knows) before the store is listed, read after it.
int sweep_photos(const Config& config, std::int64_t older_than) {
    store::ConnPtr conn;
    try {
        conn = store::open_for_check(store::parse_database(config.database, config.data_dir));
    } catch (const store::DatabaseStartError& e) {
        std::cerr << "civicsnapd sweep-photos: " << one_line(e.what()) << std::endl;
        return 2;
    }
    return run_photo_tool(
        "sweep-photos",
        [&](boost::asio::io_context& ioc, boost::asio::thread_pool& pool) -> boost::asio::awaitable<void> {
            auto photos = store::make_photo_store(store::parse_photo_store(config.photos, config.data_dir),
                                                  ioc.get_executor(), pool);
            co_await photos->check();
            const auto now =
                std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
                    .count();
            const store::NamedPhotosReader read_names = [&] { return store::named_photo_objects(*conn); };
            const auto s = co_await store::sweep_photos(*photos, read_names, older_than, now);
            std::cout << "civicsnapd sweep-photos: " << photos->describe() << ": " << s.objects << " objects, "
                      << s.named << " named by rows, " << s.young << " unnamed but younger than " << older_than
                      << " s, " << s.removed << " orphans removed (" << s.removed_bytes << " bytes)" << std::endl;
        });
}

// `civicsnapd copy-photos --from SPEC --to SPEC`: copies what the destination lacks, verified.
int copy_photos(const Config& config, const std::string& from_spec, const std::string& to_spec) {
    return run_photo_tool(
        "copy-photos",
        [&](boost::asio::io_context& ioc, boost::asio::thread_pool& pool) -> boost::asio::awaitable<void> {
            auto from =
                store::make_photo_store(store::parse_photo_store(from_spec, config.data_dir), ioc.get_executor(), pool);
            auto to =
                store::make_photo_store(store::parse_photo_store(to_spec, config.data_dir), ioc.get_executor(), pool);
            co_await from->check();
            co_await to->check();
            const auto s = co_await store::copy_photos(*from, *to);
            std::cout << "civicsnapd copy-photos: " << s.objects << " objects in " << from->describe() << ", "
                      << s.copied << " copied (" << s.bytes << " bytes, each SHA-256 checked), " << s.present
                      << " already in " << to->describe() << std::endl;
        });
}

// `civicsnapd copy-database --from sqlite:PATH --to postgresql://…`: the city copied in one
// snapshot of the source and one transaction of the target, verified (row counts, then the
// checks of `civicsnapd check`) before it commits. Refused (bad URL, unreachable, another
// schema version, a target holding city data): one line, exit 2; failed on the way: exit 1.
int copy_database(const Config& config, const std::string& from_spec, const std::string& to_spec) {
    try {
        const auto from = store::parse_database(from_spec, config.data_dir);
        const auto to = store::parse_database(to_spec, config.data_dir);
        store::CopyDatabaseHooks hooks;
        hooks.progress = [](const std::string& line) {
            std::cout << "civicsnapd copy-database: " << line << std::endl;
        };
        hooks.verify = [](store::Conn& target) { return domain::check_database_in_transaction(target); };
        const auto s = store::copy_sqlite_to_postgresql(from, to, hooks);
        std::printf(
            "civicsnapd copy-database: ledger invariants hold and statistics agree in the target; committed %lld rows "
            "of %zu tables in %.2f s\n",
            static_cast<long long>(s.rows), s.tables.size(), s.seconds);
        std::fflush(stdout);
        return 0;
    } catch (const store::DatabaseStartError& e) {
        std::cerr << "civicsnapd copy-database: " << one_line(e.what()) << std::endl;
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "civicsnapd copy-database: " << one_line(e.what()) << std::endl;
        return 1;
    }
}

int serve(const Config& config) {
    namespace fs = std::filesystem;
    const fs::path data(config.data_dir);
    // --photos first: a bad URL is refused before anything is created.
    store::PhotoStoreSpec photo_spec;
    try {
        photo_spec = store::parse_photo_store(config.photos, config.data_dir);
    } catch (const store::PhotoStoreConfigError& e) {
        std::cerr << "civicsnapd: " << e.what() << std::endl;
        return 2;
    }
    // --database likewise (a malformed value; the server itself is reached below).
    store::DatabaseSpec db_spec;
    try {
        db_spec = store::parse_database(config.database, config.data_dir);
    } catch (const store::DatabaseStartError& e) {
        std::cerr << "civicsnapd: " << one_line(e.what()) << std::endl;
        return 2;
    }
    ensure_dir(data, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
    if (photo_spec.kind == store::PhotoStoreSpec::Kind::file && config.photos.empty())
        ensure_dir(data / "photos", fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
    secrets::Keys keys;
    try {
        keys = serving_keys(config, db_spec);
    } catch (const secrets::SecretsError& e) {
        std::cerr << "civicsnapd: " << one_line(e.what()) << std::endl;
        return 2;
    }
    const auto& master_key = keys.seal_key;

    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    const unsigned io_threads = config.threads ? config.threads : cores;
    // Blocking work waits on disks and hashes, not CPUs alone: a few more threads than cores.
    boost::asio::thread_pool blocking_pool(std::max(4u, 2 * cores));
    Clock clock;
    std::unique_ptr<store::StorageEngine> engine;
    try {
        engine = store::make_storage_engine(db_spec, blocking_pool, std::max<std::size_t>(4, 2 * cores));
    } catch (const store::DatabaseStartError& e) {
        std::cerr << "civicsnapd: " << one_line(e.what()) << std::endl;
        blocking_pool.join();
        return 2;
    }
    store::Database db(std::move(engine));
    // One io_context per I/O thread; process-wide services and the start-up work use the first.
    http::IoContexts io(io_threads);
    auto& ioc = io.first();
    // The photo store must exist and accept our credentials before we listen (API.md §1.1),
    // and before the demo city stores its photos in it.
    const auto photos = store::make_photo_store(photo_spec, ioc.get_executor(), blocking_pool);
    try {
        run_before_serving(ioc, photos->check());
    } catch (const store::PhotoStoreConfigError& e) {
        std::cerr << "civicsnapd: " << e.what() << std::endl;
        db.engine().stop();
        blocking_pool.join();
        return 2;
    }
    // Reachable, recent enough, and a schema this binary knows (migrated if older), before
    // anything else touches the database.
    try {
        db.engine().migrate();
    } catch (const store::DatabaseStartError& e) {
        std::cerr << "civicsnapd: " << one_line(e.what()) << std::endl;
        db.engine().stop();
        blocking_pool.join();
        return 2;
    }

    // Start-up work runs on this thread before any request: no job has been submitted yet. The
    // nodes of one database take turns (PostgreSQL: an advisory lock), so that when several start
    // at once on a fresh database the first admin and the demo city are made once.
    store::at_startup_exclusive(db.engine(), [&](store::Conn& conn) {
        bootstrap_admin(conn, clock.now());
        if (config.demo) {
            domain::DemoHistory history;
            history.seed = static_cast<std::uint64_t>(config.demo_seed);
            history.photos = photos.get();
            history.io = &ioc;
            history.blocking = &blocking_pool;
            history.daily_points_cap = config.daily_points_cap;
            // --demo-seed 0: the city without its history (the browser tests start from it).
            print_demo(
                domain::load_demo_city(conn, master_key, clock.now(), config.demo_seed != 0 ? &history : nullptr));
        }
    });

    // At most this many photos decoded at once: their memory is bounded, and the rest of the
    // blocking pool stays free for the database (domain/photo_decode_gate.hpp).
    domain::PhotoDecodeGate decode_gate(ioc.get_executor(), config.photo_decodes ? config.photo_decodes : cores);
    domain::set_photo_decode_gate(&decode_gate);
    api::AppContext ctx{db, clock, config, blocking_pool, data.string(), master_key};
    ctx.photos = photos.get();
    api::ReportFeed feed;
    ctx.feed = &feed;
    auto rate_limits = api::make_rate_limits(db, config.registrations_per_hour, config.reports_per_hour);
    ctx.rate_limits = &rate_limits;
    api::SessionCache sessions(db.engine());
    ctx.sessions = &sessions;
    domain::PossibleDuplicatesCache duplicates(db.engine());
    ctx.duplicates = &duplicates;
    ctx.credit_key_pem = keys.credit_key_pem;
    const auto router = api::build_router(ctx);
    // PostgreSQL: this node's listener keeps its caches, push and test clock in step with every
    // node's commits (store/cluster_events.hpp); after the caches, so that it stops before them.
    std::unique_ptr<store::ClusterEvents> cluster;
    if (db_spec.engine == store::Engine::postgresql) {
        cluster = std::make_unique<store::ClusterEvents>(db.engine(), store::ClusterEvents::Options{db_spec.conninfo},
                                                         api::cluster_handlers(ctx));
        cluster->start();
        ctx.cluster = cluster.get();
    }
    std::vector<std::string> labels;
    for (const auto& r : router.routes()) labels.push_back(r.pattern);
    http::Metrics metrics(labels);
    ctx.metrics = &metrics;
    std::unique_ptr<http::AccessLog> access_log;
    if (config.access_log) access_log = std::make_unique<http::AccessLog>(stderr);
    http::Server server(io, router, metrics, access_log.get());
    // Streamed upload parts are spooled beside the database (the same disk as the photo store's
    // local default, so its space is watched in one place); the files are unlinked at once.
    ensure_dir(data / "spool", fs::perms::owner_all);
    server.set_uploads((data / "spool").string(), static_cast<std::size_t>(config.upload_memory_budget));

    // The plain listener's line comes last: launchers wait for it as the "ready" signal.
    if (config.tls_listen) {
        const auto tls_port =
            server.listen_tls(config.tls_listen->host, config.tls_listen->port, config.tls_cert, config.tls_key);
        std::cout << "civicsnapd listening on https://" << config.tls_listen->host << ":" << tls_port << std::endl;
    }
    const auto port = server.listen(config.listen.host, config.listen.port);
    std::cout << "civicsnapd listening on http://" << config.listen.host << ":" << port << std::endl;

    boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int) {
        if (ec) return;
        std::cout << "civicsnapd: shutting down" << std::endl;
        server.shutdown([&io] { io.stop(); });
    });

    // The open points' copy (SQLite) loaded before a ticket read needs it: on a city of 10 M
    // reports the first read would otherwise wait ~0.8 s, and every read behind it. Posted here,
    // after the last early return, so that the pool's join below waits for it.
    boost::asio::post(blocking_pool, [&db, &duplicates] { duplicates.warm(db.engine()); });
    io.run();
    if (cluster) cluster->stop();
    db.engine().stop();  // finishes queued writes (SQLite: checkpoints)
    blocking_pool.join();
    io.destroy_pending_handlers();  // connections a shutdown cut short, before what they refer to
    domain::set_photo_decode_gate(nullptr);
    if (access_log) access_log->flush();
    std::cout << "civicsnapd: stopped" << std::endl;
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    try {
        const auto parsed = civic::parse_args(std::vector<std::string>(argv + 1, argv + argc));
        switch (parsed.command) {
            case civic::ParsedArgs::Command::help:
                std::cout << civic::usage();
                return 0;
            case civic::ParsedArgs::Command::version:
                std::cout << "civicsnapd 0.1.0\n";
                return 0;
            case civic::ParsedArgs::Command::serve:
                return serve(parsed.config);
            case civic::ParsedArgs::Command::check:
                return check(parsed.config);
            case civic::ParsedArgs::Command::migrate:
                return migrate(parsed.config);
            case civic::ParsedArgs::Command::init_secrets:
                return init_secrets(parsed.config);
            case civic::ParsedArgs::Command::backup:
                return backup(parsed.config, parsed.backup_to);
            case civic::ParsedArgs::Command::sweep_photos:
                return sweep_photos(parsed.config, parsed.older_than);
            case civic::ParsedArgs::Command::copy_photos:
                return copy_photos(parsed.config, parsed.copy_from, parsed.copy_to);
            case civic::ParsedArgs::Command::copy_database:
                return copy_database(parsed.config, parsed.copy_from, parsed.copy_to);
            case civic::ParsedArgs::Command::routes:
                return routes(parsed.config);
        }
    } catch (const std::invalid_argument& e) {
        std::cerr << "civicsnapd: " << e.what() << "\n" << civic::usage();
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "civicsnapd: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
