#include "server/store/idempotency_repo.hpp"
#include "server/store/sqlite.hpp"

#include <stdexcept>

namespace civic::store {

std::optional<StoredResponse> find_idempotent(Conn& conn, std::string_view caller, std::string_view key,
                                              std::int64_t not_before) {
    auto q = conn.query(
        "SELECT fingerprint, status, content_type, body FROM idempotency_keys "
        "WHERE caller = ? AND key = ? AND created_at >= ?");
    q.args(caller, key, not_before);
    if (!q.next()) return std::nullopt;
    return StoredResponse{q.blob(0), static_cast<int>(q.int64(1)), q.text(2), q.blob(3)};
}

bool claim_idempotent(Conn& conn, std::string_view caller, std::string_view key, std::string_view fingerprint,
                      std::int64_t now, std::int64_t not_before) {
    auto q = conn.query(
        "INSERT INTO idempotency_keys (caller, key, fingerprint, status, content_type, body, created_at) "
        "VALUES (?1, ?2, ?3, 0, '', '', ?4) ON CONFLICT (caller, key) DO UPDATE SET fingerprint = "
        "excluded.fingerprint, "
        "status = 0, content_type = '', body = excluded.body, created_at = excluded.created_at "
        "WHERE idempotency_keys.created_at < ?5");
    q.bind(1, caller).bind(2, key).bind_blob(3, fingerprint).bind(4, now).bind(5, not_before);
    q.run();
    return conn.changes() == 1;
}

void save_idempotent(Conn& conn, std::string_view caller, std::string_view key, const StoredResponse& r,
                     std::int64_t now) {
    auto q = conn.query(
        "UPDATE idempotency_keys SET fingerprint = ?3, status = ?4, content_type = ?5, body = ?6, created_at = ?7 "
        "WHERE caller = ?1 AND key = ?2");
    q.bind(1, caller).bind(2, key).bind_blob(3, r.fingerprint).bind(4, r.status).bind(5, r.content_type);
    q.bind_blob(6, r.body).bind(7, now);
    q.run_deferred();
}

bool claims_with_answer(Conn& conn) { return conn.engine() == Engine::postgresql && conn.first_run(); }

void claim_idempotent_answered(Conn& conn, std::string_view caller, std::string_view key,
                               const StoredResponse& response, std::int64_t now, std::int64_t not_before) {
    if (conn.engine() != Engine::postgresql) throw std::logic_error("claim_idempotent_answered is PostgreSQL's only");
    // No verdict to wait for before COMMIT: a key found taken is the statement's own error
    // (schema/postgresql/020_claim_with_answer.sql).
    auto q = conn.query(
        "WITH claimed AS ("
        "INSERT INTO idempotency_keys (caller, key, fingerprint, status, content_type, body, created_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (caller, key) DO UPDATE SET "
        "fingerprint = excluded.fingerprint, status = excluded.status, content_type = excluded.content_type, "
        "body = excluded.body, created_at = excluded.created_at WHERE idempotency_keys.created_at < ?8 "
        "RETURNING 1) "
        "SELECT civic_idempotency_key_taken(?1) WHERE NOT EXISTS (SELECT 1 FROM claimed)");
    q.bind(1, caller).bind(2, key).bind_blob(3, response.fingerprint).bind(4, response.status);
    q.bind(5, response.content_type).bind_blob(6, response.body).bind(7, now).bind(8, not_before);
    q.run_deferred();
}

void purge_idempotent_before(Conn& conn, std::int64_t cutoff) {
    conn.query("DELETE FROM idempotency_keys WHERE created_at < ?").args(cutoff).run();
}

}  // namespace civic::store
