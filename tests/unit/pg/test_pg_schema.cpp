// schema/postgresql/*.sql against schema/*.sql: the same tables and views with the same columns in
// the same order, and the same values out of the triggers (statistics' running sums, epochs,
// refusals) for the same statements — run through one function template written once against
// both engines' Query API (server/store/pg/sql_concepts.hpp).
#include "server/store/migrations.hpp"
#include "server/store/pg/pg_migrate.hpp"
#include "server/store/pg/sql_concepts.hpp"
#include "server/store/sqlite.hpp"
#include "tests/unit/pg/pg_support.hpp"

#include <map>
#include <set>
#include <string>
#include <vector>

namespace store = civic::store;
namespace pg = civic::store::pg;
using civic::test::PgTest;

static_assert(store::SqlConn<store::Conn>, "sqlite.hpp's Conn/Query have the shared surface");
static_assert(store::SqlConn<pg::Conn>, "pg_conn.hpp's Conn/Query have the shared surface");

namespace {

using Columns = std::map<std::string, std::vector<std::string>>;

// SQLite's own tables and the R*Tree's shadow tables are not part of the schema.
Columns sqlite_columns(store::Conn& c, std::map<std::string, std::string>* types) {
    Columns out;
    std::vector<std::string> names;
    {
        auto q = c.query(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' "
            "AND NOT (name GLOB '*_node' OR name GLOB '*_rowid' OR name GLOB '*_parent') ORDER BY name");
        while (q.next()) names.push_back(q.text(0));
    }
    for (const auto& name : names) {
        auto q = c.query("SELECT name, upper(type) FROM pragma_table_info(?) ORDER BY cid");
        q.args(name);
        while (q.next()) {
            out[name].push_back(q.text(0));
            if (types) (*types)[name + "." + q.text(0)] = q.text(1);
        }
    }
    return out;
}

Columns pg_columns(pg::Conn& c, std::map<std::string, std::string>* types) {
    Columns out;
    auto q = c.query(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'public' AND table_name <> 'schema_migrations' ORDER BY table_name, ordinal_position");
    while (q.next()) {
        out[q.text(0)].push_back(q.text(1));
        if (types) (*types)[q.text(0) + "." + q.text(1)] = q.text(2);
    }
    return out;
}

// A city's worth of ticket life, written once for both engines.
template <store::SqlConn C>
void scenario(C& c) {
    c.exec(
        "INSERT INTO users (phone, password_hash, display_name, role, created_at) VALUES "
        "('13800000001', 'h', 'r1', 'resident', 0), ('13800000002', 'h', 'r2', 'resident', 0), "
        "('13800000003', 'h', 'w1', 'worker', 0), ('13800000004', 'h', 'w2', 'worker', 0)");
    c.exec(
        "INSERT INTO categories (code, name, sla_hours, points_on_accept, points_on_close, created_at) VALUES "
        "('road', 'Road', 24, 5, 10, 0), ('waste', 'Waste', 12, 3, 6, 0)");
    std::vector<std::int64_t> grids;
    for (const char* code : {"g1", "g2"}) {
        auto q = c.query(
            "INSERT INTO grids (code, name, boundary, auto_assign, area_m2, created_at) VALUES (?, ?, '{}', 1, 2.5, 0) "
            "RETURNING id");
        q.args(code, code);
        q.next();
        grids.push_back(q.int64(0));
    }
    c.query("INSERT INTO user_grids (user_id, grid_id) VALUES (?, ?)").args(3, grids[0]).run();
    c.query("INSERT INTO user_grids (user_id, grid_id) VALUES (?, ?)").args(4, grids[1]).run();

    const std::int64_t t0 = 1764547200;  // 2025-12-01T00:00:00Z
    for (int i = 0; i < 12; ++i) {
        std::optional<std::int64_t> grid;  // every fifth report outside every grid
        if (i % 5 != 4) grid = grids[static_cast<std::size_t>(i % 2)];
        c.query(
             "INSERT INTO reports (status, category, description, lat, lon, address, grid_id, reporter_id, "
             "created_at, updated_at) VALUES ('submitted', ?, ?, ?, ?, ?, ?, ?, ?, ?)")
            .args(i % 3 == 0 ? "waste" : "road", "report " + std::to_string(i), 25.0 + i * 0.001, 118.0 - i * 0.001,
                  i % 2 ? std::optional<std::string>("addr") : std::nullopt, grid, 1 + i % 2, t0 + i * 1800,
                  t0 + i * 1800)
            .run();
    }
    const auto accept = [&](int id, std::int64_t at, int sla_hours) {
        c.query("UPDATE reports SET status = 'accepted', accepted_at = ?, deadline_at = ?, updated_at = ? WHERE id = ?")
            .args(at, at + sla_hours * 3600, at, id)
            .run();
    };
    for (int id = 1; id <= 9; ++id) accept(id, t0 + id * 1800 + 600, 24);
    for (int id = 1; id <= 8; ++id) {
        c.query("UPDATE reports SET status = 'assigned', assignee_id = ?, updated_at = updated_at + 1 WHERE id = ?")
            .args(3 + id % 2, id)
            .run();
    }
    for (int id = 1; id <= 7; ++id) {
        c.query("UPDATE reports SET status = 'resolved', resolved_at = accepted_at + ? WHERE id = ?")
            .args(3600 * id, id)
            .run();
    }
    // Rework on 2, an extension on 3, a late close on 4 (beyond the deadline), ratings.
    c.query(
         "UPDATE reports SET status = 'in_progress', resolved_at = NULL, rework_count = rework_count + 1 WHERE id = ?")
        .args(2)
        .run();
    c.query("UPDATE reports SET extension_hours = 12, deadline_at = deadline_at + 43200 WHERE id = ?").args(3).run();
    for (int id : {1, 3, 5, 6}) {
        c.query("UPDATE reports SET status = 'closed', closed_at = resolved_at + 60, rating = ? WHERE id = ?")
            .args(1 + id % 5, id)
            .run();
    }
    c.query("UPDATE reports SET status = 'closed', closed_at = deadline_at + 1 WHERE id = ?").args(4).run();
    c.query("UPDATE reports SET status = 'rejected' WHERE id = ?").args(10).run();
    c.query("UPDATE reports SET status = 'duplicate', duplicate_of = 1 WHERE id = ?").args(11).run();
    // Moved to the other grid and re-categorised; a description edit changes no figure.
    c.query("UPDATE reports SET grid_id = ?, category = 'waste' WHERE id = ?").args(grids[0], 8).run();
    c.query("UPDATE reports SET description = 'edited' WHERE id = ?").args(9).run();
    // Sessions: one updated, one deleted (the auth epoch moves); a grid membership removed.
    c.query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, 1, 0, 10)")
        .bind_blob(1, std::string("\x01\x02", 2))
        .run();
    c.query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, 2, 0, 10)")
        .bind_blob(1, std::string("\x03\x00", 2))
        .run();
    c.query("UPDATE sessions SET expires_at = 20 WHERE user_id = ?").args(1).run();
    c.query("DELETE FROM sessions WHERE user_id = ?").args(2).run();
    c.query("DELETE FROM user_grids WHERE user_id = ?").args(4).run();
    c.query("UPDATE user_grids SET grid_id = grid_id WHERE user_id = ?").args(3).run();
    c.query("UPDATE users SET display_name = 'r1b' WHERE id = ?").args(1).run();
}

