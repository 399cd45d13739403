#pragma once
// Idempotency-Key (API.md §0). The claim of the key, the operation and the stored response happen
// in one write job, so two attempts with the same key can never both run: on SQLite the writer is
// the only thread that writes; on PostgreSQL the claim (store::claim_idempotent) makes a second
// attempt wait for the first one's commit and then find its answer.
#include "common/errors.hpp"
#include "server/api/context.hpp"
#include "server/http/message.hpp"
#include "server/http/response.hpp"
#include "server/store/idempotency_repo.hpp"

#include <optional>
#include <string>

namespace civic::api {

inline constexpr std::int64_t kIdempotencyWindowSeconds = 24 * 3600;
inline constexpr std::size_t kMinIdempotencyKeyChars = 8;
inline constexpr std::size_t kMaxIdempotencyKeyChars = 128;

// The request's Idempotency-Key: nullopt if absent; 400 invalid_field if not 8..128 printable
// ASCII characters; 400 if absent and `required`.
std::optional<std::string> idempotency_key(const http::Request& req, bool required);

struct Idempotency {
    std::string caller;       // "user:<id>" / "kiosk:<id>"
    std::string key;          // empty: no key, just run the operation
    std::string fingerprint;  // what was asked; a different one with the same key is a conflict
};

// Inside a writer job: a stored answer for the key (with Idempotent-Replayed), a 409 conflict
// for a different request under the same key, or nullopt to go ahead.
std::optional<http::Response> replay(store::Conn& conn, const Idempotency& id, std::int64_t now);

// Inside a writer job: claims the key, then runs `op(conn) -> http::Response` in a savepoint of
// its own; an ApiError from it rolls back its effects and becomes the response; either way the
// response is stored under the key (so a retry gets the same answer). Other exceptions propagate
// (nothing stored: the job's rollback takes the claim back too). A key already answered is
// replayed (or 409 for a different request) and `op` does not run.
template <class Op>
http::Response run_idempotent(store::Conn& conn, const Idempotency& id, std::int64_t now, Op&& op) {
    if (id.key.empty()) return op(conn);
    if (!store::claim_idempotent(conn, id.caller, id.key, id.fingerprint, now, now - kIdempotencyWindowSeconds)) {
        if (auto stored = replay(conn, id, now)) return *stored;
        // Claimed by another attempt, yet not found: deleted in between. Nothing done; run again.
        throw store::DbError(store::DbError::Kind::retry, "40001", "Idempotency-Key row vanished after its claim");
    }
    http::Response response;
    store::Savepoint savepoint(conn);
    try {
        response = op(conn);
        savepoint.release();
    } catch (const ApiError& e) {
        savepoint.rollback();
        if (e.status() >= 500) throw;
        response = http::error_response(e);
    }
    store::save_idempotent(conn, id.caller, id.key,
                           {id.fingerprint, response.status, response.content_type, response.body}, now);
    return response;
}

}  // namespace civic::api
