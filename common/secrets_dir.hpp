#pragma once
// The keys that must be equal on every node of a deployment (API.md §1.1), kept as files in one
// directory: the key that seals kiosk secrets and the Ed25519 key that signs credit
// certificates. Nothing else is per-node: sessions and tokens are random values stored as hashes.
//
// `civicsnapd init-secrets --secrets-dir DIR` creates the missing keys once (init()); a daemon on
// PostgreSQL only reads them (load()), so that no node ever invents keys of its own. A daemon on
// SQLite without --secrets-dir keeps doing both in <data-dir>/secrets, as before.
#include <stdexcept>
#include <string>
#include <vector>

namespace civic::secrets {

inline constexpr const char* kSealKeyFile = "master.key";            // 32 random bytes (common/seal.hpp)
inline constexpr const char* kCreditKeyFile = "credit_ed25519.pem";  // PKCS#8 PEM private key

// A directory or key that cannot be used; the message is one line naming the file.
struct SecretsError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Keys {
    std::string seal_key;        // seal::kKeyBytes bytes
    std::string credit_key_pem;  // Ed25519 private key
};

struct InitReport {
    std::vector<std::string> created;  // file names made by this call
    std::vector<std::string> kept;     // file names that were there already (left untouched)
};

// Creates `dir` if missing and sets it to 0700, then every missing key (0600, written to a
// temporary file, fsynced, and linked into place: a key that appears meanwhile, from another
// init, is kept rather than replaced). An existing key is checked, never overwritten.
InitReport init(const std::string& dir);

// Reads every key from `dir`; creates nothing. A missing, unreadable or malformed key throws.
Keys load(const std::string& dir);

}  // namespace civic::secrets
