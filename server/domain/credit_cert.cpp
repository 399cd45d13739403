#include "server/domain/credit_cert.hpp"

#include "common/crypto.hpp"
#include "common/time.hpp"

namespace civic::domain::credit {

std::string canonical_json(const nlohmann::json& object) {
    // dump() without indent emits no whitespace; ensure_ascii=false keeps UTF-8 as is; strict
    // error handling refuses invalid UTF-8 rather than signing something else.
    return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
}

nlohmann::json issue_certificate(const std::string& private_pem, std::int64_t user_id, std::int64_t credit_score,
                                 std::int64_t now) {
    nlohmann::json cert = {
        {"user_id", user_id}, {"credit_score", credit_score}, {"issued_at", timefmt::format_rfc3339(now)}};
    cert["signature"] = crypto::hex_encode(crypto::ed25519_sign(private_pem, canonical_json(cert)));
    return cert;
}

bool verify_certificate(const std::string& public_pem, const nlohmann::json& certificate) {
    if (!certificate.is_object() || !certificate.contains("signature") || !certificate["signature"].is_string())
        return false;
    auto fields = certificate;
    const auto signature = crypto::hex_decode(fields["signature"].get<std::string>());
    fields.erase("signature");
    return signature && crypto::ed25519_verify(public_pem, canonical_json(fields), *signature);
}

}  // namespace civic::domain::credit
