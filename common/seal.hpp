#pragma once
// Authenticated encryption of small secrets at rest (kiosk HMAC secrets), AES-256-GCM under a
// key kept in the data dir with 0600 permissions.
#include <optional>
#include <string>
#include <string_view>

namespace civic::seal {

inline constexpr std::size_t kKeyBytes = 32;

// Reads `path`, or creates it with `bytes` random bytes (mode 0600, fsynced) if missing.
// Throws std::runtime_error if it exists with the wrong size or cannot be written.
std::string load_or_create_key_file(const std::string& path, std::size_t bytes);

// nonce(12) || ciphertext || tag(16)
std::string encrypt(std::string_view key, std::string_view plaintext);
// nullopt when the data was tampered with or the key is wrong.
std::optional<std::string> decrypt(std::string_view key, std::string_view sealed);

}  // namespace civic::seal
