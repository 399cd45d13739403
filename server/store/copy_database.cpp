#include "server/store/copy_database.hpp"

#include "server/store/migrations.hpp"
#include "server/store/pg/pg_conn.hpp"
#include "server/store/pg/pg_migrate.hpp"
#include "server/store/pg_backend.hpp"
#include "server/store/sqlite.hpp"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <variant>

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

// How a value travels: read from SQLite as, bound to PostgreSQL as (the target column's type).
enum class ValueKind { integer, real, text, bytes };
using Value = std::variant<std::monostate, std::int64_t, double, std::string>;

ValueKind kind_of(const std::string& table, const std::string& column, const std::string& pg_type) {
    if (pg_type == "bigint" || pg_type == "integer" || pg_type == "smallint") return ValueKind::integer;
    if (pg_type == "double precision" || pg_type == "real" || pg_type == "numeric") return ValueKind::real;
    if (pg_type == "text" || pg_type == "character varying" || pg_type == "character") return ValueKind::text;
    if (pg_type == "bytea") return ValueKind::bytes;
    throw DatabaseStartError("the target's column " + table + "." + column + " has type " + pg_type +
                             ", which copy-database does not know how to copy");
}

Value read_value(Query& q, int col, ValueKind kind) {
    if (q.is_null(col)) return std::monostate{};
    switch (kind) {
        case ValueKind::integer:
            return q.int64(col);
        case ValueKind::real:
            return q.real(col);
        case ValueKind::text:
            return q.text(col);
        case ValueKind::bytes:
            return q.blob(col);
    }
    return std::monostate{};
}

// NULLs keep their column's type, so that every batch of a table is one prepared statement.
void bind_value(pg::Query& q, int index, ValueKind kind, const Value& v) {
    const bool null = std::holds_alternative<std::monostate>(v);
    switch (kind) {
        case ValueKind::integer:
            null ? q.bind(index, std::optional<std::int64_t>{}) : q.bind(index, std::get<std::int64_t>(v));
            return;
        case ValueKind::real:
            null ? q.bind(index, std::optional<double>{}) : q.bind(index, std::get<double>(v));
            return;
        case ValueKind::text:
            null ? q.bind(index, std::optional<std::string>{}) : q.bind(index, std::get<std::string>(v));
            return;
        case ValueKind::bytes:
            null ? q.bind_null_blob(index) : q.bind_blob(index, std::get<std::string>(v));
            return;
    }
}

struct Column {
    std::string name;
    ValueKind kind = ValueKind::text;
    bool self_reference = false;  // refers to its own table: filled in a second pass
};

struct Table {
    std::string name;
    std::vector<Column> columns;    // the source's, typed by the target's
    std::vector<std::string> key;   // the target's primary key
    std::set<std::string> parents;  // tables it refers to (other than itself)
    bool identity = false;          // has an identity column
    bool seeded = false;            // a migration inserts rows into it
    bool has_self_reference() const {
        return std::any_of(columns.begin(), columns.end(), [](const Column& c) { return c.self_reference; });
    }
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

struct TargetColumn {
    std::string type;
    bool identity = false;
};

std::set<std::string> target_tables(pg::Conn& dst) {
    std::set<std::string> out;
    auto q = dst.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_type = 'BASE TABLE'");
    while (q.next()) out.insert(q.text(0));
    return out;
}

std::map<std::string, TargetColumn> target_columns(pg::Conn& dst, const std::string& table) {
    std::map<std::string, TargetColumn> out;
    auto q = dst.query(
        "SELECT column_name, data_type, is_identity FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = ?");
    q.bind(1, table);
    while (q.next()) out[q.text(0)] = TargetColumn{q.text(1), q.text(2) == "YES"};
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
        const auto columns = target_columns(dst, name);
        Table t;
        t.name = name;
        t.key = target_key(dst, name);
        t.seeded = seeded.count(name) > 0;
        for (const auto& c : source_columns(src, name)) {
            const auto it = columns.find(c);
            if (it == columns.end()) throw DatabaseStartError("the target's table " + name + " has no column " + c);
            t.columns.push_back({c, kind_of(name, c, it->second.type), false});
            t.identity = t.identity || it->second.identity;
        }
        tables.emplace(name, std::move(t));
    }
    for (const auto& fk : foreign_keys) {
        const auto it = tables.find(fk.table);
        if (it == tables.end()) continue;
        if (fk.parent != fk.table) {
            if (tables.count(fk.parent)) it->second.parents.insert(fk.parent);
            continue;
        }
        for (auto& c : it->second.columns)
            if (c.name == fk.column) c.self_reference = true;
    }
    for (const auto& [name, t] : tables)
        if (t.has_self_reference() && t.key.empty())
            throw DatabaseStartError("the target's table " + name + " refers to itself but has no primary key");
    for (const auto& name : in_target)
        if (!tables.count(name) && name != pg::kMigrationsTable) target_only.push_back(name);
    return in_dependency_order(std::move(tables));
}

