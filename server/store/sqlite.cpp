#include "server/store/sqlite.hpp"

#include <utility>

#include <sqlite3.h>

#include <cassert>

namespace civic::store {

bool DbError::constraint_unique() const noexcept {
    return code_ == SQLITE_CONSTRAINT_UNIQUE || code_ == SQLITE_CONSTRAINT_PRIMARYKEY;
}
bool DbError::constraint() const noexcept { return (code_ & 0xff) == SQLITE_CONSTRAINT; }
bool DbError::storage_exhausted() const noexcept {
    const int primary = code_ & 0xff;
    return primary == SQLITE_FULL || primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN ||
           primary == SQLITE_READONLY;
}
bool DbError::busy() const noexcept {
    const int primary = code_ & 0xff;
    return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

Conn::Conn(const std::string& path, Mode mode) {
    const int flags = (mode == Mode::read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                      SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
    const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw DbError(rc, "cannot open database " + path + ": " + msg);
    }
    sqlite3_extended_result_codes(db_, 1);
    // Per-connection settings: none of these persist in the file (NOTES: synchronous does not).
    exec("PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;");
}

Conn::~Conn() {
    for (auto& [sql, cached] : cache_) sqlite3_finalize(cached.stmt);
    sqlite3_close_v2(db_);
}

void Conn::fail(int rc, std::string_view what) const {
    throw DbError(rc, std::string(what) + ": " + sqlite3_errmsg(db_));
}

Query Conn::query(std::string_view sql) {
    auto it = cache_.find(std::string(sql));
    if (it != cache_.end() && !it->second.busy) {
        it->second.busy = true;
        return Query(*this, it->second.stmt, &it->second.busy);
    }
    sqlite3_stmt* stmt = nullptr;
    const int rc =
        sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) fail(rc, "prepare");
    if (it != cache_.end()) return Query(*this, stmt, nullptr);
    auto [pos, inserted] = cache_.emplace(std::string(sql), CachedStmt{stmt, true});
    return Query(*this, stmt, &pos->second.busy);
}

void Conn::exec(std::string_view sql) {
    char* err = nullptr;
    const std::string text(sql);
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errstr(rc);
        sqlite3_free(err);
        throw DbError(sqlite3_extended_errcode(db_), msg);
    }
}

std::int64_t Conn::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
int Conn::changes() const { return sqlite3_changes(db_); }

Query::Query(Conn& conn, sqlite3_stmt* stmt, bool* busy) : conn_(&conn), stmt_(stmt), busy_(busy) {}
Query::Query(Query&& other) noexcept : conn_(other.conn_), stmt_(other.stmt_), busy_(other.busy_) {
    other.stmt_ = nullptr;
}
Query::~Query() {
    if (!stmt_) return;
    if (!busy_) {
        sqlite3_finalize(stmt_);
        return;
    }
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    *busy_ = false;
}

static void check_bind(Conn& conn, int rc) {
    if (rc != SQLITE_OK) conn.fail(rc, "bind");
}

Query& Query::bind(int index, std::int64_t value) {
    check_bind(*conn_, sqlite3_bind_int64(stmt_, index, value));
    return *this;
}
Query& Query::bind(int index, double value) {
    check_bind(*conn_, sqlite3_bind_double(stmt_, index, value));
    return *this;
}
Query& Query::bind(int index, std::string_view value) {
    check_bind(*conn_, sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
    return *this;
}
Query& Query::bind_blob(int index, std::string_view bytes) {
    check_bind(*conn_, sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT));
    return *this;
}
Query& Query::bind(int index, std::nullptr_t) {
    check_bind(*conn_, sqlite3_bind_null(stmt_, index));
    return *this;
}

bool Query::next() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    conn_->fail(sqlite3_extended_errcode(conn_->db_), "step");
}

void Query::run() {
    while (next()) {
    }
}

bool Query::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
std::int64_t Query::int64(int col) const { return sqlite3_column_int64(stmt_, col); }
double Query::real(int col) const { return sqlite3_column_double(stmt_, col); }
std::string Query::text(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
}
std::string Query::blob(int col) const {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
}
std::optional<std::int64_t> Query::opt_int64(int col) const {
    if (is_null(col)) return std::nullopt;
    return int64(col);
}
std::optional<std::string> Query::opt_text(int col) const {
    if (is_null(col)) return std::nullopt;
    return text(col);
}
std::optional<double> Query::opt_real(int col) const {
    if (is_null(col)) return std::nullopt;
    return real(col);
}

Savepoint::Savepoint(Conn& conn) : conn_(&conn) { conn.exec("SAVEPOINT nested"); }

Savepoint::~Savepoint() {
    if (!conn_) return;
    try {
        rollback();
    } catch (...) {
        // The enclosing transaction fails at its own COMMIT or ROLLBACK; nothing to add here.
    }
}

void Savepoint::release() {
    auto* conn = std::exchange(conn_, nullptr);
    conn->exec("RELEASE nested");
}

void Savepoint::rollback() {
    auto* conn = std::exchange(conn_, nullptr);
    conn->exec("ROLLBACK TO nested; RELEASE nested");
}

void ConnDeleter::operator()(Conn* conn) const noexcept { delete conn; }

namespace {
void in_transaction_begun(Conn& conn, const std::function<void()>& fn) {
    try {
        fn();
        conn.exec("COMMIT");
    } catch (...) {
        conn.exec("ROLLBACK");
        throw;
    }
}
}  // namespace

void in_transaction(Conn& conn, const std::function<void()>& fn) {
    conn.exec("BEGIN IMMEDIATE");
    in_transaction_begun(conn, fn);
}

void in_snapshot(Conn& conn, const std::function<void()>& fn) {
    conn.exec("BEGIN");
    in_transaction_begun(conn, fn);
}

}  // namespace civic::store
