#pragma once
// Kiosk request signatures (API.md §7):
//   X-Kiosk-Signature = hex(HMAC-SHA256(secret, METHOD "\n" PATH_WITH_QUERY "\n" TIMESTAMP "\n"
//                                        hex(SHA256(body))))
// accepted once, within kSignatureWindowSeconds of the server's clock. Runs in a writer job so
// that recording the signature and checking for its replay are one atomic step.
#include "common/errors.hpp"
#include "server/store/conn.hpp"

#include <atomic>
#include <cstdint>
#include <optional>
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
// timestamp, a wrong signature or one already seen. Records the signature. All in the caller's
// write job; the daemon splits it instead (below), so that only the record is in the job.
std::int64_t authenticate_kiosk(store::Conn& conn, std::string_view master_key, const SignedRequest& req,
                                std::int64_t now);

// The pieces of authenticate_kiosk, for a caller that verifies off the write path.
// The checks that need no database: a well-formed timestamp within the window and a 32-byte hex
// signature; 401 otherwise.
struct SignatureClaim {
    std::int64_t timestamp = 0;
    std::string raw;  // the signature's 32 bytes
};
SignatureClaim parse_signature(const SignedRequest& req, std::int64_t now);
// A kiosk's id and its unsealed secret; nullopt for an unknown key id. Kiosks are only ever
// added (no rotation or removal exists), so a caller may keep what this returns.
struct KioskKey {
    std::int64_t kiosk_id = 0;
    std::string secret;
};
std::optional<KioskKey> find_kiosk_key(store::Conn& conn, std::string_view master_key, std::string_view key_id);
// 401 unless the request's HMAC under `secret` is the claimed one (compared in constant time).
void verify_signature(std::string_view secret, const SignedRequest& req, const SignatureClaim& claim);
// Inside a write job: records the signature; SignatureReplayed if it was recorded before. The
// verdict is deferred (store::Query::run_deferred): on PostgreSQL it is thrown by the job's next
// statement, flush or commit.
void record_signature(store::Conn& conn, std::int64_t kiosk_id, const SignatureClaim& claim);
// The refusal of a replay: 401, as every refusal, with a type of its own so that a caller that
// turns client errors into answers inside its job (the redemption) can tell it apart and let it
// roll the job back — deferred, it may surface inside that caller's try block.
struct SignatureReplayed : ApiError {
    SignatureReplayed();
};

// Seen signatures past kSignatureRetentionSeconds only take room (their timestamps fail the window
// check anyway), so they are deleted now and then, not at every kiosk call: at most once per
// kSignaturePurgeIntervalSeconds in a process (each node on its own; the deletes skip rows another
// node is deleting).
inline constexpr std::int64_t kSignaturePurgeIntervalSeconds = 60;
class SignaturePurgeSchedule {
public:
    // True for the first caller at or after each due time (any thread), then not for an interval.
    // A clock set back by more than an interval (the test clock) makes it due at once, rather
    // than never until the clock catches up.
    bool due(std::int64_t now) {
        auto next = next_.load(std::memory_order_relaxed);
        const bool set_back = now < next - kSignaturePurgeIntervalSeconds;
        return (now >= next || set_back) &&
               next_.compare_exchange_strong(next, now + kSignaturePurgeIntervalSeconds, std::memory_order_relaxed);
    }

private:
    std::atomic<std::int64_t> next_{0};
};
void forget_expired_signatures(store::Conn& conn, std::int64_t now);

}  // namespace civic::domain
