// The kiosk signature's pieces the daemon runs off the write path (server/domain/kiosk_auth.*),
// and the schedule of the seen-signature purge. Replays and the database side: the kiosk
// integration tests and PgRaces.
#include "common/crypto.hpp"
#include "common/errors.hpp"
#include "server/domain/kiosk_auth.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>

using namespace civic;

namespace {

constexpr std::int64_t kNow = 1'800'000'000;
const std::string kSecret = "kiosk secret";
const std::string kBody = R"({"token":"t"})";

std::string status_of(const std::function<void()>& fn) {
    try {
        fn();
        return "ok";
    } catch (const ApiError& e) {
        return std::to_string(e.status()) + " " + e.code();
    }
}

TEST(KioskAuth, ASignatureWithinTheWindowVerifies) {
    const auto ts = std::to_string(kNow - 10);
    const auto sig = domain::kiosk_signature(kSecret, "POST", "/api/v1/kiosk/redemptions", ts, kBody);
    const domain::SignedRequest req{"key", ts, sig, "POST", "/api/v1/kiosk/redemptions", kBody};
    const auto claim = domain::parse_signature(req, kNow);
    EXPECT_EQ(claim.timestamp, kNow - 10);
    EXPECT_EQ(crypto::hex_encode(claim.raw), sig);
    EXPECT_EQ(status_of([&] { domain::verify_signature(kSecret, req, claim); }), "ok");
    EXPECT_EQ(status_of([&] { domain::verify_signature("another secret", req, claim); }), "401 unauthorized");
    const domain::SignedRequest altered{"key", ts, sig, "POST", "/api/v1/kiosk/redemptions", R"({"token":"u"})"};
    EXPECT_EQ(status_of([&] { domain::verify_signature(kSecret, altered, claim); }), "401 unauthorized");
}

TEST(KioskAuth, MalformedOrStaleClaimsAreRefusedBeforeAnyLookup) {
    const auto sig = std::string(64, 'a');
    const auto refused = [&](const std::string& ts, const std::string& s) {
        return status_of([&] { domain::parse_signature({"key", ts, s, "POST", "/", ""}, kNow); });
    };
    EXPECT_EQ(refused(std::to_string(kNow), sig), "ok");
    EXPECT_EQ(refused(std::to_string(kNow - domain::kSignatureWindowSeconds - 1), sig), "401 unauthorized");
    EXPECT_EQ(refused(std::to_string(kNow + domain::kSignatureWindowSeconds + 1), sig), "401 unauthorized");
    EXPECT_EQ(refused("", sig), "401 unauthorized");
    EXPECT_EQ(refused("12a", sig), "401 unauthorized");
    EXPECT_EQ(refused(std::to_string(kNow), std::string(62, 'a')), "401 unauthorized");  // 31 bytes
    EXPECT_EQ(refused(std::to_string(kNow), std::string(64, 'g')), "401 unauthorized");  // not hex
}

// The purge of old signatures runs at the first call, then not again for an interval.
TEST(KioskAuth, TheSignaturePurgeIsDueOncePerInterval) {
    domain::SignaturePurgeSchedule schedule;
    EXPECT_TRUE(schedule.due(kNow));
    EXPECT_FALSE(schedule.due(kNow));
    EXPECT_FALSE(schedule.due(kNow + domain::kSignaturePurgeIntervalSeconds - 1));
    EXPECT_TRUE(schedule.due(kNow + domain::kSignaturePurgeIntervalSeconds));
    EXPECT_FALSE(schedule.due(kNow + domain::kSignaturePurgeIntervalSeconds + 1));
    // The clock set back by a day: due at once, then again once per interval from there.
    EXPECT_TRUE(schedule.due(kNow - 86400));
    EXPECT_FALSE(schedule.due(kNow - 86400 + 1));
    EXPECT_TRUE(schedule.due(kNow - 86400 + domain::kSignaturePurgeIntervalSeconds));
}

}  // namespace