// Every row of a query, every value as text. (Integers and text only: a REAL's text differs
// between the engines' formatting, which is why reports' lat/lon are left out below.)
template <store::SqlConn C>
std::vector<std::string> dump(C& c, const std::string& select, int columns) {
    std::vector<std::string> rows;
    auto q = c.query(select);
    while (q.next()) {
        std::string row;
        for (int col = 0; col < columns; ++col) row += (q.is_null(col) ? std::string("NULL") : q.text(col)) + "|";
        rows.push_back(row);
    }
    return rows;
}

}  // namespace

// Each test compares against the SQLite schema built by store::migrate, in memory.
class PgSchema : public PgTest {
protected:
    PgSchema() { store::migrate(lite); }
    store::Conn lite{":memory:", store::Conn::Mode::read_write};
};

TEST_F(PgSchema, TablesAndColumnsMirrorTheSqliteSchema) {
    auto c = connect();
    std::map<std::string, std::string> lite_types, pg_types;
    const auto expected = sqlite_columns(lite, &lite_types);
    const auto actual = pg_columns(*c, &pg_types);
    EXPECT_EQ(actual, expected);
    // Declared types map one to one: INTEGER (the R*Tree's id: INT) → bigint, REAL → double
    // precision, TEXT → text, BLOB → bytea. Views' columns carry no declared type in SQLite.
    const std::map<std::string, std::string> map = {
        {"INTEGER", "bigint"}, {"INT", "bigint"}, {"REAL", "double precision"}, {"TEXT", "text"}, {"BLOB", "bytea"}};
    int compared = 0;
    for (const auto& [column, lite_type] : lite_types) {
        if (lite_type.empty()) continue;
        ASSERT_TRUE(map.count(lite_type)) << column << " " << lite_type;
        EXPECT_EQ(pg_types[column], map.at(lite_type)) << column;
        ++compared;
    }
    EXPECT_GT(compared, 150);
}

