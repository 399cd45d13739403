#pragma once
// Kiosk request signatures (API.md §7):
//   X-Kiosk-Signature = hex(HMAC-SHA256(secret, METHOD "\n" PATH_WITH_QUERY "\n" TIMESTAMP "\n"
//                                        hex(SHA256(body))))
// accepted once, within kSignatureWindowSeconds of the server's clock. Runs in a writer job so
// that recording the signature and checking for its replay are one atomic step.
#include "server/store/conn.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace civic::domain {

inline constexpr std::int64_t kSignatureWindowSeconds = 300;
// Seen signatures are kept for twice the window: a signature older than the window is refused
// as stale anyway, and the margin covers small clock steps.
inline constexpr std::int64_t kSignatureRetentionSeconds = 2 * kSignatureWindowSeconds;
inline constexpr std::size_t kMaxTimestampDigits = 12;

struct SignedRequest {
    std::string_view key_id;
    std::string_view timestamp;  // decimal unix seconds, exactly as sent
    std::string_view signature;  // hex, either case
    std::string_view method;
    std::string_view target;  // path with query, exactly as sent
    std::string_view body;
};

// The string the kiosk signs.
std::string kiosk_string_to_sign(std::string_view method, std::string_view target, std::string_view timestamp,
                                 std::string_view body);
// Lowercase hex HMAC, as a kiosk computes it (tests, docs).
std::string kiosk_signature(std::string_view secret, std::string_view method, std::string_view target,
                            std::string_view timestamp, std::string_view body);

// The kiosk's id; 401 unauthorized for a missing or malformed header, an unknown key, a stale
// timestamp, a wrong signature or one already seen. Records the signature.
std::int64_t authenticate_kiosk(store::Conn& conn, std::string_view master_key, const SignedRequest& req,
                                std::int64_t now);

}  // namespace civic::domain
