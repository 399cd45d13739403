#include "server/store/sqlite.hpp"

#include "server/store/sql_engine.hpp"

#include <utility>

#include <sqlite3.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace civic::store {

namespace {

DbError::Kind sqlite_kind(int code) {
    if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY) return DbError::Kind::unique;
    switch (code & 0xff) {
        case SQLITE_CONSTRAINT:
            return DbError::Kind::constraint;
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return DbError::Kind::busy;
        case SQLITE_FULL:
        case SQLITE_IOERR:
        case SQLITE_CANTOPEN:
        case SQLITE_READONLY:
            return DbError::Kind::storage_exhausted;
        default:
            return DbError::Kind::other;
    }
}

class SqliteBackend;

// One prepared statement. Cached ones live as long as the connection and are reset when a Query
// gives them back; a one-off (the cached one was in use by an enclosing query) is deleted.
class SqliteStatement final : public detail::Statement {
public:
    SqliteStatement(SqliteBackend& owner, sqlite3_stmt* stmt, bool cached)
        : owner_(owner), stmt_(stmt), cached_(cached) {}
    ~SqliteStatement() override { sqlite3_finalize(stmt_); }
    SqliteStatement(const SqliteStatement&) = delete;
    SqliteStatement& operator=(const SqliteStatement&) = delete;

    void bind_int64(int index, std::int64_t value) override { check_bind(sqlite3_bind_int64(stmt_, index, value)); }
    void bind_double(int index, double value) override { check_bind(sqlite3_bind_double(stmt_, index, value)); }
    void bind_text(int index, std::string_view value) override {
        check_bind(sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
    }
    void bind_blob(int index, std::string_view bytes) override {
        check_bind(sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT));
    }
    void bind_null(int index, detail::NullType) override { check_bind(sqlite3_bind_null(stmt_, index)); }
    bool next() override;
    void run_deferred(std::function<void(int changes)> check) override;
    void send() override { first_step_ = step(); }
    // Steps to the end, for a statement without rows; SQLITE_DONE or the error's code.
    int run_to_end() {
        int rc;
        while ((rc = sqlite3_step(stmt_)) == SQLITE_ROW) {
        }
        return rc;
    }
    bool is_null(int col) const override { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
    std::int64_t int64(int col) const override { return sqlite3_column_int64(stmt_, col); }
    double real(int col) const override { return sqlite3_column_double(stmt_, col); }
    std::string text(int col) const override {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
        return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
    }
    std::string blob(int col) const override {
        const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
        return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
    }
    void release() noexcept override {
        if (!cached_) {
            delete this;
            return;
        }
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
        first_step_.reset();
        busy = false;
    }

    bool busy = true;

private:
    void check_bind(int rc);
    // sqlite3_step: true for a row, false when done; throws on failure.
    bool step();
    SqliteBackend& owner_;
    sqlite3_stmt* stmt_;
    bool cached_;
    std::optional<bool> first_step_;  // send()'s step, for next() to return
};

constexpr int kStatementJournalSpillBytes = 4 << 20;  // 1,024 pages of 4 KiB

// Once per process, before SQLite initialises itself at the first open: no bulk allocation of
// 20 page-cache lines for every new page cache. Each temporary b-tree a statement builds opens a
// page cache of its own; the bulk block (~86 KB, first touch page-faulting, then handed back to
// the allocator) cost more than the one or two pages such a b-tree uses. Pages are then
// allocated as they are needed. And no memory statistics: kept, every allocation of every
// connection takes one process-wide mutex, which the readers and the writer contend for (4.4 % of
// the daemon's samples reading old tickets of a 10 M city, 1.3 % without; docs/performance.md).
// Nothing here reads them (sqlite3_memory_used). And a savepoint's journal (the pages a writer
// job changed, as they were before it: SQLite's sub-journal) kept in memory up to
// kStatementJournalSpillBytes. SQLite's default spills it to a temporary file past 64 KiB (16
// pages), which ordinary jobs pass: under report intake the writer thread created, wrote and
// deleted about a hundred such files a second (docs/performance.md, "The writer's temporary
// files"). The journal is emptied when the job's savepoint is released, so this bounds the
// memory of one job; a larger one (a migration) still spills to a file. If SQLite was
// initialised first the calls are refused, harmlessly: the settings are only optimisations.
void configure_sqlite_library() {
    [[maybe_unused]] static const int rc = sqlite3_config(SQLITE_CONFIG_PAGECACHE, nullptr, 0, 0) |
                                           sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) |
                                           sqlite3_config(SQLITE_CONFIG_STMTJRNL_SPILL, kStatementJournalSpillBytes);
}

