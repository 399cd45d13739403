#pragma once
// An answer's status line and header fields, written as text into a buffer the connection reuses,
// so that header and body go out in one gather write (one writev) and a warm connection allocates
// nothing to frame them. The bytes are those Beast's serializer writes for the same message
// (tests/unit/server/test_response_head.cpp holds them equal), but for the Content-Length: 0 Beast
// put on 204 and 304 answers, which RFC 9110 §8.6 rules out; streamed bodies still go through
// Beast's serializer (server.cpp, StreamingWriter).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace civic::http {

struct ResponseHead {
    int status = 200;
    std::string_view content_type;
    std::string_view request_id;
    const std::vector<std::pair<std::string, std::string>>* headers = nullptr;  // the handler's, in order
    bool keep_alive = true;
    // nullopt: none is written (1xx, 204 and 304 carry neither a body nor a Content-Length).
    std::optional<std::uint64_t> content_length;
};

// Whether a response with this status carries a body and a Content-Length (RFC 9110 §6.4.1,
// §8.6): not 1xx, 204 or 304.
constexpr bool status_has_body(int status) { return status / 100 != 1 && status != 204 && status != 304; }

// Replaces `out` with "HTTP/1.1 <status> <reason>\r\n", Content-Type, X-Request-Id,
// X-Content-Type-Options, the handler's fields, Cache-Control: no-store unless the handler set
// one, Connection: close when not keeping alive, Content-Length, and the blank line.
void write_response_head(std::string& out, const ResponseHead& head);

}  // namespace civic::http
