#pragma once
// What code outside store/ may know of a database connection: that it exists (repositories take
// one by reference) and how it fails. The SQL-level API (sqlite.hpp) is store/'s alone.
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

namespace civic::store {

class Conn;
// An owned connection, for code outside store/ that opens one (offline checks, tools).
struct ConnDeleter {
    void operator()(Conn* conn) const noexcept;
};
using ConnPtr = std::unique_ptr<Conn, ConnDeleter>;

// The engine behind a connection: SQLite (the embedded default) or PostgreSQL (docs/postgresql.md).
// Repositories branch on it only for statements the two cannot share.
enum class Engine { sqlite, postgresql };

// A database failure of either engine, classified once where the engine reports it so that
// callers never look at engine codes: `constraint_unique()` lets callers turn a taken unique value
// into 409; `storage_exhausted()` (disk full, I/O error, database unreachable) and `busy()` (a
// lock not granted in time, a transaction to run again) into 503.
class DbError : public std::runtime_error {
public:
    enum class Kind {
        unique,             // a unique or primary key taken
        constraint,         // any other constraint (CHECK, NOT NULL, foreign key, refusing trigger)
        busy,               // a lock not granted within the engine's timeout
        retry,              // serialization failure or deadlock: nothing committed, run it again
        unavailable,        // the database cannot be reached, or ended the session
        storage_exhausted,  // disk full, I/O error, cannot open, read-only
        other,
    };
    // A SQLite failure, classified from its extended result code (0: an error of our own).
    DbError(int sqlite_code, std::string message);
    // A failure already classified; `engine_code` is the engine's own (PostgreSQL's SQLSTATE).
    DbError(Kind kind, std::string engine_code, std::string message)
        : std::runtime_error(std::move(message)), kind_(kind), engine_code_(std::move(engine_code)) {}

    Kind kind() const noexcept { return kind_; }
    // SQLite's extended result code in decimal, or PostgreSQL's SQLSTATE; for logs only.
    const std::string& engine_code() const noexcept { return engine_code_; }
    bool constraint_unique() const noexcept { return kind_ == Kind::unique; }
    bool constraint() const noexcept { return kind_ == Kind::unique || kind_ == Kind::constraint; }
    bool storage_exhausted() const noexcept { return kind_ == Kind::storage_exhausted || kind_ == Kind::unavailable; }
    bool busy() const noexcept { return kind_ == Kind::busy || kind_ == Kind::retry; }
    bool unavailable() const noexcept { return kind_ == Kind::unavailable; }
    bool retryable() const noexcept { return kind_ == Kind::retry; }

private:
    Kind kind_;
    std::string engine_code_;
};

// A savepoint inside the current transaction. `release()` keeps what was done since it was taken;
// `rollback()`, or leaving the scope without either, undoes it. `keep()` keeps it too, without a
// statement: the enclosing COMMIT (or the SQLite writer job's RELEASE) releases it with everything
// around it — on PostgreSQL one round trip fewer while the rows locked inside it are held.
// `release()` and `keep()` first take the verdicts of the deferred statements of its scope
// (Query::run_deferred, Conn::await_verdicts) and throw a refusal, if any, with the savepoint
// still to roll back. (Deferred statements without a check may still wait: their failure is an
// error of the engine, which fails the whole transaction anyway.)
//
// `Expect::kept` is for a savepoint that only a client's error rolls back (an idempotent
// operation's answer). Where the job can undo it by running again (a PostgreSQL job, whose
// transaction is its own: Conn::may_defer_savepoints), none is taken — a subtransaction costs
// PostgreSQL an XID of its own and every waiter on a row it locked a lookup of its parent — and
// undoing it throws RunAgainWithSavepoints instead: the job's transaction rolls back and the job
// runs once more, taking its savepoints for real. Leaving its scope without release or keep
// marks the job to run again the same way, even if the caller then returns normally.
class Savepoint {
public:
    enum class Expect { may_roll_back, kept };
    explicit Savepoint(Conn& conn, Expect expect = Expect::may_roll_back);
    Savepoint(const Savepoint&) = delete;
    Savepoint& operator=(const Savepoint&) = delete;
    ~Savepoint();
    void release();
    void keep();
    void rollback();

private:
    Conn* conn_;  // null once released or rolled back
    bool taken_;  // false: deferred (Expect::kept on a job that can run again)
};

// Thrown to undo a savepoint that was not taken (Savepoint::Expect::kept): the job runner rolls
// the transaction back and runs the job again at once, with real savepoints. Not an error of the
// job's: nothing outside store/ should catch it (a catch-all that does still sees the job run again).
class RunAgainWithSavepoints : public std::exception {
public:
    const char* what() const noexcept override { return "a deferred savepoint rolled back: run the job again"; }
};

// Runs `fn` in one write transaction (BEGIN IMMEDIATE … COMMIT), rolled back if it throws. For
// work outside the writer's batches: start-up, offline tools.
void in_transaction(Conn& conn, const std::function<void()>& fn);
// Runs `fn` in one read transaction, so that every query it makes sees the same snapshot.
void in_snapshot(Conn& conn, const std::function<void()>& fn);

}  // namespace civic::store
