#pragma once
// The engine side of store::Conn/Query (sqlite.hpp): what each engine implements, one virtual
// call per bind, step or column read (nanoseconds against a statement's microseconds). Engines:
// sqlite_engine.cpp, pg_engine.cpp. Every method throws DbError, already classified.
#include "server/store/sqlite.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace civic::store::detail {

class Statement {
public:
    virtual ~Statement() = default;
    virtual void bind_int64(int index, std::int64_t value) = 0;
    virtual void bind_double(int index, double value) = 0;
    virtual void bind_text(int index, std::string_view value) = 0;
    virtual void bind_blob(int index, std::string_view bytes) = 0;
    virtual void bind_null(int index, NullType type) = 0;
    virtual bool next() = 0;
    // See Query::run_deferred; an engine without round trips runs it, then the check, at once.
    virtual void run_deferred(std::function<void(int changes)> check) = 0;
    // See Query::send; an engine without round trips runs it to its first row at once.
    virtual void send() = 0;
    virtual bool is_null(int col) const = 0;
    virtual std::int64_t int64(int col) const = 0;
    virtual double real(int col) const = 0;
    virtual std::string text(int col) const = 0;
    virtual std::string blob(int col) const = 0;
    // The Query is done with it: back into the engine's cache, or deleted.
    virtual void release() noexcept = 0;
};

class Backend {
public:
    virtual ~Backend() = default;
    virtual Engine engine() const noexcept = 0;
    virtual Statement* prepare(std::string_view sql) = 0;
    virtual void exec(std::string_view sql) = 0;
    // See Conn::exec_with_next; an engine without round trips runs it at once.
    virtual void exec_with_next(std::string_view sql) { exec(sql); }
    virtual int changes() const = 0;
    virtual void commit() = 0;
    // See Conn::await_verdicts, rollback and rollback_to.
    virtual void await_verdicts() {}
    virtual void rollback() { exec("ROLLBACK"); }
    virtual void rollback_to(std::string_view savepoint) {
        exec("ROLLBACK TO " + std::string(savepoint) + "; RELEASE " + std::string(savepoint));
    }
};

}  // namespace civic::store::detail
