#pragma once
// The request and response as handlers see them: plain values, no Beast types, so the api/
// layer compiles fast and can be tested without a socket.
#include "common/percent.hpp"
#include "server/media/multipart.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace civic::http {

struct Request {
    std::string method;                                        // "GET", "POST", …
    std::string target;                                        // as sent: path + "?" + query
    std::string path;                                          // percent-decoded path
    std::vector<std::pair<std::string, std::string>> query;    // decoded, in order
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
    std::vector<std::pair<std::string, std::string>> params;   // path parameters by name
    std::string body;
    // For routes that stream multipart bodies: the parts, parsed (and limited) while the body
    // was read; `body` stays empty then.
    std::optional<std::vector<MultipartPart>> parts;
    std::string remote_address;
    bool secure = false;  // arrived on the TLS listener (for absolute URLs in responses)
    std::string request_id;

    std::optional<std::string_view> header(std::string_view lower_name) const;
    // True when If-None-Match lists `etag` (a quoted strong tag) or is "*": answer 304. W/
    // prefixes compare weakly, as RFC 9110 allows for If-None-Match.
    bool etag_matches(std::string_view etag) const;
    std::optional<std::string_view> query_param(std::string_view name) const;
    // A typed path parameter the router already validated ("{id:int}").
    std::int64_t param_int(std::string_view name) const;
    std::string_view param(std::string_view name) const;
};

struct Response {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;

    Response& header(std::string name, std::string value) {
        headers.emplace_back(std::move(name), std::move(value));
        return *this;
    }
};

// Splits and percent-decodes "a=1&b=x%20y"; nullopt when an escape is malformed.
std::optional<std::vector<std::pair<std::string, std::string>>> parse_query(std::string_view query,
                                                                            bool plus_is_space = true);
using civic::percent_decode;  // common/percent.hpp

}  // namespace civic::http
