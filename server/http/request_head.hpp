#pragma once
// What a request is before a byte of its body is read: the header turned into a Request and
// matched against the route table. Pure (no I/O, no clock, no counters), so the HTTP fuzzer
// (tests/fuzz/fuzz_http_target.cpp) drives exactly what the connection runs.
#include "common/errors.hpp"
#include "server/http/header_arena.hpp"
#include "server/http/message.hpp"
#include "server/http/router.hpp"

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace civic::http {

struct RequestHead {
    // Method, target, lower-cased headers and, once the target parsed, path, query and path
    // parameters. `path` is set before any check that can fail (the raw path until it is
    // decoded) so that an error is rendered in the format of the path's API family.
    // `request_id` is the client's X-Request-Id when acceptable, else empty (the caller makes
    // one up).
    Request request;
    const Route* route = nullptr;   // the route, when nothing failed
    std::optional<ApiError> error;  // why not: 400, 404, 405, 414
    std::string allow;              // for 405: the Allow header's value
};

RequestHead request_from_header(const boost::beast::http::request_header<>& header, const Router& router);

// The same into `head`, whose strings and vectors are reused (the connection keeps one
// RequestHead from request to request, so a warm connection allocates nothing here). Everything
// request_from_header sets is set again; the rest of `head.request` (remote_address, secure) is
// left alone, and body, parts and request_id are cleared.
void fill_request_head(const boost::beast::http::request_header<>& header, const Router& router, RequestHead& head);
// The same for a header parsed into the connection's HeaderArena (what server.cpp reads).
using ArenaFields = boost::beast::http::basic_fields<ArenaAllocator<char>>;
void fill_request_head(const boost::beast::http::header<true, ArenaFields>& header, const Router& router,
                       RequestHead& head);

// Empties what fill_request_head sets, for a request whose header could not be read (the
// connection's address and `secure` stay).
void reset_request(Request& req);

// ASCII lower case, without libc's locale-aware tolower: header names are ASCII tokens.
constexpr char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
// `out` = `name` in ASCII lower case (its capacity kept).
void assign_lower(std::string_view name, std::string& out);

// True for a client-chosen request id the server may echo: 1–128 of [A-Za-z0-9._:-].
bool acceptable_request_id(std::string_view id);

// The path of the request line at the start of `buffered` (raw, up to '?' or the end of the
// target), or "" when there is none that starts with '/'. For answering requests whose request
// line could not be parsed in their path's error format.
std::string_view request_line_path(std::string_view buffered);

}  // namespace civic::http
