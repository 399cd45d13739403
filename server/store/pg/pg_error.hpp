#pragma once
// A PostgreSQL failure, carrying the server's SQLSTATE (or a client-side state for a lost
// connection or an exhausted pool). Its predicates use the names of store::DbError's where they
// mean the same thing (constraint_unique, constraint, storage_exhausted, busy), so that code
// catching either can be written the same way; docs/postgresql.md proposes one engine-neutral
// error for both.
#include <stdexcept>
#include <string>
#include <string_view>

namespace civic::store::pg {

class PgError : public std::runtime_error {
public:
    // `sqlstate`: five characters from the server, "" when the server sent none.
    // `connection_lost`: the connection is no longer usable (PQstatus bad, or the server ended it).
    PgError(std::string sqlstate, std::string message, bool connection_lost = false)
        : std::runtime_error(std::move(message)), sqlstate_(std::move(sqlstate)), connection_lost_(connection_lost) {}

    const std::string& sqlstate() const noexcept { return sqlstate_; }
    bool connection_lost() const noexcept { return connection_lost_; }

    bool unique_violation() const noexcept { return sqlstate_ == "23505"; }
    bool serialization_failure() const noexcept { return sqlstate_ == "40001"; }
    bool deadlock() const noexcept { return sqlstate_ == "40P01"; }
    bool lock_timeout() const noexcept { return sqlstate_ == "55P03"; }
    // Worth running the whole transaction again: nothing of it was committed.
    bool retryable() const noexcept { return serialization_failure() || deadlock(); }
    // The database cannot be reached or ended the session: class 08 (connection exception),
    // 57P01..57P03 (administrator/crash shutdown, cannot connect now), 53300 (too many
    // connections), the pool's own "no connection within the wait" (state "CV000"), or a broken
    // connection without any SQLSTATE. Callers answer 503 with Retry-After.
    bool unavailable() const noexcept {
        return connection_lost_ || ends_session(sqlstate_) || sqlstate_ == "53300" || sqlstate_ == kPoolExhausted;
    }
    // States after which the server has ended (or never began) the session: class 08 and
    // 57P01..57P03. Conn marks such an error connection_lost().
    static bool ends_session(std::string_view state) noexcept {
        return state.starts_with("08") || state == "57P01" || state == "57P02" || state == "57P03";
    }

    // store::DbError's vocabulary.
    bool constraint_unique() const noexcept { return unique_violation(); }
    bool constraint() const noexcept { return sqlstate_.starts_with("23"); }
    bool storage_exhausted() const noexcept { return sqlstate_ == "53100" || sqlstate_ == "53200" || unavailable(); }
    bool busy() const noexcept { return lock_timeout() || retryable(); }

    // Client-side states (class "CV" is not used by PostgreSQL).
    static constexpr std::string_view kPoolExhausted = "CV000";
    static constexpr std::string_view kClient = "CV001";  // misuse of the API (bad index, wrong column)

private:
    std::string sqlstate_;
    bool connection_lost_;
};

}  // namespace civic::store::pg
