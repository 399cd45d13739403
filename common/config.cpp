#include "common/config.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace civic {

const char* usage() {
    return "usage: civicsnapd [--listen HOST:PORT] [--data-dir DIR]\n"
           "                  [--tls-listen HOST:PORT --tls-cert FILE --tls-key FILE]\n"
           "                  [--threads N] [--config FILE.json] [--demo [--demo-seed N]] [--test-clock]\n"
           "                  [--daily-points-cap N] [--no-access-log]\n"
           "                  [--registrations-per-hour N] [--reports-per-hour N]   (0 = unlimited)\n"
           "                  [--database sqlite:PATH | --database postgresql://USER@HOST:PORT/DB]\n"
           "                  [--photos file:DIR | --photos 's3://BUCKET?endpoint=URL&region=R']\n"
           "                  [--secrets-dir DIR]   (required with postgresql://; default <data-dir>/secrets)\n"
           "                  [--upload-memory-budget BYTES] [--photo-decodes N]   (default 268435456; cores)\n"
           "       civicsnapd check [--data-dir DIR | --database URL]   (verify the points ledger's invariants "
           "and the statistics)\n"
           "       civicsnapd migrate --database URL   (bring the schema up to this binary's version)\n"
           "       civicsnapd init-secrets --secrets-dir DIR   (create the keys every node shares, once; never "
           "overwrites)\n"
           "       civicsnapd backup --data-dir DIR [--photos SPEC] --to DIR   (online consistent copy: database, "
           "secrets, a photo folder; photos in a bucket are checked, not copied)\n"
           "       civicsnapd sweep-photos --data-dir DIR [--database URL] [--photos SPEC] [--older-than SECONDS]   "
           "(remove orphans, default 3600)\n"
           "       civicsnapd copy-photos --from file:DIR --to 's3://BUCKET?endpoint=URL&region=R'   (resumable, "
           "verified)\n"
           "       civicsnapd copy-database --from sqlite:PATH --to postgresql://USER@HOST:PORT/DB   (move a SQLite "
           "city into an empty, migrated PostgreSQL database; verified)\n"
           "       civicsnapd routes [--test-clock]   (the route table: METHOD PATTERN per line)\n"
           "environment: CIVICSNAP_ADMIN_PHONE, CIVICSNAP_ADMIN_PASSWORD create the first admin;\n"
           "             AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY [, AWS_SESSION_TOKEN] for --photos s3://\n";
}

std::optional<Endpoint> parse_endpoint(const std::string& text) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) return std::nullopt;
    std::string host = text.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    unsigned port = 0;
    const auto digits = std::string_view(text).substr(colon + 1);
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc() || p != digits.data() + digits.size() || port > 65535) return std::nullopt;
    return Endpoint{host, static_cast<unsigned short>(port)};
}

namespace {

std::int64_t parse_int(const std::string& flag, const std::string& value, std::int64_t min, std::int64_t max) {
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || p != value.data() + value.size() || n < min || n > max)
        throw std::invalid_argument(flag + ": expected an integer in [" + std::to_string(min) + ", " +
                                    std::to_string(max) + "], got '" + value + "'");
    return n;
}

Endpoint endpoint_or_throw(const std::string& flag, const std::string& value) {
    auto e = parse_endpoint(value);
    if (!e) throw std::invalid_argument(flag + ": expected HOST:PORT, got '" + value + "'");
    return *e;
}

// Applies one setting by its flag name (without "--"); shared by the file and the command line.
void apply(Config& c, const std::string& name, const std::string& value) {
    if (name == "listen")
        c.listen = endpoint_or_throw("--listen", value);
    else if (name == "tls-listen")
        c.tls_listen = endpoint_or_throw("--tls-listen", value);
    else if (name == "tls-cert")
        c.tls_cert = value;
    else if (name == "tls-key")
        c.tls_key = value;
    else if (name == "data-dir")
        c.data_dir = value;
    else if (name == "database")
        c.database = value;  // checked by the daemon at start (store/database_spec.hpp)
    else if (name == "photos")
        c.photos = value;  // checked by the daemon at start (store/photo_store.hpp)
    else if (name == "secrets-dir")
        c.secrets_dir = value;  // checked by the daemon at start (common/secrets_dir.hpp)
    else if (name == "threads")
        c.threads = static_cast<unsigned>(parse_int("--threads", value, 1, 256));
    else if (name == "upload-memory-budget")
        c.upload_memory_budget = parse_int("--upload-memory-budget", value, 64 * 1024, std::int64_t{1} << 40);
    else if (name == "photo-decodes")
        c.photo_decodes = static_cast<unsigned>(parse_int("--photo-decodes", value, 1, 256));
    else if (name == "demo-seed")
        c.demo_seed = parse_int("--demo-seed", value, 0, 1'000'000'000);
    else if (name == "daily-points-cap")
        c.daily_points_cap = parse_int("--daily-points-cap", value, 0, 1'000'000);
    else if (name == "registrations-per-hour")
        c.registrations_per_hour = parse_int("--registrations-per-hour", value, 0, 1'000'000);
    else if (name == "reports-per-hour")
        c.reports_per_hour = parse_int("--reports-per-hour", value, 0, 1'000'000);
    else
        throw std::invalid_argument("unknown setting '" + name + "'");
}

void apply_file(Config& c, const std::string& path) {
    std::ifstream in(path);
    if (!in) throw std::invalid_argument("--config: cannot read " + path);
    std::stringstream text;
    text << in.rdbuf();
    const auto doc = nlohmann::json::parse(text.str(), nullptr, false);
    if (!doc.is_object()) throw std::invalid_argument("--config: " + path + " is not a JSON object");
    // Keys are the flag names: {"listen": "0.0.0.0:8080", "threads": 4, "demo": true, …}
    for (const auto& [key, value] : doc.items()) {
        if (key == "demo" || key == "test-clock" || key == "access-log") {
            if (!value.is_boolean()) throw std::invalid_argument("--config: '" + key + "' must be true or false");
            if (key == "demo")
                c.demo = value.get<bool>();
            else if (key == "test-clock")
                c.test_clock = value.get<bool>();
            else
                c.access_log = value.get<bool>();
        } else if (value.is_string()) {
            apply(c, key, value.get<std::string>());
        } else if (value.is_number_integer()) {
            apply(c, key, std::to_string(value.get<std::int64_t>()));
        } else {
            throw std::invalid_argument("--config: '" + key + "' has the wrong type");
        }
    }
}

}  // namespace

