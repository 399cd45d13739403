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

// A database failure. `constraint_unique()` lets callers turn a taken unique value into 409;
// `storage_exhausted()` (disk full, I/O error) into 503.
class DbError : public std::runtime_error {
public:
    DbError(int code, std::string message) : std::runtime_error(std::move(message)), code_(code) {}
    int code() const noexcept { return code_; }
    bool constraint_unique() const noexcept;
    bool constraint() const noexcept;
    bool storage_exhausted() const noexcept;
    bool busy() const noexcept;

private:
    int code_;
};

// A savepoint inside the current transaction. `release()` keeps what was done since it was taken;
// `rollback()`, or leaving the scope without either, undoes it.
class Savepoint {
public:
    explicit Savepoint(Conn& conn);
    Savepoint(const Savepoint&) = delete;
    Savepoint& operator=(const Savepoint&) = delete;
    ~Savepoint();
    void release();
    void rollback();

private:
    Conn* conn_;  // null once released or rolled back
};

// Runs `fn` in one write transaction (BEGIN IMMEDIATE … COMMIT), rolled back if it throws. For
// work outside the writer's batches: start-up, offline tools.
void in_transaction(Conn& conn, const std::function<void()>& fn);
// Runs `fn` in one read transaction, so that every query it makes sees the same snapshot.
void in_snapshot(Conn& conn, const std::function<void()>& fn);

}  // namespace civic::store
