#include "common/utf8.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace civic::utf8;

TEST(Utf8, ValidText) {
    EXPECT_TRUE(valid(""));
    EXPECT_TRUE(valid("plain ascii"));
    EXPECT_TRUE(valid("路灯坏了，请尽快维修"));
    EXPECT_TRUE(valid("café ñ"));
    EXPECT_TRUE(valid("\xF0\x9F\x9A\xA7"));      // U+1F6A7 construction sign
    EXPECT_TRUE(valid("\xF4\x8F\xBF\xBF"));      // U+10FFFF, the maximum
    EXPECT_TRUE(valid("\xED\x9F\xBF"));          // U+D7FF, just below surrogates
    EXPECT_TRUE(valid("\xEE\x80\x80"));          // U+E000, just above
    EXPECT_TRUE(valid(std::string("a\0b", 3)));  // NUL is valid UTF-8 (control check is separate)
}

TEST(Utf8, Overlongs) {
    EXPECT_FALSE(valid("\xC0\xAF"));  // '/' in 2 bytes
    EXPECT_FALSE(valid("\xC1\xBF"));
    EXPECT_FALSE(valid("\xE0\x80\xAF"));      // '/' in 3 bytes
    EXPECT_FALSE(valid("\xE0\x9F\xBF"));      // U+07FF in 3 bytes
    EXPECT_FALSE(valid("\xF0\x80\x80\xAF"));  // '/' in 4 bytes
    EXPECT_FALSE(valid("\xF0\x8F\xBF\xBF"));  // U+FFFF in 4 bytes
    EXPECT_TRUE(valid("\xC2\x80"));           // U+0080, shortest form
    EXPECT_TRUE(valid("\xE0\xA0\x80"));       // U+0800
    EXPECT_TRUE(valid("\xF0\x90\x80\x80"));   // U+10000
}

TEST(Utf8, SurrogatesAndRange) {
    EXPECT_FALSE(valid("\xED\xA0\x80"));              // U+D800
    EXPECT_FALSE(valid("\xED\xBF\xBF"));              // U+DFFF
    EXPECT_FALSE(valid("\xED\xA0\xBD\xED\xB2\xA9"));  // CESU-8 style pair
    EXPECT_FALSE(valid("\xF4\x90\x80\x80"));          // U+110000
    for (int b = 0xF5; b <= 0xFF; ++b) {
        std::string s{static_cast<char>(b), '\x80', '\x80', '\x80'};
        EXPECT_FALSE(valid(s)) << b;
    }
}

TEST(Utf8, TruncatedAndStray) {
    EXPECT_FALSE(valid("\xE8\xB7"));  // 路 missing its last byte
    EXPECT_FALSE(valid("ok\xE8"));
    EXPECT_FALSE(valid("\xF0\x9F\x9A"));
    EXPECT_FALSE(valid("\xC3"));
    EXPECT_FALSE(valid("\x80"));  // lone continuation
    EXPECT_FALSE(
        valid("a\xBF"
              "b"));
    EXPECT_FALSE(valid("\xE8\x41\xAF"));  // ASCII where a continuation belongs
    EXPECT_FALSE(valid("\xC3\xC3\xA9"));
    EXPECT_FALSE(valid("\xFE"));
    EXPECT_FALSE(valid("\xFF"));
}

TEST(Utf8, Length) {
    EXPECT_EQ(length(""), 0u);
    EXPECT_EQ(length("abc"), 3u);
    EXPECT_EQ(length("路灯坏了"), 4u);
    EXPECT_EQ(length("a路\xF0\x9F\x9A\xA7"
                     "b"),
              4u);
    EXPECT_EQ(length("café"), 4u);
}

TEST(Utf8, ControlChars) {
    EXPECT_FALSE(has_control_chars("路灯 ok", false));
    EXPECT_TRUE(has_control_chars("a\nb", false));
    EXPECT_FALSE(has_control_chars("a\nb\r\n\tc", true));
    EXPECT_TRUE(has_control_chars(std::string("a\0b", 3), true));
    EXPECT_TRUE(has_control_chars("a\x1b[31m", true));  // ESC
    EXPECT_TRUE(has_control_chars("a\x7f", true));      // DEL
    EXPECT_TRUE(has_control_chars("\x01", true));
    EXPECT_TRUE(has_control_chars("\x1f", true));
    EXPECT_TRUE(has_control_chars("\v", true));
    EXPECT_TRUE(has_control_chars("\f", true));
    EXPECT_FALSE(has_control_chars("", false));
    EXPECT_FALSE(has_control_chars("~ \x20", false));
}