ParsedArgs parse_args(const std::vector<std::string>& args) {
    ParsedArgs out;
    // The config file comes first whatever its position, so flags override it.
    for (std::size_t i = 0; i + 1 < args.size(); ++i)
        if (args[i] == "--config") apply_file(out.config, args[i + 1]);
    // A subcommand, when there is one, is the first argument.
    static constexpr std::pair<std::string_view, ParsedArgs::Command> kCommands[] = {
        {"check", ParsedArgs::Command::check},
        {"migrate", ParsedArgs::Command::migrate},
        {"init-secrets", ParsedArgs::Command::init_secrets},
        {"backup", ParsedArgs::Command::backup},
        {"sweep-photos", ParsedArgs::Command::sweep_photos},
        {"copy-photos", ParsedArgs::Command::copy_photos},
        {"copy-database", ParsedArgs::Command::copy_database},
        {"routes", ParsedArgs::Command::routes},
    };
    std::size_t first = 0;
    for (const auto& [word, command] : kCommands)
        if (!args.empty() && args[0] == word) {
            out.command = command;
            first = 1;
        }
    for (std::size_t i = first; i < args.size(); ++i) {
        const auto& a = args[i];
        if (a == "--help" || a == "-h") {
            out.command = ParsedArgs::Command::help;
        } else if (a == "--version") {
            out.command = ParsedArgs::Command::version;
        } else if (a == "--demo") {
            out.config.demo = true;
        } else if (a == "--test-clock") {
            out.config.test_clock = true;
        } else if (a == "--no-access-log") {
            out.config.access_log = false;
        } else if (a.rfind("--", 0) == 0) {
            std::string name = a.substr(2);
            std::string value;
            if (const auto eq = name.find('='); eq != std::string::npos) {
                value = name.substr(eq + 1);
                name = name.substr(0, eq);
            } else {
                if (i + 1 >= args.size()) throw std::invalid_argument(a + ": missing value");
                value = args[++i];
            }
            if (name == "to" && out.command == ParsedArgs::Command::backup)
                out.backup_to = value;
            else if (name == "older-than" && out.command == ParsedArgs::Command::sweep_photos)
                out.older_than = parse_int("--older-than", value, 0, 100LL * 365 * 86400);
            else if (name == "from" && (out.command == ParsedArgs::Command::copy_photos ||
                                        out.command == ParsedArgs::Command::copy_database))
                out.copy_from = value;
            else if (name == "to" && (out.command == ParsedArgs::Command::copy_photos ||
                                      out.command == ParsedArgs::Command::copy_database))
                out.copy_to = value;
            else if (name != "config")
                apply(out.config, name, value);
        } else {
            throw std::invalid_argument("unexpected argument '" + a + "'");
        }
    }
    if (out.command == ParsedArgs::Command::backup && out.backup_to.empty())
        throw std::invalid_argument("backup needs --to DIR");
    if (out.command == ParsedArgs::Command::init_secrets && out.config.secrets_dir.empty())
        throw std::invalid_argument("init-secrets needs --secrets-dir DIR");
    if (out.command == ParsedArgs::Command::copy_photos && (out.copy_from.empty() || out.copy_to.empty()))
        throw std::invalid_argument("copy-photos needs --from SPEC and --to SPEC");
    if (out.command == ParsedArgs::Command::copy_database && (out.copy_from.empty() || out.copy_to.empty()))
        throw std::invalid_argument("copy-database needs --from sqlite:PATH and --to postgresql://…");
    if (out.config.tls_listen && (out.config.tls_cert.empty() || out.config.tls_key.empty()))
        throw std::invalid_argument("--tls-listen needs --tls-cert and --tls-key");
    return out;
}

}  // namespace civic
