#pragma once
// The 兑信用 certificate (API.md §6): {"user_id","credit_score","issued_at"} signed with the
// server's Ed25519 key over its canonical JSON (keys sorted, no whitespace, UTF-8), so a partner
// holding the public key can check it offline. See docs/points.md for verifying with openssl.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace civic::domain::credit {

// The signing key (PKCS#8 PEM) is one of the shared keys of common/secrets_dir.hpp.

// Keys sorted (nlohmann's object is an ordered map), no whitespace, strings as UTF-8.
std::string canonical_json(const nlohmann::json& object);

// The certificate with "signature" = lowercase hex of the 64-byte Ed25519 signature.
nlohmann::json issue_certificate(const std::string& private_pem, std::int64_t user_id, std::int64_t credit_score,
                                 std::int64_t now);
// True when `certificate`'s signature matches the other fields (tests, partners' sample code).
bool verify_certificate(const std::string& public_pem, const nlohmann::json& certificate);

}  // namespace civic::domain::credit
