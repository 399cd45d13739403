#include "common/percent.hpp"

#include <gtest/gtest.h>

using civic::percent_decode;

TEST(Percent, DecodesEscapesOfEitherCase) {
    EXPECT_EQ(percent_decode("a%20b%2Cc%2cd", false), "a b,c,d");
    EXPECT_EQ(percent_decode("%E7%BD%91", false), "\xE7\xBD\x91");
    EXPECT_EQ(percent_decode("", false), "");
}

TEST(Percent, PlusIsASpaceOnlyInForms) {
    EXPECT_EQ(percent_decode("a+b", true), "a b");
    EXPECT_EQ(percent_decode("a+b", false), "a+b");
}

TEST(Percent, RefusesMalformedEscapes) {
    for (const char* bad : {"%", "%2", "a%zz", "%g0", "x%2"})
        EXPECT_EQ(percent_decode(bad, false), std::nullopt) << bad;
}

TEST(Percent, DecodesIntoAStringItRefills) {
    std::string out = "a previous value, longer than the short-string buffer";
    const auto* buffer = out.data();
    EXPECT_TRUE(civic::percent_decode_into("/plain/path", false, out));
    EXPECT_EQ(out, "/plain/path");
    EXPECT_EQ(out.data(), buffer);  // its capacity kept: no allocation
    EXPECT_TRUE(civic::percent_decode_into("a%20b+c%00", true, out));
    EXPECT_EQ(out, std::string("a b c\0", 6));
    EXPECT_TRUE(civic::percent_decode_into("a+b", false, out));
    EXPECT_EQ(out, "a+b");
    EXPECT_TRUE(civic::percent_decode_into("", true, out));
    EXPECT_EQ(out, "");
    for (const char* bad : {"%", "%2", "a%zz", "%g0", "x%2", "ok%2+"}) {
        EXPECT_FALSE(civic::percent_decode_into(bad, true, out)) << bad;
        EXPECT_FALSE(civic::percent_decode_into(bad, false, out)) << bad;
    }
}
