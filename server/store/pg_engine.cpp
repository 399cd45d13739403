#include "server/store/pg/pg_conn.hpp"
#include "server/store/pg_backend.hpp"
#include "server/store/sql_engine.hpp"

#include <optional>
#include <variant>

namespace civic::store {

DbError to_db_error(const pg::PgError& error) {
    using Kind = DbError::Kind;
    Kind kind = Kind::other;
    if (error.unique_violation()) {
        kind = Kind::unique;
    } else if (error.constraint()) {
        kind = Kind::constraint;
    } else if (error.retryable()) {
        kind = Kind::retry;
    } else if (error.lock_timeout()) {
        kind = Kind::busy;
    } else if (error.unavailable()) {
        kind = Kind::unavailable;
    } else if (error.sqlstate() == "53100" || error.sqlstate() == "53200") {  // disk full, out of memory
        kind = Kind::storage_exhausted;
    }
    return DbError(kind, error.sqlstate(), error.what());
}

namespace {

// Runs `fn`, turning PgError into DbError.
template <class F>
auto translated(F&& fn) {
    try {
        return fn();
    } catch (const pg::PgError& e) {
        throw to_db_error(e);
    }
}

// One query; pg::Conn caches the prepared statement itself, so this is only the bindings and
// the fetched result, deleted when the Query is done.
class PgStatement final : public detail::Statement {
public:
    explicit PgStatement(pg::Query query) : q_(std::move(query)) {}

    void bind_int64(int index, std::int64_t value) override {
        translated([&] { q_.bind(index, value); });
    }
    void bind_double(int index, double value) override {
        translated([&] { q_.bind(index, value); });
    }
    void bind_text(int index, std::string_view value) override {
        translated([&] { q_.bind(index, value); });
    }
    void bind_blob(int index, std::string_view bytes) override {
        translated([&] { q_.bind_blob(index, bytes); });
    }
    void bind_null(int index, detail::NullType type) override {
        translated([&] {
            switch (type) {
                case detail::NullType::integer:
                    q_.bind(index, std::optional<std::int64_t>());
                    break;
                case detail::NullType::real:
                    q_.bind(index, std::optional<double>());
                    break;
                case detail::NullType::text:
                    q_.bind(index, std::optional<std::string>());
                    break;
                case detail::NullType::untyped:
                    q_.bind(index, nullptr);
                    break;
            }
        });
    }
    bool next() override {
        return translated([&] { return q_.next(); });
    }
    void send() override {
        translated([&] { q_.send(); });
    }
    void run_deferred(std::function<void(int changes)> check) override {
        translated([&] {
            if (!check) return q_.run_deferred();
            q_.run_deferred([check = std::move(check)](std::int64_t changes) { check(static_cast<int>(changes)); });
        });
    }
    bool is_null(int col) const override {
        return translated([&] { return q_.is_null(col); });
    }
    std::int64_t int64(int col) const override {
        return translated([&] { return q_.int64(col); });
    }
    double real(int col) const override {
        return translated([&] { return q_.real(col); });
    }
    std::string text(int col) const override {
        return translated([&] { return q_.text(col); });
    }
    std::string blob(int col) const override {
        return translated([&] { return q_.blob(col); });
    }
    void release() noexcept override { delete this; }

private:
    pg::Query q_;
};

class PgBackend final : public detail::Backend {
public:
    explicit PgBackend(pg::Conn& conn) : conn_(conn) {}
    explicit PgBackend(std::unique_ptr<pg::Conn> owned) : owned_(std::move(owned)), conn_(*owned_) {}

    Engine engine() const noexcept override { return Engine::postgresql; }
    detail::Statement* prepare(std::string_view sql) override {
        return translated([&] { return new PgStatement(conn_.query(sql)); });
    }
    void exec(std::string_view sql) override {
        translated([&] { conn_.exec(sql); });
    }
    void exec_with_next(std::string_view sql) override { conn_.exec_with_next(sql); }
    int changes() const override { return static_cast<int>(conn_.changes()); }
    void commit() override {
        translated([&] { conn_.commit(); });
    }
    void await_verdicts() override {
        translated([&] { conn_.await_verdicts(); });
    }
    void rollback() override {
        translated([&] { conn_.rollback(); });
    }
    void rollback_to(std::string_view savepoint) override {
        translated([&] { conn_.rollback_to_savepoint(savepoint); });
    }

private:
    std::unique_ptr<pg::Conn> owned_;
    pg::Conn& conn_;
};

}  // namespace

std::unique_ptr<Conn> borrow_postgresql(pg::Conn& conn) {
    return std::make_unique<Conn>(std::make_unique<PgBackend>(conn));
}
std::unique_ptr<Conn> own_postgresql(std::unique_ptr<pg::Conn> conn) {
    return std::make_unique<Conn>(std::make_unique<PgBackend>(std::move(conn)));
}

}  // namespace civic::store
