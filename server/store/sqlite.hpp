#pragma once
// The SQL front every repository is written against: one `Conn`/`Query` pair whatever the engine
// behind it (SQLite, the embedded default, or PostgreSQL; docs/postgresql.md). The engine sits
// behind a thin virtual layer (sql_engine.hpp), so a repository body runs on either unchanged;
// only store/ sees this header's types, the domain talks to the repositories (store/*_repo.hpp).
//
// SQL shared by both engines keeps SQLite's `?`/`?NNN` placeholders (translated for PostgreSQL),
// takes new ids from `INSERT … RETURNING id`, and follows the rules in docs/postgresql.md.
// (The file keeps its historical name so that the repositories' includes stay put.)
#include "server/store/conn.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

struct sqlite3;

namespace civic::store {

// How long an SQLite connection waits for a lock another holds before SQLITE_BUSY.
inline constexpr int kSqliteBusyTimeoutMs = 5000;

namespace detail {
class Statement;
class Backend;
// The type a NULL is bound as: PostgreSQL needs one to resolve `? IS NULL OR x = ?`.
enum class NullType : char { untyped, integer, real, text };
}  // namespace detail

class Conn;

// A prepared statement borrowed from the connection's cache; reset and unbound when it goes out
// of scope so the next user finds it clean.
class Query {
public:
    Query(Query&&) noexcept;
    Query(const Query&) = delete;
    Query& operator=(const Query&) = delete;
    Query& operator=(Query&&) = delete;
    ~Query();

    Query& bind(int index, std::int64_t value);
    Query& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
    Query& bind(int index, bool value) { return bind(index, static_cast<std::int64_t>(value ? 1 : 0)); }
    Query& bind(int index, double value);
    Query& bind(int index, std::string_view value);
    Query& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
    Query& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
    Query& bind(int index, std::nullptr_t) { return bind_null(index, detail::NullType::untyped); }
    Query& bind_blob(int index, std::string_view bytes);
    template <class T>
    Query& bind(int index, const std::optional<T>& value) {
        return value ? bind(index, *value) : bind_null(index, null_type_of<T>());
    }
    // Binds every argument in order, starting at parameter 1.
    template <class... Args>
    Query& args(const Args&... values) {
        int i = 0;
        (bind(++i, values), ...);
        return *this;
    }

    // Advances to the next row; false when done. Throws DbError on failure.
    bool next();
    // Runs a statement that returns no rows.
    void run();
    // Runs a statement whose rows are not needed, then `check(rows it changed)`, which throws to
    // refuse the outcome. PostgreSQL sends it with the connection's next statement — one round
    // trip for both — so its error, or the check's exception, is thrown there: by the next
    // query's first step, exec, await_verdicts, Savepoint or commit (COMMIT is sent only after
    // the verdicts, with what has none; a rollback drops the statement unsent). SQLite runs both at once. For
    // statements whose failures nothing until then could catch as its own; the Query is spent afterwards.
    void run_deferred(std::function<void(int changes)> check = {});
    // Starts the statement now; next() reads its rows as usual. PostgreSQL sends it with the
    // connection's next statement — a few queries sent, then one run, cost one round trip — and
    // its error is thrown by whichever call sends it (run_deferred's rules); SQLite runs it to its
    // first row at once (a DML statement's whole work, RETURNING included).
    void send();
    // Runs an `INSERT … RETURNING id` (one row) and returns the id: both engines accept it, where
    // SQLite's last_insert_rowid has no PostgreSQL twin.
    std::int64_t run_returning_id();

    bool is_null(int col) const;
    std::int64_t int64(int col) const;
    double real(int col) const;
    std::string text(int col) const;
    std::string blob(int col) const;
    std::optional<std::int64_t> opt_int64(int col) const;
    std::optional<std::string> opt_text(int col) const;
    std::optional<double> opt_real(int col) const;

private:
    friend class Conn;
    template <class T>
    static constexpr detail::NullType null_type_of() {
        if constexpr (std::is_same_v<T, double> || std::is_same_v<T, float>) {
            return detail::NullType::real;
        } else if constexpr (std::is_integral_v<T>) {
            return detail::NullType::integer;
        } else {
            return detail::NullType::text;
        }
    }
    Query& bind_null(int index, detail::NullType type);
    explicit Query(detail::Statement* stmt) : stmt_(stmt) {}
    detail::Statement* stmt_;  // given back to its engine (cache or delete) on destruction
};

class Conn {
public:
    enum class Mode { read_write, read_only };
    // A SQLite database file (or ":memory:").
    Conn(const std::string& path, Mode mode);
    // Any engine; see pg_backend.hpp for PostgreSQL.
    explicit Conn(std::unique_ptr<detail::Backend> backend);
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;
    ~Conn();

    Engine engine() const noexcept { return engine_; }
    Query query(std::string_view sql);
    void exec(std::string_view sql);  // one or more statements, no parameters
    // One statement without parameters or rows whose outcome can wait for the next statement
    // (BEGIN, SAVEPOINT): PostgreSQL sends both in one round trip, and its error is thrown there.
    void exec_with_next(std::string_view sql);
    // Rows inserted, updated or deleted by the last statement.
    int changes() const;
    // COMMIT, throwing if the engine rolled the transaction back instead.
    void commit();
    // Sends the deferred statements waiting (Query::run_deferred) if one of them has a check,
    // and throws their first failure: the verdicts are in when this returns.
    void await_verdicts();
    // ROLLBACK, and ROLLBACK TO + RELEASE of a savepoint: deferred statements they undo are
    // dropped unsent.
    void rollback();
    void rollback_to(std::string_view savepoint);
    // Whether Savepoint::Expect::kept may defer its savepoint: set by the PostgreSQL job runner
    // (run_pg_job) for a job's first run; false everywhere else, where a savepoint is always taken.
    bool may_defer_savepoints() const noexcept { return may_defer_savepoints_; }
    void set_may_defer_savepoints(bool may) noexcept { may_defer_savepoints_ = may; }
    // A deferred savepoint was undone or abandoned: the job's work must not commit (run_pg_job
    // runs it again instead).
    bool must_run_again() const noexcept { return must_run_again_; }
    void set_must_run_again() noexcept { must_run_again_ = true; }
    // A PostgreSQL job's first run (set by run_pg_job): it may stake on the common case and
    // let the database refuse the rare one as a serialization failure, because the job then runs
    // again — with first_run() false, the careful way. False everywhere else.
    bool first_run() const noexcept { return first_run_; }
    void set_first_run(bool first) noexcept { first_run_ = first; }

    // SQLite only (checkpoints, backups, tests): the handle, and its error as a DbError.
    // Throws std::logic_error on another engine.
    sqlite3* raw();
    [[noreturn]] void fail(int rc, std::string_view what);

private:
    std::unique_ptr<detail::Backend> backend_;
    Engine engine_;
    bool may_defer_savepoints_ = false;
    bool must_run_again_ = false;
    bool first_run_ = false;
};

}  // namespace civic::store
