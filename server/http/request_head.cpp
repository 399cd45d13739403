#include "server/http/request_head.hpp"

#include "server/http/limits.hpp"

#include <cctype>

namespace civic::http {

namespace {

// Target → path and query; the raw path is kept first so that a failure still names its family.
std::optional<ApiError> parse_target(Request& req) {
    const auto qmark = req.target.find('?');
    req.path = req.target.substr(0, qmark);
    if (req.target.size() > limits::kMaxTargetBytes)
        return ApiError(414, "bad_request",
                        "request target longer than " + std::to_string(limits::kMaxTargetBytes) + " bytes");
    if (req.target.empty() || req.target.front() != '/') return ApiError::bad_request("malformed request target");
    auto path = percent_decode(req.path, false);
    if (!path) return ApiError::bad_request("malformed percent-escape in path");
    req.path = std::move(*path);
    if (qmark != std::string::npos) {
        auto query = parse_query(std::string_view(req.target).substr(qmark + 1));
        if (!query) return ApiError::bad_request("malformed query string");
        req.query = std::move(*query);
    }
    return std::nullopt;
}

void route_request(const Router& router, RequestHead& head) {
    const auto match = router.match(head.request.method, head.request.path);
    if (std::holds_alternative<Router::NotFound>(match)) {
        head.error = ApiError::not_found("no such path");
    } else if (std::holds_alternative<Router::BadParameter>(match)) {
        head.error = ApiError::bad_request("malformed path parameter: ids are positive integers");
    } else if (const auto* other = std::get_if<Router::MethodNotAllowed>(&match)) {
        for (const auto& m : other->allowed) head.allow += (head.allow.empty() ? "" : ", ") + m;
        head.error = ApiError::method_not_allowed();
    } else {
        const auto& found = std::get<Router::Found>(match);
        head.route = found.route;
        head.request.params = found.params;
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

RequestHead request_from_header(const boost::beast::http::request_header<>& header, const Router& router) {
    RequestHead head;
    Request& req = head.request;
    req.method = std::string(header.method_string());
    req.target = std::string(header.target());
    for (const auto& field : header) {
        std::string name(field.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        req.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    if (auto id = req.header("x-request-id"); id && acceptable_request_id(*id)) req.request_id = std::string(*id);
    head.error = parse_target(req);
    if (!head.error) route_request(router, head);
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
