// `civicsnapd copy-database --from sqlite:PATH --to postgresql://…` (docs/scale-out.md, "Moving a
// SQLite city to PostgreSQL"): the living demo city, served from SQLite, copied while its daemon
// serves into a fresh migrated PostgreSQL database; a daemon on PostgreSQL then gives the same
// answers, takes new writes (the identities were set past the copied ids) and `check` passes. A
// target holding city data, a target not migrated, a source table the target lacks and a source
// whose ledger does not verify are refused with the target left as it was; bad URLs and an
// unreachable server exit 2 with one line. The PostgreSQL pass runs them (integration_pg.copy_database);
// the SQLite pass runs the argument checks that need no server and skips the rest.
#include "ledger_support.hpp"
#include "support/scratch_dir.hpp"
#include "support/uploads.hpp"

#include "server/store/pg/pg_conn.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <fstream>
#include <map>
#include <sstream>

namespace civic::test {
namespace {

using nlohmann::json;

constexpr const char* kDemoAdmin = "13800000000";
constexpr const char* kDemoAdminPassword = "demo-admin-2026";
constexpr const char* kDispatcher = "13800000001";
constexpr const char* kResident = "13500000001";  // the demo's most active resident
constexpr const char* kDemoPassword = "demo-pass-2026";

#define REQUIRE_POSTGRESQL_RUN() \
    if (!database_on_postgresql()) GTEST_SKIP() << "PostgreSQL pass only (ctest integration_pg.copy_database)"

CommandResult civicsnapd(const std::string& args) { return run_command(std::string(CIVICSNAPD_PATH) + " " + args); }

CommandResult copy_database(const std::string& from, const std::string& to) {
    return civicsnapd("copy-database --from '" + from + "' --to '" + to + "'");
}

// Exit status 2 and one line saying `what`.
void expect_refused(const CommandResult& r, const std::string& what) {
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
    EXPECT_NE(r.output.find(what), std::string::npos) << r.output;
}

std::string rfc3339(std::time_t t) {
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
    return buf;
}

// Every table of a PostgreSQL database with its row count: "nothing changed" is this map unchanged.
std::map<std::string, std::int64_t> row_counts(const std::string& url) {
    store::pg::Conn conn(url);
    std::vector<std::string> tables;
    auto q = conn.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_type = 'BASE TABLE'");
    while (q.next()) tables.push_back(q.text(0));
    std::map<std::string, std::int64_t> out;
    for (const auto& t : tables) {
        auto count = conn.query("SELECT count(*) FROM \"" + t + "\"");
        count.next();
        out[t] = count.int64(0);
    }
    return out;
}

std::int64_t total(const std::map<std::string, std::int64_t>& counts) {
    std::int64_t n = 0;
    for (const auto& [table, rows] : counts) n += rows;
    return n;
}

// Every row of every table both databases hold, each value written alike from either engine:
// "N" for NULL, else "V" and the value — an integer in decimal, a real in its shortest exact
// form, text and blobs as the hex of their bytes; rows sorted. The columns and their kinds are
// the target's; the source is read with the sqlite3 shell, apart from copy-database's code.
enum class Kind { integer, real, bytes };
using TableRows = std::map<std::string, std::vector<std::string>>;

std::string hex_of(const std::string& bytes) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const unsigned char b : bytes) out += {kHex[b >> 4], kHex[b & 0xf]};
    return out;
}

std::string shortest(double d) {
    char buf[40];
    const auto end = std::to_chars(buf, buf + sizeof buf, d).ptr;
    return std::string(buf, end);
}

std::map<std::string, std::vector<std::pair<std::string, Kind>>> target_columns(const std::string& url) {
    store::pg::Conn conn(url);
    std::map<std::string, std::vector<std::pair<std::string, Kind>>> out;
    auto q = conn.query(
        "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c "
        "JOIN information_schema.tables t USING (table_schema, table_name) "
        "WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' "
        "AND c.table_name <> 'schema_migrations' ORDER BY c.table_name, c.ordinal_position");
    while (q.next()) {
        const auto type = q.text(2);
        const auto kind = type == "bigint" || type == "integer" ? Kind::integer
                          : type == "double precision"          ? Kind::real
                                                                : Kind::bytes;
        out[q.text(0)].emplace_back(q.text(1), kind);
    }
    return out;
}

