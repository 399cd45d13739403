#!/usr/bin/env python3
"""Copies a civicsnap SQLite database into a freshly migrated PostgreSQL one, for scripts/bench.

    bench/sqlite_to_pg.py SQLITE_FILE POSTGRESQL_URL

Used by the benchmark's case 6 on PostgreSQL: civicsnap-bulkgen writes 10 M reports into SQLite
fast (bulk mode), and this moves them into PostgreSQL with COPY instead of writing a second
generator. Not the migration tool for a running city (that is a civicsnapd command, issue 13
item 7): it assumes nobody is using either database.

Every table of the PostgreSQL schema except schema_migrations is emptied and filled from the
SQLite table of the same name, column by column (both schemas are twins: schema/ and
schema/postgresql/). The statistics tables are copied too, so the running sums stay exactly
those the SQLite triggers kept; the load runs with session_replication_role = replica (no
trigger fires, foreign keys are not re-checked row by row), then the identity sequences are
moved past the largest id and the tables analysed. `civicsnapd check --database URL` afterwards
recomputes every sum and the ledger's invariants from the rows.
"""
import os
import subprocess
import sys
import time

SKIPPED = {"schema_migrations"}


def psql(url, sql, replica=False, stdin=None):
    env = dict(os.environ)
    if replica:
        env["PGOPTIONS"] = "-c session_replication_role=replica"
    return subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                          env=env, stdin=stdin, stdout=subprocess.PIPE, check=True, text=True).stdout


def sqlite_columns(db, table):
    out = subprocess.run(["sqlite3", db, f"SELECT name FROM pragma_table_info('{table}')"],
                         stdout=subprocess.PIPE, check=True, text=True).stdout
    return set(out.split())


def select_expression(column, data_type):
    """SQLite expression giving the column in the text COPY (FORMAT csv) reads for data_type."""
    quoted = f'"{column}"'
    if data_type == "bytea":
        return f"CASE WHEN {quoted} IS NULL THEN NULL ELSE '\\x' || hex({quoted}) END"
    if data_type == "boolean":
        return f"CASE WHEN {quoted} IS NULL THEN NULL WHEN {quoted} THEN 't' ELSE 'f' END"
    if data_type in ("double precision", "real"):
        # 17 significant digits: a double survives the trip exactly (the CLI prints 15).
        return f"CASE WHEN {quoted} IS NULL THEN NULL ELSE printf('%!.17g', {quoted}) END"
    return quoted


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    db, url = sys.argv[1], sys.argv[2]
    rows = psql(url, "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c "
                     "JOIN information_schema.tables t USING (table_schema, table_name) "
                     "WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' "
                     "ORDER BY c.table_name, c.ordinal_position")
    tables = {}
    for line in rows.splitlines():
        table, column, data_type = line.split("|")
        if table not in SKIPPED:
            tables.setdefault(table, []).append((column, data_type))
    psql(url, "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
    for table, columns in sorted(tables.items()):
        present = sqlite_columns(db, table)
        missing = [c for c, _ in columns if c not in present]
        if missing:
            sys.exit(f"sqlite_to_pg: {table}: no column {', '.join(missing)} in {db}")
        started = time.monotonic()
        select = "SELECT " + ", ".join(select_expression(c, t) for c, t in columns) + f' FROM "{table}"'
        names = ", ".join(f'"{c}"' for c, _ in columns)
        dump = subprocess.Popen(["sqlite3", "-csv", db, select], stdout=subprocess.PIPE)
        psql(url, f'\\copy "{table}" ({names}) FROM STDIN WITH (FORMAT csv)', replica=True, stdin=dump.stdout)
        dump.stdout.close()
        if dump.wait() != 0:
            sys.exit(f"sqlite_to_pg: reading {table} from {db} failed")
        count = psql(url, f'SELECT count(*) FROM "{table}"').strip()
        print(f"sqlite_to_pg: {table}: {count} rows in {time.monotonic() - started:.1f} s", file=sys.stderr)
    # Identity columns continue after the copied ids, as if the rows had been inserted here.
    identities = psql(url, "SELECT table_name, column_name FROM information_schema.columns "
                           "WHERE table_schema = 'public' AND is_identity = 'YES'")
    for line in identities.splitlines():
        table, column = line.split("|")
        psql(url, f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "
                  f'COALESCE((SELECT max("{column}") FROM "{table}"), 0) + 1, false)')
    psql(url, "ANALYZE")


if __name__ == "__main__":
    main()
