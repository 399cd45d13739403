#pragma once
// Integration-test support: which engine the daemons of this run use (docs/postgresql.md, "The
// integration suite on PostgreSQL"). With CIVIC_TEST_DATABASE=postgresql (the ctest entries
// integration_pg.*, label pg) every daemon the launcher starts (daemon.hpp) gets --database with
// a fresh database of the fixture's PostgreSQL cluster ($CIVIC_PG_STATE), copied from the migrated
// template: one a data dir, created by the first daemon on that dir, reused by a daemon restarted
// on it, dropped with a data dir the launcher made. Otherwise SQLite in the data dir, as always.
// A daemon whose extra_args name --database gets that one instead.
#include <string>

namespace civic::test {

bool database_on_postgresql();
// The --database value of the daemons on `data_dir`: "" on SQLite, or when no daemon was started
// on it; created on first use when `create` (the launcher).
std::string database_for(const std::string& data_dir, bool create = false);
// Forgets `data_dir`'s database and drops it (the launcher, when it removes the dir).
void forget_database_of(const std::string& data_dir);
// The run's PostgreSQL cluster's URI for `dbname` (a PostgreSQL run only).
std::string pg_uri(const std::string& dbname);
// A fresh database of the run's cluster: migrated, or `empty` of any table.
std::string create_pg_database(bool empty = false);
// Drops a database create_pg_database made (every connection to it closed first).
void drop_pg_database(const std::string& dbname);

}  // namespace civic::test