TableRows target_rows(const std::string& url) {
    TableRows out;
    store::pg::Conn conn(url);
    for (const auto& [table, columns] : target_columns(url)) {
        auto& rows = out[table];
        auto q = conn.query("SELECT * FROM \"" + table + "\"");
        while (q.next()) {
            std::string row;
            for (int c = 0; c < static_cast<int>(columns.size()); ++c) {
                row += c ? "|" : "";
                if (q.is_null(c)) {
                    row += "N";
                    continue;
                }
                const auto kind = columns[static_cast<std::size_t>(c)].second;
                row += 'V';
                row += kind == Kind::integer ? std::to_string(q.int64(c))
                       : kind == Kind::real  ? shortest(q.real(c))
                                             : hex_of(q.text(c));
            }
            rows.push_back(row);
        }
        std::sort(rows.begin(), rows.end());
    }
    return out;
}

TableRows source_rows(const std::string& path, const std::string& url) {
    TableRows out;
    for (const auto& [table, columns] : target_columns(url)) {
        const auto exists =
            run_command("sqlite3 '" + path + "' \"SELECT count(*) FROM sqlite_master WHERE name = '" + table + "'\"");
        if (exists.output != "1\n") continue;  // a table of the target only
        std::string select;
        for (const auto& [name, kind] : columns) {
            const auto col = "\\\"" + name + "\\\"";
            select +=
                std::string(select.empty() ? "" : " || '|' || ") + "CASE WHEN " + col +
                " IS NULL THEN 'N' ELSE 'V' || " +
                (kind == Kind::integer ? "CAST(" + col + " AS INTEGER)"
                 : kind == Kind::real  ? "printf('%d:%d', ieee754_mantissa(" + col + "), ieee754_exponent(" + col + "))"
                                       : "hex(" + col + ")") +
                " END";
        }
        const auto r = run_command("sqlite3 '" + path + "' \"SELECT " + select + " FROM \\\"" + table + "\\\"\"");
        EXPECT_EQ(r.exit_code, 0) << table << ": " << r.output;
        auto& rows = out[table];
        std::istringstream lines(r.output);
        for (std::string line; std::getline(lines, line);) {
            // A real, exact as mantissa:exponent (the shell's decimal printing is not: DBL_MAX reads
            // back one ulp off), to its shortest exact form, as the target's are written.
            std::string row;
            std::istringstream fields(line);
            std::size_t c = 0;
            for (std::string field; std::getline(fields, field, '|'); ++c) {
                if (columns.at(c).second == Kind::real && field != "N")
                    field =
                        std::string("V").append(shortest(std::ldexp(static_cast<double>(std::stoll(field.substr(1))),
                                                                    std::stoi(field.substr(field.find(':') + 1)))));
                if (c) row += '|';
                row += field;
            }
            rows.push_back(row);
        }
        std::sort(rows.begin(), rows.end());
    }
    return out;
}

// The source's tables, row for row and value for value, in the target.
void expect_same_rows(const std::string& path, const std::string& url) {
    const auto source = source_rows(path, url);
    auto target = target_rows(url);
    for (auto it = target.begin(); it != target.end();) it = source.count(it->first) ? std::next(it) : target.erase(it);
    ASSERT_EQ(source.size(), target.size());
    for (const auto& [table, rows] : source) EXPECT_EQ(rows, target[table]) << table;
}

// A SQLite file at this binary's schema, no city in it.
std::string migrated_sqlite(const ScratchDir& dir) {
    const auto path = dir.path + "/source.db";
    const auto r = civicsnapd("migrate --database 'sqlite:" + path + "'");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return path;
}

json read(const Daemon& d, const std::string& target, const std::string& token) {
    const auto r = d.get(target, token);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body;
    return r.status == 200 ? r.json() : json();
}

// Every page of the ticket list, as `token` sees it.
json all_reports(const Daemon& d, const std::string& token) {
    json all = json::array();
    std::string target = "/api/v1/reports?limit=200";
    for (int pages = 0; pages < 100; ++pages) {
        const auto page = read(d, target, token);
        if (!page.is_object()) break;
        for (const auto& item : page["items"]) all.push_back(item);
        if (page["next_cursor"].is_null()) break;
        target = "/api/v1/reports?limit=200&cursor=" + page["next_cursor"].get<std::string>();
    }
    return all;
}

