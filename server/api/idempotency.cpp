#include "server/api/idempotency.hpp"

#include "common/crypto.hpp"

namespace civic::api {

std::optional<std::string> idempotency_key(const http::Request& req, bool required) {
    const auto key = req.header("idempotency-key");
    if (!key) {
        if (required) throw ApiError::invalid_field("Idempotency-Key", "the Idempotency-Key header is required");
        return std::nullopt;
    }
    bool printable = true;
    for (char c : *key) printable = printable && c > 0x20 && c < 0x7f;
    if (!printable || key->size() < kMinIdempotencyKeyChars || key->size() > kMaxIdempotencyKeyChars)
        throw ApiError::invalid_field("Idempotency-Key", "Idempotency-Key must be 8 to 128 printable ASCII characters");
    return std::string(*key);
}

std::optional<http::Response> replay(store::Conn& conn, const Idempotency& id, std::int64_t now) {
    auto stored = store::find_idempotent(conn, id.caller, id.key, now - kIdempotencyWindowSeconds);
    if (!stored) return std::nullopt;
    if (!crypto::constant_time_equal(stored->fingerprint, id.fingerprint))
        throw ApiError::conflict("Idempotency-Key was already used for a different request");
    http::Response r;
    r.status = stored->status;
    r.content_type = stored->content_type;
    r.body = std::move(stored->body);
    r.header("Idempotent-Replayed", "true");
    return r;
}

}  // namespace civic::api
