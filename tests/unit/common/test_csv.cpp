// RFC 4180 output: plain fields as they are; commas, quotes, CR and LF force quoting.
#include "common/csv.hpp"

#include <gtest/gtest.h>

using civic::csv::field;
using civic::csv::record;

TEST(Csv, PlainFieldsAreNotQuoted) {
    EXPECT_EQ(field("abc"), "abc");
    EXPECT_EQ(field(""), "");
    EXPECT_EQ(field("0.5000"), "0.5000");
    EXPECT_EQ(field("南区 新城"), "南区 新城");  // UTF-8 passes through untouched
    EXPECT_EQ(field(" leading space"), " leading space");
}

TEST(Csv, SpecialCharactersAreQuotedAndQuotesDoubled) {
    EXPECT_EQ(field("a,b"), "\"a,b\"");
    EXPECT_EQ(field("say \"hi\""), "\"say \"\"hi\"\"\"");
    EXPECT_EQ(field("\""), "\"\"\"\"");
    EXPECT_EQ(field("line\nbreak"), "\"line\nbreak\"");
    EXPECT_EQ(field("cr\rhere"), "\"cr\rhere\"");
    EXPECT_EQ(field("南区, \"新城\""), "\"南区, \"\"新城\"\"\"");
}

TEST(Csv, RecordsEndWithCrlf) {
    EXPECT_EQ(record({"a", "b,c", ""}), "a,\"b,c\",\r\n");
    EXPECT_EQ(record({}), "\r\n");
    EXPECT_EQ(record({""}), "\r\n");
}