TEST(CopyDatabase, TheDemoCityMovedToPostgresqlServesTheSameAnswers) {
    REQUIRE_POSTGRESQL_RUN();
    ScratchDir dir;
    const auto source = "sqlite:" + dir.path + "/civicsnap.db";
    // The demo city with its eight weeks of history, on SQLite whatever the pass.
    Daemon old_city(Daemon::Options{.extra_args = {"--database", source}, .demo = true, .data_dir = dir.path});
    const auto url = pg_uri(create_pg_database());

    // Copied while its daemon serves.
    const auto copy = copy_database(source, url);
    ASSERT_EQ(copy.exit_code, 0) << copy.output;
    EXPECT_NE(copy.output.find("row counts equal in all"), std::string::npos) << copy.output;
    EXPECT_NE(copy.output.find("ledger invariants hold and statistics agree in the target"), std::string::npos)
        << copy.output;
    EXPECT_NE(copy.output.find("reports: "), std::string::npos) << copy.output;  // a progress line a table
    std::cout << "[copy-database] " << copy.output.substr(copy.output.rfind("committed")) << std::flush;
    // Vacuumed after the commit: the visibility map is set, so index-only scans are planned.
    EXPECT_NE(copy.output.find("tables vacuumed"), std::string::npos) << copy.output;
    {
        store::pg::Conn conn(url);
        auto q = conn.query("SELECT relallvisible, relpages FROM pg_class WHERE relname = 'reports'");
        ASSERT_TRUE(q.next());
        EXPECT_GT(q.int64(1), 0);
        EXPECT_GT(q.int64(0), 0);  // pages all visible (every one, unless a snapshot elsewhere held them back)
    }

    // The same data dir (its secrets, its photos), the database on PostgreSQL.
    Daemon new_city(Daemon::Options{.extra_args = {"--database", url}, .data_dir = dir.path});
    const auto now = std::time(nullptr);
    for (const Daemon* d : {&old_city, &new_city})  // one "now" for answers that depend on it
        ASSERT_EQ(d->post("/api/v1/admin/clock", {{"now", rfc3339(now)}}, d->admin_token()).status, 200);

    struct Reader {
        const char* phone;
        const char* password;
        std::vector<std::string> targets;
    };
    const auto window = "from=" + rfc3339(now - 60 * 86400) + "&to=" + rfc3339(now + 3600);
    const std::vector<Reader> readers = {
        {kDispatcher,
         kDemoPassword,
         {"/api/v1/grids", "/api/v1/categories", "/api/v1/stats/closure?group_by=grid&" + window,
          "/api/v1/stats/closure?group_by=category&" + window, "/api/v1/supervision"}},
        {kResident,
         kDemoPassword,
         {"/api/v1/me", "/api/v1/me/points", "/api/v1/me/points/ledger?limit=200", "/api/v1/rewards",
          "/api/v1/honour-roll", "/api/v1/funds"}},
        {kDemoAdmin, kDemoAdminPassword, {"/api/v1/stats/points"}},
    };
    for (const auto& reader : readers) {
        const auto old_token = old_city.login(reader.phone, reader.password);
        const auto new_token = new_city.login(reader.phone, reader.password);
        for (const auto& target : reader.targets)
            EXPECT_EQ(read(old_city, target, old_token), read(new_city, target, new_token)) << target;
    }
    const auto dispatcher_old = old_city.login(kDispatcher, kDemoPassword);
    const auto dispatcher_new = new_city.login(kDispatcher, kDemoPassword);
    const auto tickets = all_reports(old_city, dispatcher_old);
    ASSERT_GT(tickets.size(), 50u);
    EXPECT_EQ(tickets, all_reports(new_city, dispatcher_new));
    for (const std::size_t i : {std::size_t{0}, tickets.size() / 2, tickets.size() - 1}) {
        const auto target = "/api/v1/reports/" + std::to_string(tickets[i]["id"].get<std::int64_t>());
        EXPECT_EQ(read(old_city, target, dispatcher_old), read(new_city, target, dispatcher_new)) << target;
    }
    // The photos stayed where they were: the new city serves them by the copied rows.
    const auto with_photo = std::find_if(tickets.begin(), tickets.end(),
                                         [](const json& t) { return !t.value("photos", json::array()).empty(); });
    ASSERT_NE(with_photo, tickets.end());
    const auto photo = (*with_photo)["photos"][0]["url"].get<std::string>();
    const auto served = new_city.get(photo, dispatcher_new);
    EXPECT_EQ(served.status, 200) << photo;
    EXPECT_EQ(served.body, old_city.get(photo, dispatcher_old).body);

    // New rows take ids past the copied ones: a resident, a report with its photo, points.
    const auto newcomer = new_city.register_resident("13611110201");
    const auto& sample = tickets[0];
    const auto report = post_multipart(new_city, "/api/v1/reports",
                                       multipart({{"category", sample["category"]},
                                                  {"description", "搬到 PostgreSQL 之后"},
                                                  {"lat", sample["lat"]},
                                                  {"lon", sample["lon"]}},
                                                 {make_jpeg(64, 48, 4242)}),
                                       newcomer);
    ASSERT_EQ(report.status, 201) << report.body;
    std::int64_t highest = 0;
    for (const auto& t : tickets) highest = std::max(highest, t["id"].get<std::int64_t>());
    EXPECT_GT(report.json()["id"].get<std::int64_t>(), highest);
    grant_points(new_city, user_id_of(new_city, newcomer), 25);
    EXPECT_EQ(balance_of(new_city, newcomer), 25);

    const auto check = civicsnapd("check --database '" + url + "'");
    EXPECT_EQ(check.exit_code, 0) << check.output;
}

