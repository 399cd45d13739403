// Fuzzes the kiosk signature headers (server/domain/kiosk_auth.*): X-Kiosk-Key,
// X-Kiosk-Timestamp and X-Kiosk-Signature together with the method, target and body they sign,
// against a real schema in memory holding one kiosk.
// Input: <flags byte> "key\ntimestamp\nsignature\nmethod\ntarget\n" body.
//   flags bit 0: use the real key id; bit 1: replace the signature by the correct HMAC (bit 2:
//   in upper case); bit 3: replace the timestamp by now + (signed next byte) × 3 s — so the
//   fuzzer reaches the accepting paths as well as the refusing ones.
//
// Properties beyond "no crash, no UB":
//  - accepted exactly when an independent oracle says so: the key is known, the timestamp is
//    1..12 decimal digits within ±300 s of now, and the signature is hex (either case) of
//    HMAC-SHA256(secret, METHOD\nTARGET\nTIMESTAMP\nhex(sha256(body))) (API.md §7);
//  - accepted → the kiosk's id, and the very same request a second time is refused (replay);
//  - every refusal is 401 unauthorized, and nothing else is ever thrown.
#include "common/crypto.hpp"
#include "common/errors.hpp"
#include "fuzz_db.hpp"
#include "fuzz_support.hpp"
#include "server/domain/kiosk_auth.hpp"
#include "server/domain/kiosks.hpp"

#include <algorithm>
#include <cctype>
#include <string>

using namespace civic;

namespace {

constexpr std::int64_t kNow = 1'800'000'000;
const std::string kMasterKey(32, 'k');

struct World {
    std::unique_ptr<store::Conn> conn = fuzz::open_schema_db();
    domain::NewKiosk kiosk = domain::create_kiosk(*conn, kMasterKey, "Fuzz kiosk", "Fuzz store", kNow);
};
World& world() {
    static World w;
    return w;
}

bool oracle_accepts(std::string_view key, std::string_view ts, std::string_view sig, std::string_view method,
                    std::string_view target, std::string_view body) {
    const auto& w = world();
    if (key != w.kiosk.key_id) return false;
    if (ts.empty() || ts.size() > 12) return false;
    std::int64_t t = 0;
    for (char c : ts) {
        if (c < '0' || c > '9') return false;
        t = t * 10 + (c - '0');
    }
    if (t < kNow - 300 || t > kNow + 300) return false;
    std::string to_sign;
    to_sign.append(method).append("\n").append(target).append("\n").append(ts).append("\n");
    to_sign.append(crypto::sha256_hex(body));
    const auto expected = crypto::hex_encode(crypto::hmac_sha256(w.kiosk.secret, to_sign));
    std::string lower(sig);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    return lower == expected;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto& w = world();
    fuzz::Cursor in(data, size);
    const auto flags = in.byte();
    std::string key(in.until('\n'));
    std::string ts(in.until('\n'));
    std::string sig(in.until('\n'));
    const std::string method(in.until('\n'));
    const std::string target(in.until('\n'));
    const std::string body(in.rest());
    if (flags & 1) key = w.kiosk.key_id;
    if (flags & 8) ts = std::to_string(kNow + static_cast<std::int8_t>(in.byte()) * 3);
    if (flags & 2) {
        sig = domain::kiosk_signature(w.kiosk.secret, method, target, ts, body);
        if (flags & 4)
            std::transform(sig.begin(), sig.end(), sig.begin(), [](unsigned char c) { return std::toupper(c); });
    }

    const bool expected = oracle_accepts(key, ts, sig, method, target, body);
    const domain::SignedRequest req{key, ts, sig, method, target, body};
    fuzz::rolled_back(*w.conn, [&] {
        for (int attempt = 0; attempt < 2; ++attempt) {
            try {
                const auto id = domain::authenticate_kiosk(*w.conn, kMasterKey, req, kNow);
                FUZZ_CHECK(expected && attempt == 0);  // a second acceptance would be a replay
                FUZZ_CHECK(id == w.kiosk.id);
            } catch (const ApiError& e) {
                FUZZ_CHECK(e.status() == 401 && e.code() == "unauthorized");
                FUZZ_CHECK(!expected || attempt == 1);
            }
        }
    });
    return 0;
}
