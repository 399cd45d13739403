#include "server/domain/kiosk_auth.hpp"

#include "common/crypto.hpp"
#include "common/errors.hpp"
#include "common/seal.hpp"
#include "server/store/kiosk_repo.hpp"

#include <charconv>
#include <stdexcept>

namespace civic::domain {

namespace {
constexpr std::size_t kSignatureBytes = 32;
}  // namespace

std::string kiosk_string_to_sign(std::string_view method, std::string_view target, std::string_view timestamp,
                                 std::string_view body) {
    std::string s;
    s.append(method).append("\n").append(target).append("\n").append(timestamp).append("\n");
    s.append(crypto::sha256_hex(body));
    return s;
}

std::string kiosk_signature(std::string_view secret, std::string_view method, std::string_view target,
                            std::string_view timestamp, std::string_view body) {
    return crypto::hex_encode(crypto::hmac_sha256(secret, kiosk_string_to_sign(method, target, timestamp, body)));
}

namespace {
ApiError refuse() {
    // One message for every failure: a caller learns nothing about which check failed.
    return ApiError::unauthorized("bad kiosk signature");
}
}  // namespace

SignatureClaim parse_signature(const SignedRequest& req, std::int64_t now) {
    SignatureClaim claim;
    const auto& t = req.timestamp;
    if (t.empty() || t.size() > kMaxTimestampDigits || t.find_first_not_of("0123456789") != std::string_view::npos)
        throw refuse();
    std::from_chars(t.data(), t.data() + t.size(), claim.timestamp);
    if (claim.timestamp < now - kSignatureWindowSeconds || claim.timestamp > now + kSignatureWindowSeconds)
        throw refuse();
    auto given = crypto::hex_decode(req.signature);
    if (!given || given->size() != kSignatureBytes) throw refuse();
    claim.raw = std::move(*given);
    return claim;
}

std::optional<KioskKey> find_kiosk_key(store::Conn& conn, std::string_view master_key, std::string_view key_id) {
    const auto kiosk = store::find_kiosk_by_key(conn, key_id);
    if (!kiosk) return std::nullopt;
    auto secret = seal::decrypt(master_key, kiosk->secret_enc);
    if (!secret) throw std::runtime_error("kiosk secret does not unseal with this data dir's master key");
    return KioskKey{kiosk->id, std::move(*secret)};
}

void verify_signature(std::string_view secret, const SignedRequest& req, const SignatureClaim& claim) {
    const auto expected =
        crypto::hmac_sha256(secret, kiosk_string_to_sign(req.method, req.target, req.timestamp, req.body));
    if (!crypto::constant_time_equal(expected, claim.raw)) throw refuse();
}

SignatureReplayed::SignatureReplayed() : ApiError(refuse()) {}

void record_signature(store::Conn& conn, std::int64_t kiosk_id, const SignatureClaim& claim) {
    store::remember_signature(conn, kiosk_id, claim.raw, claim.timestamp, [] { throw SignatureReplayed(); });
}

std::int64_t authenticate_kiosk(store::Conn& conn, std::string_view master_key, const SignedRequest& req,
                                std::int64_t now) {
    const auto claim = parse_signature(req, now);
    const auto key = find_kiosk_key(conn, master_key, req.key_id);
    if (!key) throw refuse();
    verify_signature(key->secret, req, claim);
    record_signature(conn, key->kiosk_id, claim);
    return key->kiosk_id;
}

void forget_expired_signatures(store::Conn& conn, std::int64_t now) {
    store::forget_signatures_before(conn, now - kSignatureRetentionSeconds);
}

}  // namespace civic::domain
