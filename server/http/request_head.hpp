#pragma once
// What a request is before a byte of its body is read: the header turned into a Request and
// matched against the route table. Pure (no I/O, no clock, no counters), so the HTTP fuzzer
// (tests/fuzz/fuzz_http_target.cpp) drives exactly what the connection runs.
#include "common/errors.hpp"
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

// True for a client-chosen request id the server may echo: 1–128 of [A-Za-z0-9._:-].
bool acceptable_request_id(std::string_view id);

// The path of the request line at the start of `buffered` (raw, up to '?' or the end of the
// target), or "" when there is none that starts with '/'. For answering requests whose request
// line could not be parsed in their path's error format.
std::string_view request_line_path(std::string_view buffered);

}  // namespace civic::http