// Rows of `t` from the source into the target, in batches of multi-row INSERTs. A column that
// refers to its own table is NULL at first and set by a second pass, once every row it may name
// is there (reports.duplicate_of may name a later report).
std::int64_t copy_rows(Conn& src, pg::Conn& dst, const Table& t) {
    const int width = static_cast<int>(t.columns.size());
    assert(width > 0);
    const int per_insert = std::max(1, std::min(kCopyRowsPerInsert, kCopyMaxParameters / width));
    std::vector<std::string> names;
    for (const auto& c : t.columns) names.push_back(c.name);
    const auto key_in_source = std::all_of(t.key.begin(), t.key.end(), [&](const std::string& k) {
        return std::find(names.begin(), names.end(), k) != names.end();
    });
    std::string select = "SELECT " + sql_names(names) + " FROM " + sql_name(t.name);
    if (!t.key.empty() && key_in_source) select += " ORDER BY " + sql_names(t.key);

    const auto insert_sql = [&](int rows) {
        std::string sql = "INSERT INTO " + sql_name(t.name) + " (" + sql_names(names) + ")";
        if (t.identity) sql += " OVERRIDING SYSTEM VALUE";
        sql += " VALUES ";
        std::string row = "(";
        for (int c = 0; c < width; ++c) row += c ? ", ?" : "?";
        row += ")";
        for (int r = 0; r < rows; ++r) sql += (r ? ", " : "") + row;
        return sql;
    };
    const auto full_batch = insert_sql(per_insert);

    std::vector<std::vector<Value>> batch, second_pass;
    std::int64_t copied = 0;
    const auto flush = [&] {
        if (batch.empty()) return;
        auto q = dst.query(static_cast<int>(batch.size()) == per_insert ? full_batch
                                                                        : insert_sql(static_cast<int>(batch.size())));
        int index = 0;
        for (const auto& row : batch)
            for (int c = 0; c < width; ++c) {
                const auto& col = t.columns[static_cast<std::size_t>(c)];
                bind_value(q, ++index, col.kind, col.self_reference ? Value{} : row[static_cast<std::size_t>(c)]);
            }
        q.run();
        copied += static_cast<std::int64_t>(batch.size());
        batch.clear();
    };

    auto read = src.query(select);
    while (read.next()) {
        std::vector<Value> row;
        row.reserve(t.columns.size());
        bool names_itself = false;
        for (int c = 0; c < width; ++c) {
            const auto& col = t.columns[static_cast<std::size_t>(c)];
            row.push_back(read_value(read, c, col.kind));
            names_itself = names_itself || (col.self_reference && !std::holds_alternative<std::monostate>(row.back()));
        }
        if (names_itself) second_pass.push_back(row);
        batch.push_back(std::move(row));
        if (static_cast<int>(batch.size()) == per_insert) flush();
    }
    flush();

    if (second_pass.empty()) return copied;
    std::string update = "UPDATE " + sql_name(t.name) + " SET ";
    std::vector<int> set_columns, key_columns;
    for (int c = 0; c < width; ++c)
        if (t.columns[static_cast<std::size_t>(c)].self_reference) {
            update +=
                std::string(set_columns.empty() ? "" : ", ") + sql_name(names[static_cast<std::size_t>(c)]) + " = ?";
            set_columns.push_back(c);
        }
    for (const auto& k : t.key) {
        const auto c = static_cast<int>(std::find(names.begin(), names.end(), k) - names.begin());
        update += std::string(key_columns.empty() ? " WHERE " : " AND ") + sql_name(k) + " = ?";
        key_columns.push_back(c);
    }
    for (const auto& row : second_pass) {
        auto q = dst.query(update);
        int index = 0;
        for (const int c : set_columns)
            bind_value(q, ++index, t.columns[static_cast<std::size_t>(c)].kind, row[static_cast<std::size_t>(c)]);
        for (const int c : key_columns)
            bind_value(q, ++index, t.columns[static_cast<std::size_t>(c)].kind, row[static_cast<std::size_t>(c)]);
        q.run();
        if (q.changes() != 1) throw std::runtime_error("the second pass over " + t.name + " missed a row");
    }
    return copied;
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

void say(const CopyDatabaseHooks& hooks, const std::string& line) {
    if (hooks.progress) hooks.progress(line);
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
    std::string step = "reading the catalogs";
    try {
        in_snapshot(*src, [&] {
            pg::in_transaction(*dst, [&] {
                std::vector<std::string> target_only;
                const auto tables = plan_copy(*src, *dst, target_only);

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

                step = "re-enabling the target's triggers";
                for (const auto& t : tables) dst->exec("ALTER TABLE " + sql_name(t.name) + " ENABLE TRIGGER USER");
                step = "setting the sequences";
                summary.sequences = set_sequences_past_copied_ids(*dst);
                say(hooks, "sequences: " + std::to_string(summary.sequences) + " set past the copied ids");

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
    summary.seconds = seconds_since(start);
    return summary;
}

}  // namespace civic::store
