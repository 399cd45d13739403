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
}

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

std::int64_t authenticate_kiosk(store::Conn& conn, std::string_view master_key, const SignedRequest& req,
                                std::int64_t now) {
    // One message for every failure: a caller learns nothing about which check failed.
    const auto refuse = [] { return ApiError::unauthorized("bad kiosk signature"); };
    std::int64_t ts = 0;
    const auto& t = req.timestamp;
    if (t.empty() || t.size() > kMaxTimestampDigits || t.find_first_not_of("0123456789") != std::string_view::npos)
        throw refuse();
    std::from_chars(t.data(), t.data() + t.size(), ts);
    if (ts < now - kSignatureWindowSeconds || ts > now + kSignatureWindowSeconds) throw refuse();
    const auto given = crypto::hex_decode(req.signature);
    if (!given || given->size() != kSignatureBytes) throw refuse();
    const auto kiosk = store::find_kiosk_by_key(conn, req.key_id);
    if (!kiosk) throw refuse();
    const auto secret = seal::decrypt(master_key, kiosk->secret_enc);
    if (!secret) throw std::runtime_error("kiosk secret does not unseal with this data dir's master key");
    const auto expected =
        crypto::hmac_sha256(*secret, kiosk_string_to_sign(req.method, req.target, req.timestamp, req.body));
    if (!crypto::constant_time_equal(expected, *given)) throw refuse();
    store::forget_signatures_before(conn, now - kSignatureRetentionSeconds);
    if (!store::remember_signature(conn, kiosk->id, *given, ts)) throw refuse();
    return kiosk->id;
}

}  // namespace civic::domain
