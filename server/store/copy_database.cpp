#include "server/store/copy_database.hpp"

#include "server/store/migrations.hpp"
#include "server/store/pg/pg_conn.hpp"
#include "server/store/pg/pg_migrate.hpp"
#include "server/store/pg_backend.hpp"
#include "server/store/sqlite.hpp"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <string_view>

namespace civic::store {

namespace {

using SteadyClock = std::chrono::steady_clock;

double seconds_since(SteadyClock::time_point start) {
    return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

// An identifier as SQL on both engines: "name", with " doubled.
std::string sql_name(const std::string& name) {
    std::string out = "\"";
    for (const char c : name) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + '"';
}

std::string sql_names(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + sql_name(n);
    return out;
}

std::string listed(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
}

// How a value travels: read from SQLite as, written into PostgreSQL's COPY as (the target
// column's type).
enum class ValueKind { integer, real, text, bytes };

ValueKind kind_of(const std::string& table, const std::string& column, const std::string& pg_type) {
    if (pg_type == "bigint" || pg_type == "integer" || pg_type == "smallint") return ValueKind::integer;
    if (pg_type == "double precision" || pg_type == "real" || pg_type == "numeric") return ValueKind::real;
    if (pg_type == "text" || pg_type == "character varying" || pg_type == "character") return ValueKind::text;
    if (pg_type == "bytea") return ValueKind::bytes;
    throw DatabaseStartError("the target's column " + table + "." + column + " has type " + pg_type +
                             ", which copy-database does not know how to copy");
}

// COPY's text format: fields apart by tabs, rows ended by newlines, NULL as \N. Inside a value a
// backslash, tab, newline or carriage return is escaped, so none reads as a delimiter, an end
// of row or an escape (a text "\N" arrives as the text "\N", not as NULL).
void append_escaped(std::string& out, std::string_view value) {
    for (const char c : value) {
        switch (c) {
            case '\\':
                out += "\\\\";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            default:
                out += c;
        }
    }
}

template <class Number>
void append_number(std::string& out, Number n) {
    char buf[40];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);  // a double: shortest exact form
    assert(ec == std::errc());
    out.append(buf, end);
}

// Column `col` of the source's current row as one COPY text field. The SQLite reading is the
// column's, converted as SQLite converts (a column's declared type is not enforced there).
void append_field(std::string& out, const Query& q, int col, ValueKind kind) {
    static constexpr char kHex[] = "0123456789abcdef";
    if (q.is_null(col)) {
        out += "\\N";
        return;
    }
    switch (kind) {
        case ValueKind::integer:
            append_number(out, q.int64(col));
            return;
        case ValueKind::real: {
            const double v = q.real(col);  // SQLite stores no NaN (it reads as NULL); infinities it does
            if (std::isinf(v)) {
                out += v > 0 ? "Infinity" : "-Infinity";
            } else {
                append_number(out, v);
            }
            return;
        }
        case ValueKind::text:
            append_escaped(out, q.text(col));
            return;
        case ValueKind::bytes:
            out += "\\\\x";  // bytea's hex input \x…, its backslash escaped for COPY
            for (const unsigned char b : q.blob(col)) {
                out += kHex[b >> 4];
                out += kHex[b & 0xf];
            }
            return;
    }
}

struct Column {
    std::string name;
    ValueKind kind = ValueKind::text;
};

struct Table {
    std::string name;
    std::vector<Column> columns;    // the source's, typed by the target's
    std::vector<std::string> key;   // the target's primary key
    std::set<std::string> parents;  // tables it refers to (other than itself)
    bool seeded = false;            // a migration inserts rows into it
};

// Tables a migration writes rows into (the ledger's system accounts, the epochs, …): a freshly
// migrated target holds those rows, which the source's replace. Read from the migrations
// themselves, so a later migration's seed is known without a list kept here.
std::set<std::string> seeded_tables() {
    static const std::regex insert(R"(INSERT\s+INTO\s+"?([A-Za-z_][A-Za-z0-9_]*))", std::regex::icase);
    std::set<std::string> out;
    for (const auto& m : pg::migrations())
        for (std::sregex_iterator it(m.sql.begin(), m.sql.end(), insert), end; it != end; ++it)
            out.insert((*it)[1].str());
    return out;
}

// The source's tables from its catalog: ordinary and virtual (R*Tree) tables, not SQLite's own
// nor the R*Trees' shadow tables (their contents are the virtual table's rows).
std::vector<std::string> source_tables(Conn& src) {
    std::vector<std::string> out;
    auto q = src.query(
        "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type IN ('table', 'virtual') "
        "AND name NOT LIKE 'sqlite!_%' ESCAPE '!' ORDER BY name");
    while (q.next()) out.push_back(q.text(0));
    return out;
}

std::vector<std::string> source_columns(Conn& src, const std::string& table) {
    std::vector<std::string> out;
    auto q = src.query("SELECT name FROM pragma_table_info(?) ORDER BY cid");
    q.bind(1, table);
    while (q.next()) out.push_back(q.text(0));
    return out;
}

// Either side: the source's store::Conn or the target's pg::Conn.
template <class Connection>
std::int64_t count_rows(Connection& conn, const std::string& table) {
    auto q = conn.query("SELECT count(*) FROM " + sql_name(table));
    q.next();
    return q.int64(0);
}

bool has_rows(pg::Conn& dst, const std::string& table) {
    auto q = dst.query("SELECT EXISTS (SELECT 1 FROM " + sql_name(table) + ")");
    q.next();
    return q.int64(0) != 0;
}

std::set<std::string> target_tables(pg::Conn& dst) {
    std::set<std::string> out;
    auto q = dst.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_type = 'BASE TABLE'");
    while (q.next()) out.insert(q.text(0));
    return out;
}

// Column name → its type (COPY writes identity columns' values as given: no OVERRIDING needed).
std::map<std::string, std::string> target_column_types(pg::Conn& dst, const std::string& table) {
    std::map<std::string, std::string> out;
    auto q = dst.query(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = ?");
    q.bind(1, table);
    while (q.next()) out[q.text(0)] = q.text(1);
    return out;
}

std::vector<std::string> target_key(pg::Conn& dst, const std::string& table) {
    std::vector<std::string> out;
    auto q = dst.query(
        "SELECT a.attname FROM pg_index i "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[]) "
        "WHERE i.indrelid = to_regclass(quote_ident(?)) AND i.indisprimary "
        "ORDER BY array_position(i.indkey::int2[], a.attnum)");
    q.bind(1, table);
    while (q.next()) out.push_back(q.text(0));
    return out;
}

struct ForeignKey {
    std::string table, column, parent;
};

std::vector<ForeignKey> target_foreign_keys(pg::Conn& dst) {
    std::vector<ForeignKey> out;
    auto q = dst.query(
        "SELECT c.relname, a.attname, p.relname FROM pg_constraint k "
        "JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid "
        "JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = ANY (k.conkey) "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE k.contype = 'f' AND n.nspname = current_schema()");
    while (q.next()) out.push_back({q.text(0), q.text(1), q.text(2)});
    return out;
}

// Parents before children; ties by name, so the order is the same from run to run.
std::vector<Table> in_dependency_order(std::map<std::string, Table> tables) {
    std::vector<Table> out;
    std::set<std::string> done;
    while (!tables.empty()) {
        auto ready = std::find_if(tables.begin(), tables.end(), [&](const auto& entry) {
            return std::all_of(entry.second.parents.begin(), entry.second.parents.end(),
                               [&](const std::string& p) { return done.count(p) > 0; });
        });
        if (ready == tables.end()) {
            std::vector<std::string> left;
            for (const auto& [name, t] : tables) left.push_back(name);
            throw DatabaseStartError("the target's foreign keys form a cycle among " + listed(left) +
                                     "; copy-database cannot order them");
        }
        done.insert(ready->first);
        out.push_back(std::move(ready->second));
        tables.erase(ready);
    }
    return out;
}

// The copy's plan: every source table with its columns typed by the target, in dependency order.
std::vector<Table> plan_copy(Conn& src, pg::Conn& dst, std::vector<std::string>& target_only) {
    const auto in_target = target_tables(dst);
    const auto seeded = seeded_tables();
    const auto foreign_keys = target_foreign_keys(dst);
    std::map<std::string, Table> tables;
    for (const auto& name : source_tables(src)) {
        if (!in_target.count(name))
            throw DatabaseStartError("the target has no table " + name +
                                     " (the source's schema differs from the target's)");
        const auto columns = target_column_types(dst, name);
        Table t;
        t.name = name;
        t.key = target_key(dst, name);
        t.seeded = seeded.count(name) > 0;
        for (const auto& c : source_columns(src, name)) {
            const auto it = columns.find(c);
            if (it == columns.end()) throw DatabaseStartError("the target's table " + name + " has no column " + c);
            t.columns.push_back({c, kind_of(name, c, it->second)});
        }
        tables.emplace(name, std::move(t));
    }
    for (const auto& fk : foreign_keys) {
        const auto it = tables.find(fk.table);
        if (it != tables.end() && fk.parent != fk.table && tables.count(fk.parent))
            it->second.parents.insert(fk.parent);
    }
    for (const auto& name : in_target)
        if (!tables.count(name) && name != pg::kMigrationsTable) target_only.push_back(name);
    return in_dependency_order(std::move(tables));
}

// Rows of `t` from the source into the target with COPY … FROM STDIN, in the source's key order.
std::int64_t copy_rows(Conn& src, pg::Conn& dst, const Table& t) {
    const int width = static_cast<int>(t.columns.size());
    assert(width > 0);
    std::vector<std::string> names;
    for (const auto& c : t.columns) names.push_back(c.name);
    const auto key_in_source = std::all_of(t.key.begin(), t.key.end(), [&](const std::string& k) {
        return std::find(names.begin(), names.end(), k) != names.end();
    });
    std::string select = "SELECT " + sql_names(names) + " FROM " + sql_name(t.name);
    if (!t.key.empty() && key_in_source) select += " ORDER BY " + sql_names(t.key);

    auto read = src.query(select);
    return dst.copy_in("COPY " + sql_name(t.name) + " (" + sql_names(names) + ") FROM STDIN", [&](std::string& chunk) {
        while (chunk.size() < kCopyChunkBytes) {
            if (!read.next()) return false;
            for (int c = 0; c < width; ++c) {
                if (c) chunk += '\t';
                append_field(chunk, read, c, t.columns[static_cast<std::size_t>(c)].kind);
            }
            chunk += '\n';
        }
        return true;
    });
}

// Every sequence of the schema set so that the next id drawn is past the largest copied one.
// A sequence no column owns is refused: nothing says which ids it must stay ahead of.
int set_sequences_past_copied_ids(pg::Conn& dst) {
    struct Owned {
        std::string sequence, table, column;
    };
    std::vector<Owned> sequences;
    auto q = dst.query(
        "SELECT s.relname, COALESCE(t.relname, ''), COALESCE(a.attname, '') FROM pg_class s "
        "JOIN pg_namespace n ON n.oid = s.relnamespace "
        "LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid "
        "  AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') "
        "LEFT JOIN pg_class t ON t.oid = d.refobjid "
        "LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid "
        "WHERE s.relkind = 'S' AND n.nspname = current_schema() ORDER BY s.relname");
    while (q.next()) sequences.push_back({q.text(0), q.text(1), q.text(2)});
    for (const auto& s : sequences) {
        if (s.table.empty() || s.column.empty())
            throw std::runtime_error("sequence " + s.sequence + " belongs to no column; cannot tell how far to set it");
        dst.query("SELECT setval(CAST(? AS regclass), COALESCE((SELECT max(" + sql_name(s.column) + ") FROM " +
                  sql_name(s.table) + "), 0) + 1, false)")
            .bind(1, sql_name(s.sequence))
            .run();
    }
    return static_cast<int>(sequences.size());
}

// The target's foreign keys from the copied tables, with their definitions from the catalog.
// They are dropped for the load and added again after it, as pg_dump orders a restore: adding
// one checks every row in one join instead of one lookup a row, and a row may then name a row
// copied after it (reports.duplicate_of names later reports).
struct NamedDefinition {
    std::string table, name, definition;
    bool operator==(const NamedDefinition&) const = default;
};

// (table, name, definition) rows of a catalog query, kept for the copied tables only.
std::vector<NamedDefinition> definitions_on_copied(pg::Conn& dst, const std::vector<Table>& tables, const char* sql) {
    std::set<std::string> copied;
    for (const auto& t : tables) copied.insert(t.name);
    std::vector<NamedDefinition> out;
    auto q = dst.query(sql);
    while (q.next())
        if (copied.count(q.text(0))) out.push_back({q.text(0), q.text(1), q.text(2)});
    return out;
}

std::vector<NamedDefinition> foreign_keys_from(pg::Conn& dst, const std::vector<Table>& tables) {
    return definitions_on_copied(
        dst, tables,
        "SELECT t.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k "
        "JOIN pg_class t ON t.oid = k.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
        "WHERE k.contype = 'f' AND n.nspname = current_schema() ORDER BY t.relname, k.conname");
}

// The target's indexes on the copied tables that no constraint uses (a primary key, a unique
// constraint, a foreign key's referenced key), with their definitions from the catalog. They are
// dropped for the load and built again from those definitions after it, as pg_dump orders a
// restore (data, then indexes): one sort an index instead of one insertion a row and index.
std::vector<NamedDefinition> secondary_indexes(pg::Conn& dst, const std::vector<Table>& tables) {
    return definitions_on_copied(
        dst, tables,
        "SELECT t.relname, c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid "
        "JOIN pg_namespace n ON n.oid = t.relnamespace "
        "WHERE n.nspname = current_schema() "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) ORDER BY c.relname");
}

std::vector<std::string> table_names(const std::vector<Table>& tables) {
    std::vector<std::string> out;
    for (const auto& t : tables) out.push_back(t.name);
    return out;
}

void say(const CopyDatabaseHooks& hooks, const std::string& line) {
    if (hooks.progress) hooks.progress(line);
}

void say_timed(const CopyDatabaseHooks& hooks, const std::string& what, SteadyClock::time_point start) {
    char seconds[40];
    std::snprintf(seconds, sizeof seconds, " (%.2f s)", seconds_since(start));
    say(hooks, what + seconds);
}

}  // namespace

CopyDatabaseSummary copy_sqlite_to_postgresql(const DatabaseSpec& from, const DatabaseSpec& to,
                                              const CopyDatabaseHooks& hooks) {
    if (from.engine != Engine::sqlite) throw DatabaseStartError("--from must be sqlite:PATH (a SQLite city)");
    if (to.engine != Engine::postgresql) throw DatabaseStartError("--to must be postgresql://… (an empty database)");
    const auto start = SteadyClock::now();
    const auto known = static_cast<std::int64_t>(migrations().size());

    // The source: this binary's schema, read-only. Its snapshot starts at the first read below.
    if (!std::filesystem::exists(from.path)) throw DatabaseStartError("no database at " + from.path);
    std::unique_ptr<Conn> src;
    try {
        src = std::make_unique<Conn>(from.path, Conn::Mode::read_only);
    } catch (const DbError& e) {
        throw DatabaseStartError(from.describe() + ": " + e.what());
    }
    if (const auto v = schema_version(*src); v != known)
        throw DatabaseStartError(from.describe() + ": the source's schema version (" + std::to_string(v) +
                                 ") differs from this binary's (" + std::to_string(known) + "); " +
                                 (v < known ? "start its daemon once with this binary, or run civicsnapd migrate "
                                              "--database " +
                                                  from.describe() + ", first"
                                            : "use a newer civicsnapd"));

    // The target: reachable, PostgreSQL 15+, at this binary's schema (this tool does not migrate:
    // an empty database is brought up with `civicsnapd migrate` first).
    std::unique_ptr<pg::Conn> dst;
    try {
        dst = std::make_unique<pg::Conn>(to.conninfo);
        pg::check_server_version(dst->server_version());
        const auto v = pg::schema_version(*dst);
        const auto target_known = static_cast<int>(pg::migrations().size());
        if (v != target_known)
            throw DatabaseStartError(
                to.describe() + ": the target's schema version (" + std::to_string(v) +
                ") differs from this binary's (" + std::to_string(target_known) + "); " +
                (v < target_known ? "run civicsnapd migrate --database on it first" : "use a newer civicsnapd"));
    } catch (const pg::PgError& e) {
        throw DatabaseStartError(to.describe() + ": " + e.what());
    }

    CopyDatabaseSummary summary;
    std::vector<std::string> copied;  // table names, for the VACUUM after the commit
    std::string step = "reading the catalogs";
    try {
        in_snapshot(*src, [&] {
            pg::in_transaction(*dst, [&] {
                std::vector<std::string> target_only;
                const auto tables = plan_copy(*src, *dst, target_only);
                copied = table_names(tables);

                // Nobody writes the target while we look at it and fill it.
                std::vector<std::string> all = target_only;
                for (const auto& t : tables) all.push_back(t.name);
                step = "locking the target's tables";
                dst->exec("LOCK TABLE " + sql_names(all) + " IN EXCLUSIVE MODE");

                // Empty of city data: only the rows the migrations themselves inserted.
                std::vector<std::string> holding;
                const auto seeded = seeded_tables();
                for (const auto& name : all)
                    if (!seeded.count(name) && has_rows(*dst, name)) holding.push_back(name);
                if (!holding.empty())
                    throw DatabaseStartError(
                        to.describe() + " already holds city data (rows in " + listed(holding) +
                        "); copy-database never merges two cities: give it a new database and run civicsnapd "
                        "migrate on it");
                say(hooks, "from " + from.describe() + " to " + to.describe() + " (schema version " +
                               std::to_string(known) + "): " + std::to_string(tables.size()) + " tables");
                for (const auto& name : target_only)
                    say(hooks, name + ": not in the source, left as the migrations made it");

                // For this transaction only: the copied running sums and epochs are the source's,
                // not recomputed row by row (verified below). Constraints stay on.
                step = "disabling the target's triggers for the copy";
                for (const auto& t : tables) dst->exec("ALTER TABLE " + sql_name(t.name) + " DISABLE TRIGGER USER");
                for (auto t = tables.rbegin(); t != tables.rend(); ++t)
                    if (t->seeded) dst->exec("DELETE FROM " + sql_name(t->name));

                // Set aside for the load (pg_dump's order: data, indexes, foreign keys).
                step = "dropping the foreign keys and secondary indexes for the load";
                const auto foreign_keys = foreign_keys_from(*dst, tables);
                const auto indexes = secondary_indexes(*dst, tables);
                for (const auto& fk : foreign_keys)
                    dst->exec("ALTER TABLE " + sql_name(fk.table) + " DROP CONSTRAINT " + sql_name(fk.name));
                for (const auto& index : indexes) dst->exec("DROP INDEX " + sql_name(index.name));

                for (const auto& t : tables) {
                    step = "copying " + t.name;
                    const auto table_start = SteadyClock::now();
                    const auto rows = copy_rows(*src, *dst, t);
                    summary.tables.push_back({t.name, rows});
                    summary.rows += rows;
                    char line[200];
                    std::snprintf(line, sizeof line, "%s: %lld rows (%.2f s)", t.name.c_str(),
                                  static_cast<long long>(rows), seconds_since(table_start));
                    say(hooks, line);
                }

                step = "building the secondary indexes again";
                auto rebuild_start = SteadyClock::now();
                for (const auto& index : indexes) dst->exec(index.definition);
                say_timed(hooks, std::to_string(indexes.size()) + " secondary indexes built", rebuild_start);
                step = "adding the foreign keys again, every row checked";
                rebuild_start = SteadyClock::now();
                for (const auto& fk : foreign_keys)
                    dst->exec("ALTER TABLE " + sql_name(fk.table) + " ADD CONSTRAINT " + sql_name(fk.name) + " " +
                              fk.definition);
                say_timed(hooks, std::to_string(foreign_keys.size()) + " foreign keys added, every row checked",
                          rebuild_start);
                if (foreign_keys_from(*dst, tables) != foreign_keys || secondary_indexes(*dst, tables) != indexes)
                    throw std::runtime_error("the foreign keys or indexes made again differ from those set aside");

                step = "re-enabling the target's triggers";
                for (const auto& t : tables) dst->exec("ALTER TABLE " + sql_name(t.name) + " ENABLE TRIGGER USER");
                step = "setting the sequences";
                summary.sequences = set_sequences_past_copied_ids(*dst);
                say(hooks, "sequences: " + std::to_string(summary.sequences) + " set past the copied ids");

                // Planner statistics for the verification below and the daemon's first queries.
                step = "analysing the copied tables";
                const auto analyse_start = SteadyClock::now();
                dst->exec("ANALYZE " + sql_names(table_names(tables)));
                say_timed(hooks, "tables analysed", analyse_start);

                step = "verifying the copy";
                std::vector<std::string> problems;
                for (const auto& t : tables) {
                    const auto source = count_rows(*src, t.name);
                    const auto target = count_rows(*dst, t.name);
                    if (source != target)
                        problems.push_back(t.name + ": " + std::to_string(source) + " rows in the source, " +
                                           std::to_string(target) + " in the target");
                }
                if (problems.empty())
                    say(hooks, "row counts equal in all " + std::to_string(tables.size()) + " tables");
                if (problems.empty() && hooks.verify) {
                    auto front = borrow_postgresql(*dst);
                    problems = hooks.verify(*front);
                }
                if (!problems.empty()) {
                    std::string all_problems;
                    for (const auto& p : problems) all_problems += (all_problems.empty() ? "" : "; ") + p;
                    throw std::runtime_error("the copy does not verify, nothing committed: " + all_problems);
                }
                step = "committing";
            });
        });
    } catch (const DatabaseStartError&) {
        throw;
    } catch (const pg::PgError& e) {
        throw std::runtime_error(step + ": " + e.what());
    } catch (const DbError& e) {
        throw std::runtime_error(step + ": " + e.what());
    }
    // Committed. VACUUM (which cannot run inside a transaction) sets the visibility map of the
    // loaded pages and their hint bits: without it the planner will not use index-only scans
    // until autovacuum comes by (10 M reports: the week's overdue count read 192 k reports
    // through reports_by_created, 180-330 ms, instead of 3 k entries of reports_open_accepted,
    // 9 ms), and the first readers dirty every page they touch. Its failure leaves a good copy.
    try {
        const auto vacuum_start = SteadyClock::now();
        dst->exec("VACUUM " + sql_names(copied));
        say_timed(hooks, "tables vacuumed (visibility map set)", vacuum_start);
    } catch (const pg::PgError& e) {
        say(hooks,
            std::string("VACUUM after the commit failed (the copy is committed; run VACUUM on it): ") + e.what());
    }
    summary.seconds = seconds_since(start);
    return summary;
}

}  // namespace civic::store
