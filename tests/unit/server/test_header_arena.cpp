// The connection's HeaderArena (server/http/header_arena.hpp): Beast's parser keeps a header's
// fields in it, a header larger than its block spills to the heap, and reset() takes it all back.
#include "server/http/header_arena.hpp"
#include "server/http/request_head.hpp"

#include <gtest/gtest.h>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include <cstdint>
#include <functional>
#include <string>

namespace {

namespace bhttp = boost::beast::http;
using civic::http::ArenaAllocator;
using civic::http::HeaderArena;
using Parser = bhttp::parser<true, bhttp::empty_body, ArenaAllocator<char>>;

// Parses `text` (a whole header) with a parser whose fields live in `arena`.
void parse_into(HeaderArena& arena, const std::string& text, const std::function<void(const Parser&)>& check) {
    Parser parser(std::piecewise_construct, std::make_tuple(), std::make_tuple(ArenaAllocator<char>(arena)));
    parser.header_limit(64 * 1024);
    boost::system::error_code ec;
    parser.put(boost::asio::buffer(text), ec);
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_TRUE(parser.is_header_done());
    check(parser);
}

TEST(HeaderArena, HandsOutAlignedBytesFromItsBlockThenSpills) {
    HeaderArena arena;
    auto* a = static_cast<char*>(arena.allocate(3, 1));
    auto* b = static_cast<char*>(arena.allocate(8, 8));
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b) % 8, 0u);
    EXPECT_GE(b, a + 3);
    EXPECT_EQ(arena.spilled_chunks(), 0u);
    arena.allocate(HeaderArena::kBlockBytes, 1);  // no longer fits
    arena.allocate(HeaderArena::kBlockBytes * 4, 16);
    EXPECT_EQ(arena.spilled_chunks(), 2u);
    arena.reset();
    EXPECT_EQ(arena.spilled_chunks(), 0u);
    EXPECT_EQ(arena.allocate(3, 1), a);  // the block again, from its start
}

TEST(HeaderArena, BeastsParserKeepsAnOrdinaryHeaderInTheBlock) {
    HeaderArena arena;
    const std::string text =
        "GET /api/v1/reports/42?x=1 HTTP/1.1\r\nHost: example\r\nAuthorization: Bearer abc\r\n"
        "X-Request-Id: id-1\r\nAccept-Encoding: identity\r\n\r\n";
    for (int round = 0; round < 3; ++round) {  // reset between requests, as the connection does
        arena.reset();
        parse_into(arena, text, [&](const Parser& parser) {
            EXPECT_EQ(arena.spilled_chunks(), 0u);
            civic::http::RequestHead head;
            civic::http::Router router;
            civic::http::fill_request_head(parser.get(), router, head);
            EXPECT_EQ(head.request.target, "/api/v1/reports/42?x=1");
            EXPECT_EQ(head.request.header("authorization"), "Bearer abc");
            EXPECT_EQ(head.request.request_id, "id-1");
            EXPECT_EQ(head.request.headers.size(), 4u);
        });
    }
}

TEST(HeaderArena, ALargeHeaderSpillsAndIsReadWhole) {
    HeaderArena arena;
    const std::string cookie(6000, 'c');
    const std::string text = "GET / HTTP/1.1\r\nHost: h\r\nCookie: " + cookie + "\r\nX-After: yes\r\n\r\n";
    parse_into(arena, text, [&](const Parser& parser) {
        EXPECT_GE(arena.spilled_chunks(), 1u);
        EXPECT_EQ(parser.get()[bhttp::field::cookie], cookie);
        EXPECT_EQ(parser.get()["X-After"], "yes");
    });
    arena.reset();
    EXPECT_EQ(arena.spilled_chunks(), 0u);
}

TEST(HeaderArena, WithoutAnArenaTheAllocatorIsNewAndDelete) {
    ArenaAllocator<int> plain;
    int* p = plain.allocate(4);
    p[3] = 7;
    plain.deallocate(p, 4);
    HeaderArena arena;
    EXPECT_FALSE(plain == ArenaAllocator<int>(arena));
    EXPECT_TRUE(ArenaAllocator<char>(arena) == ArenaAllocator<int>(arena));
}

}  // namespace
