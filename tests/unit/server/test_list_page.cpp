// List paging cursors (API.md §0): what encode_cursor issues round-trips through cursor_key, and
// every cursor this server did not issue in that layout is 400 invalid_field "cursor".
#include "common/crypto.hpp"
#include "common/errors.hpp"
#include "server/api/list_page.hpp"

#include <gtest/gtest.h>

namespace {

using civic::ApiError;
using civic::api::cursor_before_id;
using civic::api::cursor_key;
using civic::api::encode_cursor;
using civic::api::kNoCursor;

civic::http::Request with_cursor(std::string cursor) {
    civic::http::Request req;
    req.query.emplace_back("cursor", std::move(cursor));
    return req;
}

std::string raw_cursor(std::string_view raw) { return civic::crypto::base64url_encode(raw); }

// The error a cursor gets, or "" when it is accepted.
std::string refusal(const std::string& cursor, std::size_t arity) {
    try {
        cursor_key(with_cursor(cursor), arity);
        return "";
    } catch (const ApiError& e) {
        return std::to_string(e.status()) + " " + e.code() + " " + e.field();
    }
}

TEST(ListPage, IssuedCursorsRoundTrip) {
    EXPECT_EQ(cursor_key(with_cursor(encode_cursor({42})), 1), (std::vector<std::int64_t>{42}));
    EXPECT_EQ(cursor_key(with_cursor(encode_cursor({7, 0, 1234567890123})), 3),
              (std::vector<std::int64_t>{7, 0, 1234567890123}));
    EXPECT_EQ(cursor_before_id(with_cursor(encode_cursor({9}))), 9);
}

TEST(ListPage, AbsentOrEmptyCursorIsTheFirstPage) {
    EXPECT_FALSE(cursor_key(civic::http::Request{}, 2).has_value());
    EXPECT_FALSE(cursor_key(with_cursor(""), 2).has_value());
    EXPECT_EQ(cursor_before_id(civic::http::Request{}), kNoCursor);
}

TEST(ListPage, EveryMalformedCursorIsInvalidFieldCursor) {
    const std::string refused = "400 invalid_field cursor";
    EXPECT_EQ(refusal("%%%", 1), refused);                   // not base64url
    EXPECT_EQ(refusal(raw_cursor("nope"), 1), refused);      // no version tag
    EXPECT_EQ(refusal(raw_cursor("before:5"), 1), refused);  // the layout before "c:"
    EXPECT_EQ(refusal(raw_cursor("c:"), 1), refused);        // no key
    EXPECT_EQ(refusal(encode_cursor({1, 2}), 1), refused);   // more keys than the list's
    EXPECT_EQ(refusal(encode_cursor({1}), 2), refused);      // fewer
    EXPECT_EQ(refusal(raw_cursor("c:1."), 1), refused);      // an empty last key
    EXPECT_EQ(refusal(raw_cursor("c:1..2"), 2), refused);    // an empty middle key
    EXPECT_EQ(refusal(raw_cursor("c:-1"), 1), refused);      // negative
    EXPECT_EQ(refusal(raw_cursor("c:+1"), 1), refused);
    EXPECT_EQ(refusal(raw_cursor("c:12x"), 1), refused);  // trailing data
    EXPECT_EQ(refusal(raw_cursor("c:1.2x"), 2), refused);
    EXPECT_EQ(refusal(raw_cursor("c: 1"), 1), refused);
    EXPECT_EQ(refusal(raw_cursor("c:99999999999999999999"), 1), refused);  // beyond int64
    EXPECT_EQ(refusal(raw_cursor("c:0"), 1), "");                          // 0 is a key (scores, counts)
}

}  // namespace
