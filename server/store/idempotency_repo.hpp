#pragma once
#include "server/store/conn.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace civic::store {

struct StoredResponse {
    std::string fingerprint;
    int status = 0;
    std::string content_type;
    std::string body;
};

// The response stored for (caller, key) at or after `not_before`.
std::optional<StoredResponse> find_idempotent(Conn& conn, std::string_view caller, std::string_view key,
                                              std::int64_t not_before);
// Claims (caller, key) for a request about to run: true when this transaction now holds the key
// (no row, or only one older than `not_before`, replaced by a placeholder that save_idempotent
// fills in before commit); false when a live answer is stored. On PostgreSQL a concurrent claim
// of the same key makes this one wait for its commit and then see its answer: of racing attempts
// exactly one runs.
bool claim_idempotent(Conn& conn, std::string_view caller, std::string_view key, std::string_view fingerprint,
                      std::int64_t now, std::int64_t not_before);
// Fills in the answer under a key this transaction claimed (claim_idempotent), whose row is
// therefore there: a plain UPDATE, not an upsert (no conflict probe, no second row lock).
// Deferred (Query::run_deferred): its error, if any, is thrown by the connection's next
// statement or commit.
void save_idempotent(Conn& conn, std::string_view caller, std::string_view key, const StoredResponse& response,
                     std::int64_t now);
// Whether this run of the job claims its key with the answer, after the operation
// (claim_idempotent_answered), instead of first (claim_idempotent … save_idempotent): on
// PostgreSQL, a job's first run (Conn::first_run). One statement and one row version fewer;
// the rare attempt that meets a live answer under its key fails as a serialization failure and
// runs again, claiming first — and so replays that answer.
bool claims_with_answer(Conn& conn);
// PostgreSQL only: claims (caller, key) and stores the answer in one statement, deferred (it
// goes out with the next statement or the COMMIT). No row, or one older than `not_before`: the
// answer is stored. A live answer (or another attempt's claim, committed while this one waited
// for it): the statement fails with SQLSTATE 40001, so the whole job runs again.
void claim_idempotent_answered(Conn& conn, std::string_view caller, std::string_view key,
                               const StoredResponse& response, std::int64_t now, std::int64_t not_before);
void purge_idempotent_before(Conn& conn, std::int64_t cutoff);

}  // namespace civic::store
