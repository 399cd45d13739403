// http::write_response_head writes the bytes Beast's serializer wrote for the same answer (the
// server used Beast's until the header became text it writes itself, for one gather write).
#include "server/http/response_head.hpp"

#include <gtest/gtest.h>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>

namespace {

namespace bhttp = boost::beast::http;
using civic::http::ResponseHead;
using Fields = std::vector<std::pair<std::string, std::string>>;

// What the server sent before: Beast's message, filled as server.cpp's fill_header did, then
// prepare_payload (GET) or an explicit Content-Length (HEAD), serialized; the header part.
std::string beast_head(int status, const std::string& type, const std::string& id, const Fields& headers,
                       bool keep_alive, std::optional<std::uint64_t> head_length, const std::string& body) {
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(status), 11};
    res.set(bhttp::field::content_type, type);
    res.set("X-Request-Id", id);
    res.set("X-Content-Type-Options", "nosniff");
    bool has_cache_control = false;
    for (const auto& [name, value] : headers) {
        res.insert(name, value);
        if (boost::beast::iequals(name, "cache-control")) has_cache_control = true;
    }
    if (!has_cache_control) res.set(bhttp::field::cache_control, "no-store");
    res.keep_alive(keep_alive);
    if (head_length) {
        res.content_length(*head_length);
    } else {
        res.body() = body;
        res.prepare_payload();
    }
    bhttp::response_serializer<bhttp::string_body> sr(res);
    sr.split(true);
    std::string out;
    boost::system::error_code ec;
    while (!sr.is_header_done()) {
        sr.next(ec, [&](boost::system::error_code&, const auto& buffers) {
            out += boost::beast::buffers_to_string(buffers);
            sr.consume(boost::asio::buffer_size(buffers));
        });
        EXPECT_FALSE(ec);
    }
    return out;
}

std::string ours(int status, const std::string& type, const std::string& id, const Fields& headers, bool keep_alive,
                 std::optional<std::uint64_t> length) {
    std::string out = "left over from the last answer";
    civic::http::write_response_head(out, ResponseHead{status, type, id, &headers, keep_alive, length});
    return out;
}

TEST(ResponseHead, EqualsBeastsSerializerForEveryKindOfAnswer) {
    const Fields none;
    const Fields web = {{"Cache-Control", "no-cache"}, {"ETag", "\"abc\""}, {"X-Frame-Options", "DENY"}};
    const Fields allow = {{"Allow", "GET, HEAD"}, {"Retry-After", "5"}};
    const Fields lower_cache = {{"cache-control", "public, max-age=31536000, immutable"}};
    const std::string body = R"({"items":[]})";
    for (const int status : {200, 201, 301, 400, 401, 403, 404, 405, 409, 413, 422, 429, 431, 500, 503}) {
        for (const bool keep_alive : {true, false}) {
            for (const Fields* headers : {&none, &web, &allow, &lower_cache}) {
                SCOPED_TRACE(status);
                EXPECT_EQ(ours(status, "application/json", "r-1", *headers, keep_alive, body.size()),
                          beast_head(status, "application/json", "r-1", *headers, keep_alive, std::nullopt, body));
                // HEAD: the length of the body a GET would get, none sent.
                EXPECT_EQ(ours(status, "text/csv", "id", *headers, keep_alive, 12345),
                          beast_head(status, "text/csv", "id", *headers, keep_alive, 12345, ""));
            }
        }
    }
}

// RFC 9110 §8.6: no Content-Length on a 1xx or 204, and on a 304 only the 200's own length.
// Beast 1.81's prepare_payload wrote "Content-Length: 0" on both; that line is the only difference.
TEST(ResponseHead, NoContentLengthWhereNoBodyMayFollow) {
    const Fields none;
    for (const int status : {204, 304}) {
        SCOPED_TRACE(status);
        EXPECT_FALSE(civic::http::status_has_body(status));
        auto beast = beast_head(status, "application/json", "r", none, true, std::nullopt, "");
        const auto line = beast.find("Content-Length: 0\r\n");
        ASSERT_NE(line, std::string::npos) << beast;
        beast.erase(line, std::string("Content-Length: 0\r\n").size());
        EXPECT_EQ(ours(status, "application/json", "r", none, true, std::nullopt), beast);
    }
    EXPECT_TRUE(civic::http::status_has_body(200));
    EXPECT_TRUE(civic::http::status_has_body(404));
    EXPECT_FALSE(civic::http::status_has_body(101));
}

}  // namespace