TEST(CopyDatabase, ATargetHoldingACityIsRefusedAndLeftAsItWas) {
    REQUIRE_POSTGRESQL_RUN();
    ScratchDir dir;
    const auto source = migrated_sqlite(dir);
    Daemon city;  // this pass's daemon: a PostgreSQL database of its own
    const auto token = city.register_resident("13700000202");
    grant_points(city, user_id_of(city, token), 30);
    const auto url = database_for(city.data_dir());
    const auto before = row_counts(url);
    ASSERT_GT(total(before), 0);

    expect_refused(copy_database("sqlite:" + source, url), "already holds city data (rows in ");
    EXPECT_EQ(row_counts(url), before);
    EXPECT_EQ(balance_of(city, token), 30);
}

// Refused before anything is written: a target not migrated, a source table the target lacks.
TEST(CopyDatabase, ATargetOfAnotherSchemaOrLackingATableIsRefused) {
    REQUIRE_POSTGRESQL_RUN();
    ScratchDir dir;
    const auto source = migrated_sqlite(dir);
    const auto bare_url = pg_uri(create_pg_database(/*empty=*/true));
    expect_refused(copy_database("sqlite:" + source, bare_url), "run civicsnapd migrate --database on it first");
    EXPECT_TRUE(row_counts(bare_url).empty());

    const auto url = pg_uri(create_pg_database());
    const auto fresh = row_counts(url);
    const auto added = run_command("sqlite3 '" + source + "' 'CREATE TABLE added_later (id INTEGER PRIMARY KEY)'");
    ASSERT_EQ(added.exit_code, 0) << added.output;
    expect_refused(copy_database("sqlite:" + source, url), "the target has no table added_later");
    EXPECT_EQ(row_counts(url), fresh);
}

// A source whose ledger does not add up copies, fails its verification, and commits nothing.
TEST(CopyDatabase, ACopyThatDoesNotVerifyCommitsNothing) {
    REQUIRE_POSTGRESQL_RUN();
    ScratchDir dir;
    const auto path = dir.path + "/civicsnap.db";
    {
        Daemon city(Daemon::Options{.extra_args = {"--database", "sqlite:" + path}, .data_dir = dir.path});
        const auto token = city.register_resident("13700000203");
        grant_points(city, user_id_of(city, token), 40);
    }
    const auto tamper = run_command("sqlite3 '" + path +
                                    "' \"UPDATE ledger_accounts SET balance = balance + 5 WHERE kind = 'resident'\"");
    ASSERT_EQ(tamper.exit_code, 0) << tamper.output;
    const auto url = pg_uri(create_pg_database());
    const auto fresh = row_counts(url);

    const auto r = copy_database("sqlite:" + path, url);
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("the copy does not verify, nothing committed"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("transfers sum to 40"), std::string::npos) << r.output;
    EXPECT_EQ(row_counts(url), fresh);
}