// The writer's statements for every job and batch: one statement of transaction control, the
// same few texts over and over (BEGIN IMMEDIATE, SAVEPOINT job, RELEASE nested, COMMIT, ...).
// Only these are kept prepared: other one-off text (PRAGMA user_version = 7, DDL) would grow the
// statement cache for nothing.
bool is_transaction_control(std::string_view sql) {
    if (sql.find(';') != std::string_view::npos) return false;
    for (const std::string_view word : {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"})
        if (sql.substr(0, word.size()) == word && (sql.size() == word.size() || sql[word.size()] == ' ')) return true;
    return false;
}

class SqliteBackend final : public detail::Backend {
public:
    SqliteBackend(const std::string& path, Conn::Mode mode) {
        configure_sqlite_library();
        const int flags =
            (mode == Conn::Mode::read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
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
        sqlite3_busy_timeout(db_, kSqliteBusyTimeoutMs);
        exec("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;");
    }
    ~SqliteBackend() override {
        cache_.clear();  // finalizes every cached statement before the connection closes
        sqlite3_close_v2(db_);
    }

    Engine engine() const noexcept override { return Engine::sqlite; }

    detail::Statement* prepare(std::string_view sql) override {
        auto it = cache_.find(sql);  // no std::string made per query (transparent lookup)
        if (it != cache_.end() && !it->second->busy) {
            it->second->busy = true;
            return it->second.get();
        }
        sqlite3_stmt* stmt = nullptr;
        const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                          &stmt, nullptr);
        if (rc != SQLITE_OK) fail(rc, "prepare");
        if (it != cache_.end()) return new SqliteStatement(*this, stmt, false);
        auto [pos, inserted] = cache_.emplace(std::string(sql), std::make_unique<SqliteStatement>(*this, stmt, true));
        return pos->second.get();
    }

    // Transaction control is prepared once and kept, where sqlite3_exec would parse it again on
    // every call; anything else, or several statements, goes to sqlite3_exec.
    void exec(std::string_view sql) override {
        if (is_transaction_control(sql)) return exec_kept(sql);
        char* err = nullptr;
        const std::string text(sql);
        const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
        if (rc != SQLITE_OK) {
            std::string msg = err ? err : sqlite3_errstr(rc);
            sqlite3_free(err);
            throw DbError(sqlite3_extended_errcode(db_), msg);
        }
    }
    void exec_kept(std::string_view sql) {
        auto* statement = static_cast<SqliteStatement*>(prepare(sql));
        const int rc = statement->run_to_end();
        // The message before the reset, which would replace it; then the statement goes back.
        std::string msg = rc == SQLITE_DONE ? std::string() : sqlite3_errmsg(db_);
        const int code = sqlite3_extended_errcode(db_);
        statement->release();
        if (rc != SQLITE_DONE) throw DbError(code, msg);
    }
    int changes() const override { return sqlite3_changes(db_); }
    void commit() override { exec("COMMIT"); }

    [[noreturn]] void fail(int rc, std::string_view what) const {
        throw DbError(rc, std::string(what) + ": " + sqlite3_errmsg(db_));
    }
    sqlite3* db() { return db_; }

private:
    sqlite3* db_ = nullptr;
    // Keyed by the SQL text; looked up by string_view, so that a cache hit allocates nothing.
    struct TextHash {
        using is_transparent = void;
        std::size_t operator()(std::string_view text) const noexcept { return std::hash<std::string_view>{}(text); }
    };
    std::unordered_map<std::string, std::unique_ptr<SqliteStatement>, TextHash, std::equal_to<>> cache_;
};

void SqliteStatement::check_bind(int rc) {
    if (rc != SQLITE_OK) owner_.fail(rc, "bind");
}

void SqliteStatement::run_deferred(std::function<void(int changes)> check) {
    while (next()) {
    }
    if (check) check(sqlite3_changes(owner_.db()));
}

bool SqliteStatement::next() {
    if (first_step_) return *std::exchange(first_step_, std::nullopt);
    return step();
}

bool SqliteStatement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    owner_.fail(sqlite3_extended_errcode(owner_.db()), "step");
}

}  // namespace

DbError::DbError(int sqlite_code, std::string message)
    : std::runtime_error(std::move(message)),
      kind_(sqlite_kind(sqlite_code)),
      engine_code_(std::to_string(sqlite_code)) {}

// --- Conn --------------------------------------------------------------------------------------

Conn::Conn(const std::string& path, Mode mode) : Conn(std::make_unique<SqliteBackend>(path, mode)) {}
Conn::Conn(std::unique_ptr<detail::Backend> backend) : backend_(std::move(backend)), engine_(backend_->engine()) {}
Conn::~Conn() = default;

