#pragma once
// Idempotency-Key (API.md §0). The claim of the key, the operation and the stored response happen
// in one write job, so two attempts with the same key can never both run: on SQLite the writer is
// the only thread that writes; on PostgreSQL the claim (store::claim_idempotent, or on a job's
// first run store::claim_idempotent_answered) makes a second attempt wait for the first one's
// commit and then find its answer (at once, or in the job's next run).
#include "common/errors.hpp"
#include "server/api/context.hpp"
#include "server/http/message.hpp"
#include "server/http/response.hpp"
#include "server/store/conn.hpp"
#include "server/store/idempotency_repo.hpp"

#include <optional>
#include <string>
#include <utility>

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
// its own, stores the response under the key (so a retry gets the same answer), then runs
// `last(conn)` — the steps that lock the rows other calls wait for, held so to the fewest round
// trips before COMMIT. An ApiError from op or last rolls back both and the stored answer, and
// becomes the answer stored instead. Other exceptions propagate (nothing stored: the job's
// rollback takes the claim back too). A key already answered is replayed (or 409 for a different
// request) and neither runs — except on PostgreSQL's first run of the job, which claims the key
// with op's answer, before last: if the key holds an answer after all, the claim fails, nothing
// of the run is kept, and the job's next run replays it.
template <class Op, class Last>
http::Response run_idempotent(store::Conn& conn, const Idempotency& id, std::int64_t now, Op&& op, Last&& last) {
    if (id.key.empty()) {
        // Nothing to store, but op and last stay all or nothing even for a caller that turns an
        // ApiError into its answer inside the job (as the kiosk API does).
        store::Savepoint savepoint(conn, store::Savepoint::Expect::kept);
        auto response = op(conn);
        last(conn);
        savepoint.keep();
        return response;
    }
    const auto not_before = now - kIdempotencyWindowSeconds;
    // Claimed with the answer (PostgreSQL's first run, see store::claims_with_answer), or first.
    const bool claim_with_answer = store::claims_with_answer(conn);
    if (!claim_with_answer && !store::claim_idempotent(conn, id.caller, id.key, id.fingerprint, now, not_before)) {
        if (auto stored = replay(conn, id, now)) return *stored;
        // Claimed by another attempt, yet not found: deleted in between. Nothing done; run again.
        throw store::DbError(store::DbError::Kind::retry, "40001", "Idempotency-Key row vanished after its claim");
    }
    const auto save = [&](const http::Response& r) {
        const store::StoredResponse stored{id.fingerprint, r.status, r.content_type, r.body};
        if (claim_with_answer) {
            store::claim_idempotent_answered(conn, id.caller, id.key, stored, now, not_before);
        } else {
            store::save_idempotent(conn, id.caller, id.key, stored, now);
        }
    };
    store::Savepoint savepoint(conn, store::Savepoint::Expect::kept);  // a client's error undoes it
    try {
        auto response = op(conn);
        save(response);
        last(conn);
        savepoint.keep();  // released by COMMIT: no round trip while last's rows are held
        return response;
    } catch (const ApiError& e) {
        savepoint.rollback();  // op, its stored answer and last: all or nothing
        if (e.status() >= 500) throw;
        const auto response = http::error_response(e);
        save(response);
        return response;
    }
}

template <class Op>
http::Response run_idempotent(store::Conn& conn, const Idempotency& id, std::int64_t now, Op&& op) {
    if (id.key.empty()) return op(conn);  // its ApiError rolls back with the caller's job
    return run_idempotent(conn, id, now, std::forward<Op>(op), [](store::Conn&) {});
}

}  // namespace civic::api