// COPY's text format escapes: text with every character it gives a meaning to (tab, newline,
// carriage return, backslash, "\N", "\."), empty text beside NULL, unicode, blobs with those
// bytes and NUL, an empty blob, reals at their extremes. Every table compared value by value.
TEST(CopyDatabase, TextBlobsRealsAndNullsArriveValueForValue) {
    REQUIRE_POSTGRESQL_RUN();
    ScratchDir dir;
    const auto path = dir.path + "/civicsnap.db";
    {
        Daemon city(Daemon::Options{.extra_args = {"--database", "sqlite:" + path}, .data_dir = dir.path});
        const auto token = city.register_resident("13700000204");
        grant_points(city, user_id_of(city, token), 15);  // a ledger, sessions (blobs), NULLs
    }
    const std::vector<std::string> texts = {"'tab' || char(9) || 'in'",
                                            "'line' || char(10) || 'break'",
                                            "'carriage' || char(13) || 'return'",
                                            "'back' || char(92) || 'slash'",
                                            "char(92) || 'N'",
                                            "char(92) || '.'",
                                            "char(92) || char(92) || 'N'",
                                            "'ends with' || char(92)",
                                            "''",
                                            "'街道 路灯 🚲 é'",
                                            "char(92) || 'x41'",
                                            "'N'"};
    const std::vector<std::string> blobs = {"X''", "X'00'", "X'5C4E'", "X'5C2E0A'", "X'090A0D5C00FF'", "X'FFFE'"};
    const std::vector<std::string> reals = {
        "0.1",   "-0.0",   "1e-300", "4.9406564584124654e-324", "1.7976931348623157e308", "123456789.123456789",
        "9e999", "-9e999", "3"};
    std::string sql = "BEGIN;\n";
    for (std::size_t i = 0; i < texts.size(); ++i)
        sql += "INSERT INTO idempotency_keys VALUES (" + texts[i] + ", 'key' || " + std::to_string(i) + ", " +
               blobs[i % blobs.size()] + ", 200, " + texts[(i + 1) % texts.size()] + ", " +
               blobs[(i + 3) % blobs.size()] + ", 1700000000);\n";
    for (std::size_t i = 0; i < reals.size(); ++i)
        sql += "INSERT INTO rate_limit_buckets VALUES ('edge', " + texts[i % texts.size()] + " || " +
               std::to_string(i) + ", " + reals[i] + ", 1700000000);\n";
    sql += "COMMIT;\n";
    std::ofstream(dir.path + "/edges.sql") << sql;
    const auto load = run_command("sqlite3 '" + path + "' < '" + dir.path + "/edges.sql'");
    ASSERT_EQ(load.exit_code, 0) << load.output;
    const auto url = pg_uri(create_pg_database());

    const auto copy = copy_database("sqlite:" + path, url);
    ASSERT_EQ(copy.exit_code, 0) << copy.output;
    expect_same_rows(path, url);

    // The comparison saw what it is there for: NULLs, the edge texts, blobs, an infinity.
    const auto rows = target_rows(url);
    std::string all;
    for (const auto& [table, table_rows] : rows)
        for (const auto& row : table_rows) all += row + "\n";
    EXPECT_NE(all.find("|N"), std::string::npos);
    EXPECT_EQ(rows.at("idempotency_keys").size(), texts.size());
    EXPECT_EQ(rows.at("rate_limit_buckets").size(), reals.size());
    store::pg::Conn conn(url);
    auto q = conn.query(
        "SELECT count(*) FROM idempotency_keys WHERE caller IN ('back\\slash', E'\\\\N', '', E'tab\\tin', "
        "'街道 路灯 🚲 é') AND body IN ('\\x'::bytea, '\\x5c4e'::bytea, '\\x5c2e0a'::bytea, '\\x00'::bytea, "
        "'\\x090a0d5c00ff'::bytea, '\\xfffe'::bytea)");
    ASSERT_TRUE(q.next());
    EXPECT_EQ(q.int64(0), 5);
    auto inf = conn.query("SELECT count(*) FROM rate_limit_buckets WHERE tokens IN ('Infinity', '-Infinity')");
    ASSERT_TRUE(inf.next());
    EXPECT_EQ(inf.int64(0), 2);
}

// Bad values and an unreachable server: one line, exit 2 (no server needed: both passes).
TEST(CopyDatabase, BadUrlsAndAnUnreachableServerExit2WithOneLine) {
    ScratchDir dir;
    const auto source = "sqlite:" + migrated_sqlite(dir);
    expect_refused(copy_database(source, "mysql://civic@db/civic"), "--database must be sqlite:PATH or postgresql://");
    expect_refused(copy_database(source, "postgresql://civic@[::1/civic"), "IPv6");
    expect_refused(copy_database(source, source), "--to must be postgresql://");
    expect_refused(copy_database("postgresql://civic@127.0.0.1:1/civic", "postgresql://civic@127.0.0.1:1/civic"),
                   "--from must be sqlite:PATH");
    expect_refused(copy_database("sqlite:" + dir.path + "/missing.db", "postgresql://civic@127.0.0.1:1/civic"),
                   "no database at " + dir.path + "/missing.db");
    expect_refused(copy_database(source, "postgresql://civic@127.0.0.1:1/civic?connect_timeout=5"),
                   "cannot connect to PostgreSQL");
    const auto usage = civicsnapd("copy-database --from '" + source + "'");
    EXPECT_EQ(usage.exit_code, 2) << usage.output;
    EXPECT_NE(usage.output.find("copy-database needs --from sqlite:PATH and --to postgresql://"), std::string::npos)
        << usage.output;
}

}  // namespace
}  // namespace civic::test
