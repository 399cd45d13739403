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
