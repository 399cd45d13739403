#pragma once
// Thin RAII layer over the SQLite C API. Only store/ sees this header's types; the domain talks to
// the repositories (store/*_repo.hpp), so a different backend could replace them.
#include "server/store/conn.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace civic::store {

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
    Query& bind(int index, std::nullptr_t);
    Query& bind_blob(int index, std::string_view bytes);
    template <class T>
    Query& bind(int index, const std::optional<T>& value) {
        return value ? bind(index, *value) : bind(index, nullptr);
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
    // `busy` points at the cache entry's flag; null for a one-off statement (the cached one was
    // in use by an enclosing query), which is finalized on destruction.
    Query(Conn& conn, sqlite3_stmt* stmt, bool* busy);
    Conn* conn_;
    sqlite3_stmt* stmt_;
    bool* busy_;
};

class Conn {
public:
    enum class Mode { read_write, read_only };
    Conn(const std::string& path, Mode mode);
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;
    ~Conn();

    Query query(std::string_view sql);
    void exec(std::string_view sql);  // one or more statements, no parameters
    std::int64_t last_insert_id() const;
    int changes() const;
    sqlite3* raw() { return db_; }
    [[noreturn]] void fail(int rc, std::string_view what) const;

private:
    friend class Query;
    struct CachedStmt {
        sqlite3_stmt* stmt = nullptr;
        bool busy = false;
    };
    sqlite3* db_ = nullptr;
    std::unordered_map<std::string, CachedStmt> cache_;
};

}  // namespace civic::store
