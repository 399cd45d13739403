// Range + If-Range against a body of known size (server/http/byte_range.hpp, RFC 9110 §14).
#include "server/http/byte_range.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace {

using civic::http::decide_range;
using civic::http::RangeDecision;
using Kind = RangeDecision::Kind;

constexpr std::string_view kTag = "\"abc\"";

RangeDecision decide(std::optional<std::string_view> range, std::uint64_t size = 1000,
                     std::optional<std::string_view> if_range = std::nullopt) {
    return decide_range(range, if_range, kTag, size);
}

void expect_span(const RangeDecision& d, std::uint64_t first, std::uint64_t last) {
    ASSERT_EQ(d.kind, Kind::partial);
    EXPECT_EQ(d.span.first, first);
    EXPECT_EQ(d.span.last, last);
    EXPECT_EQ(d.span.size, 1000u);
    EXPECT_EQ(d.span.length(), last - first + 1);
}

TEST(ByteRange, TheThreeFormsOfOneRange) {
    expect_span(decide("bytes=0-9"), 0, 9);
    expect_span(decide("bytes=990-"), 990, 999);
    expect_span(decide("bytes=-10"), 990, 999);
    expect_span(decide("bytes=-5000"), 0, 999);        // a suffix longer than the body: all of it
    expect_span(decide("bytes=500-99999"), 500, 999);  // a last position past the end is clipped
    expect_span(decide("bytes=999-999"), 999, 999);
    expect_span(decide("Bytes=1-2"), 1, 2);  // the unit is case-insensitive
    expect_span(decide(" bytes=3-4 "), 3, 4);
    expect_span(decide("bytes=5-99999999999999999999999"), 5, 999);  // past 2^64: still the end
}

TEST(ByteRange, RangesStartingPastTheEndAreUnsatisfiable) {
    EXPECT_EQ(decide("bytes=1000-").kind, Kind::unsatisfiable);
    EXPECT_EQ(decide("bytes=1000-2000").kind, Kind::unsatisfiable);
    EXPECT_EQ(decide("bytes=99999999999999999999999-").kind, Kind::unsatisfiable);
    EXPECT_EQ(decide("bytes=-0").kind, Kind::unsatisfiable);
    EXPECT_EQ(decide("bytes=-5", 0).kind, Kind::unsatisfiable);
    EXPECT_EQ(civic::http::unsatisfiable_content_range(1000), "bytes */1000");
    EXPECT_EQ(civic::http::content_range({2, 5, 10}), "bytes 2-5/10");
}

TEST(ByteRange, AnythingElseIsAnsweredWhole) {
    for (const char* whole : {"bytes=0-1,5-9", "bytes=9-1", "items=0-9", "bytes=", "bytes=-", "bytes=a-b", "bytes=1",
                              "bytes=+1-2", "bytes=0x1-2", "bytes = 0-9", "", "bytes=--1"})
        EXPECT_EQ(decide(whole).kind, Kind::whole) << whole;
    EXPECT_EQ(decide(std::nullopt).kind, Kind::whole);
}

TEST(ByteRange, IfRangeLetsTheRangeThroughOnlyForOurStrongTag) {
    expect_span(decide("bytes=0-9", 1000, "\"abc\""), 0, 9);
    expect_span(decide("bytes=0-9", 1000, " \"abc\" "), 0, 9);
    EXPECT_EQ(decide("bytes=0-9", 1000, "\"other\"").kind, Kind::whole);
    EXPECT_EQ(decide("bytes=0-9", 1000, "W/\"abc\"").kind, Kind::whole);  // weak tags never match
    EXPECT_EQ(decide("bytes=0-9", 1000, "Fri, 20 Nov 2026 00:00:00 GMT").kind, Kind::whole);
    EXPECT_EQ(decide("bytes=1000-", 1000, "\"other\"").kind, Kind::whole) << "no 416 for a changed body";
}

}  // namespace