Query Conn::query(std::string_view sql) { return Query(backend_->prepare(sql)); }
void Conn::exec(std::string_view sql) { backend_->exec(sql); }
void Conn::exec_with_next(std::string_view sql) { backend_->exec_with_next(sql); }
int Conn::changes() const { return backend_->changes(); }
void Conn::commit() { backend_->commit(); }
void Conn::await_verdicts() { backend_->await_verdicts(); }
void Conn::rollback() { backend_->rollback(); }
void Conn::rollback_to(std::string_view savepoint) { backend_->rollback_to(savepoint); }

sqlite3* Conn::raw() {
    if (engine_ != Engine::sqlite) throw std::logic_error("Conn::raw() on a connection that is not SQLite's");
    return static_cast<SqliteBackend&>(*backend_).db();
}
void Conn::fail(int rc, std::string_view what) {
    if (engine_ != Engine::sqlite) throw std::logic_error("Conn::fail() on a connection that is not SQLite's");
    static_cast<SqliteBackend&>(*backend_).fail(rc, what);
}

// --- Query -------------------------------------------------------------------------------------

Query::Query(Query&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}
Query::~Query() {
    if (stmt_) stmt_->release();
}

Query& Query::bind(int index, std::int64_t value) {
    stmt_->bind_int64(index, value);
    return *this;
}
Query& Query::bind(int index, double value) {
    stmt_->bind_double(index, value);
    return *this;
}
Query& Query::bind(int index, std::string_view value) {
    stmt_->bind_text(index, value);
    return *this;
}
Query& Query::bind_blob(int index, std::string_view bytes) {
    stmt_->bind_blob(index, bytes);
    return *this;
}
Query& Query::bind_null(int index, detail::NullType type) {
    stmt_->bind_null(index, type);
    return *this;
}

bool Query::next() { return stmt_->next(); }
void Query::run() {
    while (next()) {
    }
}
void Query::run_deferred(std::function<void(int changes)> check) { stmt_->run_deferred(std::move(check)); }
void Query::send() { stmt_->send(); }

std::int64_t Query::run_returning_id() {
    if (!next()) throw DbError(0, "INSERT … RETURNING id returned no row");
    const auto id = int64(0);
    run();
    return id;
}

bool Query::is_null(int col) const { return stmt_->is_null(col); }
std::int64_t Query::int64(int col) const { return stmt_->int64(col); }
double Query::real(int col) const { return stmt_->real(col); }
std::string Query::text(int col) const { return stmt_->text(col); }
std::string Query::blob(int col) const { return stmt_->blob(col); }
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

// --- Transactions ------------------------------------------------------------------------------

Savepoint::Savepoint(Conn& conn, Expect expect)
    : conn_(&conn), taken_(expect == Expect::may_roll_back || !conn.may_defer_savepoints()) {
    if (taken_) conn.exec_with_next("SAVEPOINT nested");
}

Savepoint::~Savepoint() {
    if (!conn_) return;
    if (!taken_) {
        conn_->set_must_run_again();  // its work cannot be undone here: the job's cannot commit
        return;
    }
    try {
        rollback();
    } catch (...) {
        // The enclosing transaction fails at its own COMMIT or ROLLBACK; nothing to add here.
    }
}

void Savepoint::release() {
    conn_->await_verdicts();  // a deferred statement's refusal leaves the savepoint to roll back
    auto* conn = std::exchange(conn_, nullptr);
    if (taken_) conn->exec("RELEASE nested");
}

void Savepoint::keep() {
    conn_->await_verdicts();
    conn_ = nullptr;
}

void Savepoint::rollback() {
    auto* conn = std::exchange(conn_, nullptr);
    if (!taken_) {
        conn->set_must_run_again();  // even if a catch-all swallows the throw
        throw RunAgainWithSavepoints();
    }
    conn->rollback_to("nested");
}

void ConnDeleter::operator()(Conn* conn) const noexcept { delete conn; }

namespace {
void in_transaction_begun(Conn& conn, const std::function<void()>& fn) {
    try {
        fn();
        conn.commit();
    } catch (...) {
        try {
            conn.rollback();
        } catch (const DbError&) {
            // A connection lost mid-transaction: the server rolled back already; report the cause.
        }
        throw;
    }
}
}  // namespace

void in_transaction(Conn& conn, const std::function<void()>& fn) {
    // SQLite takes the write lock at BEGIN IMMEDIATE (no upgrade deadlock later); PostgreSQL locks
    // rows as it writes them.
    conn.exec(conn.engine() == Engine::sqlite ? "BEGIN IMMEDIATE" : "BEGIN");
    in_transaction_begun(conn, fn);
}

void in_snapshot(Conn& conn, const std::function<void()>& fn) {
    // PostgreSQL's default READ COMMITTED takes a snapshot per statement; REPEATABLE READ gives
    // the whole call one, as SQLite's read transaction does.
    conn.exec(conn.engine() == Engine::sqlite ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ");
    in_transaction_begun(conn, fn);
}

}  // namespace civic::store