TEST_F(PgSchema, TriggersGiveTheSameSumsAndEpochs) {
    auto c = connect();
    scenario(lite);
    scenario(*c);
    const auto columns = pg_columns(*c, nullptr);
    const std::vector<std::pair<std::string, std::string>> tables = {
        {"stats_hour_grid_category", "hour, grid_key, category"},
        {"stats_hour_grid", "hour, grid_key"},
        {"stats_hour_grid_worker", "hour, grid_key, worker_key"},
        {"stats_week_reporter", "week_key, reporter_id"},
        {"report_stat_facts", "id"},
        {"report_reporter_facts", "id"},
        {"epochs", "name"},
        {"user_grids", "user_id, grid_id"},
        {"sessions", "user_id"},
    };
    for (const auto& [table, order] : tables) {
        const auto select = "SELECT * FROM " + table + " ORDER BY " + order;
        const int n = static_cast<int>(columns.at(table).size());
        const auto expected = dump(lite, select, n);
        EXPECT_FALSE(expected.empty()) << table;
        EXPECT_EQ(dump(*c, select, n), expected) << table;
    }
    const std::string reports =
        "SELECT id, status, category, address, grid_id, assignee_id, reporter_id, created_at, accepted_at, "
        "deadline_at, "
        "resolved_at, closed_at, extension_hours, rework_count, duplicate_of, rating, updated_at FROM reports ORDER BY "
        "id";
    EXPECT_EQ(dump(*c, reports, 17), dump(lite, reports, 17));
    // And the running sums equal a recomputation from the view (what `civicsnapd check` does).
    auto q = c->query(
        "SELECT count(*) FROM (SELECT hour, grid_key, sum(received) r, sum(closed) cl, sum(close_seconds) s "
        "FROM report_stat_facts GROUP BY hour, grid_key) f FULL JOIN (SELECT * FROM stats_hour_grid "
        "WHERE received <> 0 OR closed <> 0 OR close_seconds <> 0) t USING (hour, grid_key) "
        "WHERE f.r IS DISTINCT FROM t.received OR f.cl IS DISTINCT FROM t.closed OR f.s IS DISTINCT FROM "
        "t.close_seconds");
    ASSERT_TRUE(q.next());
    EXPECT_EQ(q.int64(0), 0);
}

TEST_F(PgSchema, RefusalsAreConstraintErrorsOnBothEngines) {
    auto c = connect();
    scenario(lite);
    scenario(*c);
    try {
        lite.exec("DELETE FROM reports WHERE id = 1");
        FAIL() << "sqlite deleted a report";
    } catch (const store::DbError& e) {
        EXPECT_TRUE(e.constraint());
    }
    try {
        c->exec("DELETE FROM reports WHERE id = 1");
        FAIL() << "postgresql deleted a report";
    } catch (const pg::PgError& e) {
        EXPECT_TRUE(e.constraint()) << e.sqlstate();
        EXPECT_NE(std::string(e.what()).find("reports are never deleted"), std::string::npos);
    }
    c->exec(
        "INSERT INTO ledger_transfers (debit_account, credit_account, amount, kind, ref, debit_balance_after, "
        "credit_balance_after, at) VALUES (1, 2, 5, 'donation', 'x', -5, 5, 0)");
    EXPECT_THROW(c->exec("UPDATE ledger_transfers SET amount = 6"), pg::PgError);
    EXPECT_THROW(c->exec("DELETE FROM ledger_transfers"), pg::PgError);
    // A report pays each reward once: the partial unique index.
    c->exec(
        "INSERT INTO ledger_transfers (debit_account, credit_account, amount, kind, ref, debit_balance_after, "
        "credit_balance_after, at) VALUES (1, 2, 5, 'report_closed', '7', -10, 10, 0)");
    try {
        c->exec(
            "INSERT INTO ledger_transfers (debit_account, credit_account, amount, kind, ref, debit_balance_after, "
            "credit_balance_after, at) VALUES (1, 2, 5, 'report_closed', '7', -15, 15, 0)");
        FAIL() << "paid twice";
    } catch (const pg::PgError& e) {
        EXPECT_TRUE(e.unique_violation());
    }
}

