// The soak's leak rule (bench/load/soak_trend.hpp): a least-squares slope over the second half of
// the samples, judged against a threshold only when there are enough samples.
#include "bench/load/soak_trend.hpp"

#include <gtest/gtest.h>

using namespace civic::load;

namespace {

std::vector<double> every_ten_seconds(std::size_t n) {
    std::vector<double> t;
    for (std::size_t i = 0; i < n; ++i) t.push_back(10.0 * static_cast<double>(i + 1));
    return t;
}

}  // namespace

TEST(SoakTrend, SlopeOfALineIsItsGradient) {
    EXPECT_DOUBLE_EQ(*least_squares_slope({0, 1, 2, 3}, {5, 7, 9, 11}), 2.0);
    EXPECT_DOUBLE_EQ(*least_squares_slope({0, 1, 2, 3}, {4, 4, 4, 4}), 0.0);
    EXPECT_FALSE(least_squares_slope({1}, {1}));        // one point
    EXPECT_FALSE(least_squares_slope({2, 2}, {1, 5}));  // no spread in x
}

// A first half that warms up (caches filling) does not count; a climb in the second half does.
TEST(SoakTrend, OnlyTheSecondHalfIsJudged) {
    const auto t = every_ten_seconds(24);
    std::vector<double> warm_then_flat, steady_climb;
    for (std::size_t i = 0; i < t.size(); ++i) {
        warm_then_flat.push_back(i < 12 ? 30.0 + 2.0 * static_cast<double>(i) : 54.0 + (i % 2 ? 0.3 : -0.3));
        steady_climb.push_back(30.0 + 0.5 * static_cast<double>(i));  // 0.5 MiB / 10 s = 3 MiB / min
    }
    const auto flat = second_half_trend("rss", t, warm_then_flat, kMaxRssSlopeMiBPerMinute);
    ASSERT_TRUE(flat.slope_per_minute);
    EXPECT_FALSE(flat.leaking());
    const auto climb = second_half_trend("rss", t, steady_climb, kMaxRssSlopeMiBPerMinute);
    ASSERT_TRUE(climb.slope_per_minute);
    EXPECT_NEAR(*climb.slope_per_minute, 3.0, 1e-9);
    EXPECT_TRUE(climb.leaking());
}

TEST(SoakTrend, TooFewSamplesAreNotJudged) {
    const auto t = every_ten_seconds(2 * kMinTrendSamples - 2);  // 5 in the second half
    std::vector<double> climb;
    for (std::size_t i = 0; i < t.size(); ++i) climb.push_back(100.0 * static_cast<double>(i));
    const auto trend = second_half_trend("rss", t, climb, kMaxRssSlopeMiBPerMinute);
    EXPECT_FALSE(trend.slope_per_minute);
    EXPECT_FALSE(trend.leaking());
}
