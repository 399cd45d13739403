// The streaming writer against the reference it stands in for: jsonutil::dump of the same
// document built as an nlohmann tree must give the same bytes.
#include "common/json.hpp"
#include "common/json_writer.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

using civic::jsonutil::dump;
using civic::jsonutil::JsonWriter;

namespace {

std::string written_string(std::string_view text) {
    std::string out;
    JsonWriter(out).string(text);
    return out;
}

std::string written_number(double value) {
    std::string out;
    JsonWriter(out).number(value);
    return out;
}

}  // namespace

TEST(JsonWriter, EscapesLikeDump) {
    const std::vector<std::string> samples = {
        "",
        "plain ascii / with slash",
        "quote \" backslash \\ tab \t newline \n cr \r bs \b ff \f",
        std::string("nul \0 and \x01 \x1f \x7f", sizeof "nul \0 and \x01 \x1f \x7f" - 1),  // the NUL kept
        "路灯坏了 🚧 ünïcödé",
        "\x80",              // stray continuation byte
        "\xC0\xAF",          // overlong
        "\xC2",              // cut off at the end
        "a\xE2\x82",         // cut off at the end after two bytes
        "\xE2\x82\x41z",     // broken by ASCII, which is kept
        "\xE0\x80\x80",      // overlong three-byte form
        "\xED\xA0\x80",      // a surrogate
        "\xF4\x90\x80\x80",  // above U+10FFFF
        "\xF5\x80",          // no such lead byte
        "\xF0\x9F\x9A",      // a four-byte sequence cut short
        "\xF0\x9F\x9A\xA7\xF0\x9F",
        "\xFF\xFE ok \xC3\xA9 \xC3",
    };
    for (const auto& s : samples) EXPECT_EQ(written_string(s), dump(nlohmann::json(s))) << testing::PrintToString(s);
}

TEST(JsonWriter, EscapesRandomBytesLikeDump) {
    std::mt19937_64 rng(18);
    // Bytes weighted toward the interesting ones: controls, quotes, UTF-8 leads and continuations.
    const std::string alphabet =
        "aZ09 \"\\/\x01\x08\x09\x0a\x0c\x0d\x1f\x7f\x80\x8f\x90\x9f\xa0\xbf\xc0\xc1\xc2\xdf\xe0\xe1\xec\xed\xee\xef"
        "\xf0\xf1\xf3\xf4\xf5\xff";
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    std::uniform_int_distribution<int> length(0, 24);
    for (int round = 0; round < 20000; ++round) {
        std::string s;
        for (int n = length(rng); n > 0; --n) s += alphabet[pick(rng)];
        ASSERT_EQ(written_string(s), dump(nlohmann::json(s))) << testing::PrintToString(s);
    }
    // And whole random bytes.
    std::uniform_int_distribution<int> byte(0, 255);
    for (int round = 0; round < 20000; ++round) {
        std::string s;
        for (int n = length(rng); n > 0; --n) s += static_cast<char>(byte(rng));
        ASSERT_EQ(written_string(s), dump(nlohmann::json(s))) << testing::PrintToString(s);
    }
}

TEST(JsonWriter, NumbersLikeDump) {
    const std::vector<double> samples = {0.0,  -0.0,    1.0,           -1.5,      23.3701234,           103.3869, 0.1,
                                         1e-7, 1e21,    1.5e300,       5e-324,    123456789.0,          1e15,     1e16,
                                         0.3,  2.0 / 3, -179.99999999, 89.999999, 1234567890123456789.0};
    for (double d : samples) EXPECT_EQ(written_number(d), dump(nlohmann::json(d))) << d;
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> coordinate(-180, 180);
    for (int i = 0; i < 10000; ++i) {
        const double d = coordinate(rng);
        ASSERT_EQ(written_number(d), dump(nlohmann::json(d))) << d;
    }
    EXPECT_EQ(written_number(std::numeric_limits<double>::quiet_NaN()), "null");
    EXPECT_EQ(written_number(std::numeric_limits<double>::infinity()), "null");

    for (std::int64_t v : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{42},
                           std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()}) {
        std::string out;
        JsonWriter(out).integer(v);
        EXPECT_EQ(out, dump(nlohmann::json(v)));
    }
}

TEST(JsonWriter, NestedDocumentLikeDump) {
    nlohmann::json tree = nlohmann::json::object();
    tree["a"] = nlohmann::json::array();
    tree["b"] = nlohmann::json::object();
    tree["c"] = {1, "two", nullptr, true, false, 2.5};
    tree["d"]["e"] = nlohmann::json::array({nlohmann::json::object(), nlohmann::json::array()});
    tree["d"]["f"] = "x";

    std::string out;
    JsonWriter w(out);
    w.begin_object();
    w.key("a").begin_array().end_array();
    w.key("b").begin_object().end_object();
    w.key("c").begin_array().integer(1).string("two").null().boolean(true).boolean(false).number(2.5).end_array();
    w.key("d").begin_object();
    w.key("e").begin_array().begin_object().end_object().begin_array().end_array().end_array();
    w.key("f").string("x");
    w.end_object();
    w.end_object();
    EXPECT_EQ(w.depth(), 0);
    EXPECT_EQ(out, dump(tree));
    EXPECT_TRUE(civic::jsonutil::parse(out));
}

TEST(JsonWriter, OptionalsBecomeNull) {
    std::string out;
    JsonWriter w(out);
    w.begin_array()
        .string_or_null(std::nullopt)
        .string_or_null(std::string("s"))
        .integer_or_null(std::nullopt)
        .integer_or_null(7)
        .end_array();
    EXPECT_EQ(out, R"([null,"s",null,7])");
}