// What keeps the two schemas in step beyond the columns (docs/postgresql.md, "The schema"): the
// same migration files, the same NOT NULLs and the same unique keys — a unique index added on one
// engine only would make one engine answer 409 where the other stores a duplicate.
namespace {

bool is_rtree(store::Conn& c, const std::string& table) {
    auto q = c.query("SELECT sql LIKE 'CREATE VIRTUAL TABLE%rtree%' FROM sqlite_master WHERE name = ?");
    q.args(table);
    return q.next() && q.int64(0) != 0;
}

// "table.column" of every column that refuses NULL (a primary key's included; an R*Tree stores no
// NULL, its PostgreSQL twin says NOT NULL).
std::set<std::string> sqlite_not_null(store::Conn& c, const Columns& tables) {
    std::set<std::string> out;
    for (const auto& [table, columns] : tables) {
        const bool rtree = is_rtree(c, table);
        auto q = c.query("SELECT name, \"notnull\" OR pk > 0 FROM pragma_table_info(?)");
        q.args(table);
        while (q.next()) {
            if (rtree || q.int64(1) != 0) out.insert(table + "." + q.text(0));
        }
    }
    return out;
}

std::set<std::string> pg_not_null(pg::Conn& c) {
    std::set<std::string> out;
    auto q = c.query(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
        "AND table_name <> 'schema_migrations' AND is_nullable = 'NO'");
    while (q.next()) out.insert(q.text(0) + "." + q.text(1));
    return out;
}

// "table(col, col)" of every unique key, "… WHERE" when partial. SQLite's INTEGER PRIMARY KEY is
// the rowid and has no index of its own: it comes from table_info. An R*Tree's id (a virtual
// table: no index list) is its key.
std::set<std::string> sqlite_unique_keys(store::Conn& c, const Columns& tables) {
    std::set<std::string> out;
    for (const auto& [table, columns] : tables) {
        std::string pk;
        {
            auto q = c.query("SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk");
            q.args(table);
            while (q.next()) pk += (pk.empty() ? "" : ", ") + q.text(0);
        }
        if (is_rtree(c, table)) pk = columns.front();
        if (!pk.empty()) out.insert(table + "(" + pk + ")");
        std::vector<std::pair<std::string, bool>> indexes;
        {
            auto q = c.query("SELECT name, partial FROM pragma_index_list(?) WHERE \"unique\"");
            q.args(table);
            while (q.next()) indexes.emplace_back(q.text(0), q.int64(1) != 0);
        }
        for (const auto& [index, partial] : indexes) {
            std::string key;
            auto q = c.query("SELECT name FROM pragma_index_info(?) ORDER BY seqno");
            q.args(index);
            while (q.next()) key += (key.empty() ? "" : ", ") + q.text(0);
            out.insert(table + "(" + key + ")" + (partial ? " WHERE" : ""));
        }
    }
    return out;
}

// What one set has and the other lacks, for a failure message that names only the difference.
std::string only_in(const std::set<std::string>& a, const std::set<std::string>& b) {
    std::string out;
    for (const auto& x : a) {
        if (!b.count(x)) out += " " + x;
    }
    return out;
}

std::set<std::string> pg_unique_keys(pg::Conn& c) {
    std::set<std::string> out;
    auto q = c.query(
        "SELECT t.relname || '(' || string_agg(a.attname, ', ' ORDER BY k.n) || ')' || "
        "       CASE WHEN i.indpred IS NULL THEN '' ELSE ' WHERE' END "
        "FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
        "JOIN pg_namespace s ON s.oid = t.relnamespace AND s.nspname = 'public' "
        "CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) "
        "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum "
        "WHERE i.indisunique AND t.relname <> 'schema_migrations' "
        "GROUP BY t.relname, i.indexrelid, i.indpred");
    while (q.next()) out.insert(q.text(0));
    return out;
}

}  // namespace

TEST(PgSchemaFiles, EveryMigrationHasItsTwin) {
    std::vector<std::string> lite, postgres;
    for (const auto& m : store::migrations()) lite.push_back(m.name);
    for (const auto& m : pg::migrations()) postgres.push_back(m.name);
    EXPECT_EQ(postgres, lite) << "schema/postgresql/ must have a file of the same name for each of schema/*.sql";
}

TEST_F(PgSchema, NotNullsAndUniqueKeysMirrorTheSqliteSchema) {
    auto c = connect();
    const auto tables = sqlite_columns(lite, nullptr);
    const auto lite_not_null = sqlite_not_null(lite, tables), pg_nn = pg_not_null(*c);
    EXPECT_EQ(only_in(pg_nn, lite_not_null), "") << "NOT NULL on PostgreSQL only";
    EXPECT_EQ(only_in(lite_not_null, pg_nn), "") << "NOT NULL on SQLite only";
    EXPECT_GT(lite_not_null.size(), 100u);
    const auto lite_keys = sqlite_unique_keys(lite, tables), pg_keys = pg_unique_keys(*c);
    EXPECT_EQ(only_in(pg_keys, lite_keys), "") << "unique on PostgreSQL only";
    EXPECT_EQ(only_in(lite_keys, pg_keys), "") << "unique on SQLite only";
    EXPECT_GT(lite_keys.size(), 20u);
}
