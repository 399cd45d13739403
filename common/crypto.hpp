#pragma once
// Hashing, encodings, randomness, password hashing and Ed25519 signatures on OpenSSL 3's EVP
// layer. "Raw" strings hold bytes, not text.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace civic::crypto {

std::string sha256(std::string_view data);                             // 32 raw bytes
std::string sha256_hex(std::string_view data);                         // lowercase hex
std::string hmac_sha256(std::string_view key, std::string_view data);  // 32 raw bytes

std::string hex_encode(std::string_view raw);                 // lowercase
std::optional<std::string> hex_decode(std::string_view hex);  // either case; nullopt on odd length/non-hex

// RFC 4648 §5 alphabet without padding. Decoding is strict: '=' and characters outside the
// alphabet are rejected, and so are non-canonical inputs (length % 4 == 1, or unused low bits
// set), so each byte string has exactly one accepted spelling.
std::string base64url_encode(std::string_view raw);
std::optional<std::string> base64url_decode(std::string_view text);

std::string random_bytes(std::size_t n);             // CSPRNG; throws std::runtime_error on failure
std::string random_token(std::size_t n_bytes = 32);  // base64url of random_bytes(n_bytes)

// Constant time in the content for equal lengths; false on length mismatch.
bool constant_time_equal(std::string_view a, std::string_view b);

// PBKDF2-HMAC-SHA256, encoded as "pbkdf2-sha256$<iterations>$<salt b64url>$<hash b64url>".
inline constexpr int kPasswordIterations = 210000;
inline constexpr int kMinPasswordIterations = 1000;
inline constexpr int kMaxPasswordIterations = 10'000'000;
std::string hash_password(std::string_view password);
// Same, with an explicit iteration count (tests, future re-tuning); throws std::invalid_argument
// outside [kMinPasswordIterations, kMaxPasswordIterations].
std::string hash_password(std::string_view password, int iterations);
// Reads the iteration count from `encoded`, so stored hashes survive a change of the default.
// False on malformed input or an iteration count outside the accepted range.
bool verify_password(std::string_view password, std::string_view encoded);

// Ed25519. Keys travel as PEM: PKCS#8 "PRIVATE KEY" and SubjectPublicKeyInfo "PUBLIC KEY".
struct Ed25519KeyPair {
    std::string private_pem;
    std::string public_pem;
};
Ed25519KeyPair ed25519_generate();
// The public key of a private key, so only the private key needs storing; throws like ed25519_sign.
std::string ed25519_public_pem(std::string_view private_pem);
// 64 raw bytes; throws std::runtime_error if the PEM is not an unencrypted Ed25519 private key.
std::string ed25519_sign(std::string_view private_pem, std::string_view message);
// False on a bad key, a bad signature or any other failure; never throws.
bool ed25519_verify(std::string_view public_pem, std::string_view message, std::string_view signature);

}  // namespace civic::crypto
