#include "server/http/request_head.hpp"

#include "server/http/limits.hpp"

namespace civic::http {

namespace {

// Target → path and query; the raw path is kept first so that a failure still names its family.
// A path or query without escapes is copied as it is (percent_decode_into).
std::optional<ApiError> parse_target(Request& req) {
    const std::string_view target = req.target;
    const auto qmark = target.find('?');
    const auto raw_path = target.substr(0, qmark);
    req.path.assign(raw_path);
    if (target.size() > limits::kMaxTargetBytes)
        return ApiError(414, "bad_request",
                        "request target longer than " + std::to_string(limits::kMaxTargetBytes) + " bytes");
    if (target.empty() || target.front() != '/') return ApiError::bad_request("malformed request target");
    if (!percent_decode_into(raw_path, false, req.path)) {
        req.path.assign(raw_path);
        return ApiError::bad_request("malformed percent-escape in path");
    }
    if (qmark == std::string_view::npos) {
        req.query.clear();
    } else if (!parse_query_into(target.substr(qmark + 1), true, req.query)) {
        req.query.clear();  // as if none was read
        return ApiError::bad_request("malformed query string");
    }
    return std::nullopt;
}

void route_request(const Router& router, RequestHead& head) {
    std::vector<std::string> allowed;
    switch (router.match_into(head.request.method, head.request.path, head.route, head.request.params, &allowed)) {
        case Router::Outcome::found:
            break;
        case Router::Outcome::not_found:
            head.error = ApiError::not_found("no such path");
            break;
        case Router::Outcome::bad_parameter:
            head.error = ApiError::bad_request("malformed path parameter: ids are positive integers");
            break;
        case Router::Outcome::method_not_allowed:
            for (const auto& m : allowed) head.allow += (head.allow.empty() ? "" : ", ") + m;
            head.error = ApiError::method_not_allowed();
            break;
    }
}

}  // namespace

bool acceptable_request_id(std::string_view id) {
    if (id.empty() || id.size() > 128) return false;
    for (char c : id) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                        c == '_' || c == '.' || c == ':';
        if (!ok) return false;
    }
    return true;
}

void assign_lower(std::string_view name, std::string& out) {
    out.resize(name.size());
    for (std::size_t i = 0; i < name.size(); ++i) out[i] = ascii_lower(name[i]);
}

namespace {
template <class Fields>
void fill_from(const boost::beast::http::header<true, Fields>& header, const Router& router, RequestHead& head) {
    head.route = nullptr;
    head.error.reset();
    head.allow.clear();
    Request& req = head.request;
    req.method.assign(header.method_string());
    req.target.assign(header.target());
    req.body.clear();
    req.parts.reset();
    req.request_id.clear();
    {
        PairWriter headers(req.headers);
        for (const auto& field : header) {
            auto& [name, value] = headers.next();
            assign_lower(field.name_string(), name);
            value.assign(field.value());
        }
    }
    if (auto id = req.header("x-request-id"); id && acceptable_request_id(*id)) req.request_id.assign(*id);
    head.error = parse_target(req);
    if (head.error) {
        req.query.clear();
        req.params.clear();
    } else {
        route_request(router, head);  // refills params (empty unless found)
    }
}

}  // namespace

void reset_request(Request& req) {
    req.method.clear();
    req.target.clear();
    req.path.clear();
    req.query.clear();
    req.headers.clear();
    req.params.clear();
    req.body.clear();
    req.parts.reset();
    req.request_id.clear();
}

void fill_request_head(const boost::beast::http::request_header<>& header, const Router& router, RequestHead& head) {
    fill_from(header, router, head);
}

void fill_request_head(const boost::beast::http::header<true, ArenaFields>& header, const Router& router,
                       RequestHead& head) {
    fill_from(header, router, head);
}

RequestHead request_from_header(const boost::beast::http::request_header<>& header, const Router& router) {
    RequestHead head;
    fill_request_head(header, router, head);
    return head;
}

std::string_view request_line_path(std::string_view buffered) {
    while (buffered.starts_with("\r\n")) buffered.remove_prefix(2);  // RFC 9112 §2.2: ignorable
    buffered = buffered.substr(0, buffered.find_first_of("\r\n"));
    const auto space = buffered.find(' ');
    if (space == std::string_view::npos) return {};
    auto target = buffered.substr(space + 1);
    target = target.substr(0, target.find_first_of(" ?"));
    if (target.empty() || target.front() != '/') return {};
    return target;
}

}  // namespace civic::http
