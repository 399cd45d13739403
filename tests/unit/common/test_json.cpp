#include "common/json.hpp"

#include <gtest/gtest.h>

#include <string>

using civic::jsonutil::dump;
using civic::jsonutil::kMaxDepth;
using civic::jsonutil::parse;

namespace {
std::string nested_arrays(int depth) { return std::string(depth, '[') + std::string(depth, ']'); }
std::string nested_objects(int depth) {
    std::string s;
    for (int i = 0; i < depth; ++i) s += "{\"a\":";
    s += "1";
    s += std::string(depth, '}');
    return s;
}
}  // namespace

TEST(Json, ParsesValidDocuments) {
    auto j = parse(R"({"title":"路灯坏了","lat":23.37,"tags":["light",1,null,true],"n":{}})");
    ASSERT_TRUE(j);
    EXPECT_EQ((*j)["title"], "路灯坏了");
    EXPECT_DOUBLE_EQ((*j)["lat"].get<double>(), 23.37);
    EXPECT_EQ((*j)["tags"].size(), 4u);
    EXPECT_TRUE(parse("  42 \n"));
    EXPECT_TRUE(parse("\"s\""));
    EXPECT_TRUE(parse("null"));
    EXPECT_TRUE(parse("[]"));
    EXPECT_EQ(*parse(R"("\u8def\ud83d\udea7")"), "路\xF0\x9F\x9A\xA7");
}

TEST(Json, RejectsMalformed) {
    const char* bad[] = {"",      " ",   "{",    "}",   "[1,]",           "{\"a\":}",   "{a:1}",     "'x'",
                         "[1 2]", "nul", "01",   "1.",  "\"unterminated", "{\"a\":1,}", "/* c */ 1", "[1]]",
                         "{}{}",  "1 2", "{} x", "NaN", "\"\t\""};
    for (const char* s : bad) EXPECT_FALSE(parse(s)) << s;
}

TEST(Json, DepthLimit) {
    EXPECT_TRUE(parse(nested_arrays(kMaxDepth)));
    EXPECT_FALSE(parse(nested_arrays(kMaxDepth + 1)));
    EXPECT_TRUE(parse(nested_objects(kMaxDepth)));
    EXPECT_FALSE(parse(nested_objects(kMaxDepth + 1)));
    EXPECT_TRUE(parse(nested_arrays(3), 3));
    EXPECT_FALSE(parse(nested_arrays(4), 3));
    EXPECT_TRUE(parse("1", 0));
    EXPECT_FALSE(parse("[]", 0));
    // Brackets inside strings, including escaped quotes, do not count.
    std::string s = "[\"" + std::string(100, '[') + "\\\"" + std::string(100, '{') + "\"]";
    EXPECT_TRUE(parse(s));
    // Siblings do not add up: depth is nesting, not bracket count.
    std::string wide = "[";
    for (int i = 0; i < 1000; ++i) {
        if (i) wide += ',';
        wide += nested_arrays(kMaxDepth - 1);
    }
    wide += "]";
    EXPECT_TRUE(parse(wide));
}

TEST(Json, VeryDeepInputRejectedWithoutCrash) {
    EXPECT_FALSE(parse(nested_arrays(1'000'000)));
    EXPECT_FALSE(parse(std::string(1'000'000, '[')));
    EXPECT_FALSE(parse(std::string(1'000'000, '{')));
}

TEST(Json, RejectsInvalidUtf8) {
    EXPECT_FALSE(parse("\"\xC0\xAF\""));      // overlong
    EXPECT_FALSE(parse("\"\xED\xA0\x80\""));  // surrogate bytes
    EXPECT_FALSE(parse("\"abc\xE8\""));       // truncated
    EXPECT_FALSE(parse("{\"k\xFF\":1}"));     // in a key
    EXPECT_FALSE(parse(R"("\ud800")"));       // unpaired surrogate escape
    EXPECT_FALSE(parse(R"("\udc00\ud800")"));
    EXPECT_TRUE(parse("\"\xE8\xB7\xAF\""));  // 路
}

TEST(Json, DumpIsCompactAndNeverThrows) {
    nlohmann::json j = {{"a", 1}, {"b", {1, 2}}};
    EXPECT_EQ(dump(j), R"({"a":1,"b":[1,2]})");
    nlohmann::json bad = std::string("x\xFFy");
    std::string out;
    EXPECT_NO_THROW(out = dump(bad));
    EXPECT_EQ(out, "\"x\xEF\xBF\xBDy\"");  // U+FFFD
    EXPECT_NO_THROW(dump(nlohmann::json{{"k\xC0", "\xED\xA0\x80"}}));
    EXPECT_EQ(dump(nlohmann::json("路")), "\"路\"");
}

// Regression for tests/fuzz/corpus/fuzz_json_body/crash-nul-trailing: nlohmann's lexer stops at
// a NUL byte as if the input ended there, so the bytes after it were silently ignored.
TEST(Json, RejectsRawNulBytes) {
    using namespace std::string_literals;
    EXPECT_EQ(parse("1\0\0`ids0\0\0\xd7@\x93\"\""s), std::nullopt);  // the input the fuzzer found
    EXPECT_EQ(parse("{\"a\":1}\0{\"b\":2}"s), std::nullopt);
    EXPECT_EQ(parse("\"a\0b\""s), std::nullopt);
    EXPECT_EQ(parse("\0"s), std::nullopt);
    const auto escaped = parse("\"a\\u0000b\"");  // the escaped form stays valid
    ASSERT_TRUE(escaped.has_value());
    EXPECT_EQ(escaped->get<std::string>(), "a\0b"s);
}
