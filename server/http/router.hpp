#pragma once
// Method + path routing with typed path parameters: "/api/v1/reports/{id:int}". A parameter may
// be followed by a literal suffix in its segment ("/requests/{id:str}.json"): the suffix must end
// the segment and is not part of the value. An unknown path is 404, a known path with another
// method 405. Each route also carries what the connection
// needs to know before reading the body: its body limit and its metrics label.
#include "common/errors.hpp"
#include "server/http/message.hpp"

#include <boost/asio/awaitable.hpp>

#include <array>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace civic::http {

using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;
// Turns a failure into the response body of an API family that has its own error format
// (Open311's `[{"code","description"}]`); the default is API.md §0's.
using ErrorRenderer = std::function<Response(const ApiError&, const Request&)>;
// Turns an exception a handler let escape into the answer it stands for (the api layer maps
// storage failures to 503 or 500); nullopt for those it does not know (then 500). It does not
// log: Router::translate writes the one log line for every exception, known or not.
using ErrorTranslator = std::function<std::optional<ApiError>(const std::exception&, const std::string& route)>;

class PushChannel;
// A WebSocket route's subscription: authorises the request (an ApiError refuses the upgrade with
// that answer) and registers the channel; the returned handle unregisters it when released.
using Subscribe = std::function<boost::asio::awaitable<std::shared_ptr<void>>(Request&, std::shared_ptr<PushChannel>)>;

struct Route {
    std::string method;
    std::string pattern;     // also the route's label in logs and metrics
    std::size_t body_limit;  // bytes; a larger Content-Length is refused with 413 before reading
    Handler handler;
    std::string summary;  // one line for the OpenAPI document
    // Set: a multipart/form-data body is parsed while it is read, within these limits (one of
    // the named sets of server/media/multipart.hpp, which live as long as the program).
    const MultipartLimits* multipart = nullptr;
    Subscribe subscribe{};  // set for WebSocket routes: an upgrade request subscribes instead
    std::size_t index = 0;  // position in the table (metrics arrays are indexed by it)
};

class Router {
public:
    struct Found {
        const Route* route;
        std::vector<std::pair<std::string, std::string>> params;
    };
    struct NotFound {};
    struct BadParameter {};  // the path has a route's shape but a malformed typed parameter
    struct MethodNotAllowed {
        std::vector<std::string> allowed;
    };
    using Result = std::variant<Found, NotFound, MethodNotAllowed, BadParameter>;

    // A route's pattern has at most this many segments (add() refuses more), so a path is split
    // into a fixed array and a longer one matches nothing.
    static constexpr std::size_t kMaxSegments = 16;

    // Throws std::invalid_argument for a malformed pattern or a duplicate (method, pattern).
    void add(Route route);
    Result match(std::string_view method, std::string_view path) const;

    // The same decision without building a Result: a Found's parameters are written into
    // `params` (reusing its strings, PairWriter), a MethodNotAllowed's methods into `allowed`
    // when given. The connection's per-request path: it allocates nothing once warm.
    enum class Outcome { found, not_found, method_not_allowed, bad_parameter };
    Outcome match_into(std::string_view method, std::string_view path, const Route*& route, StringPairs& params,
                       std::vector<std::string>* allowed) const;
    const std::vector<Route>& routes() const { return routes_; }
    // Errors on paths under `prefix` (routed or not) are rendered by `renderer`.
    void set_error_renderer(std::string prefix, ErrorRenderer renderer);
    Response render_error(const ApiError& error, const Request& req) const;
    void set_error_translator(ErrorTranslator translator) { translator_ = std::move(translator); }
    // The answer for an exception other than ApiError that escaped a handler of `route`; logs
    // the exception's text (which the answer never carries) once, to stderr.
    ApiError translate(const std::exception& e, const std::string& route) const;

private:
    struct Segment {
        enum class Kind { literal, int_param, string_param } kind;
        std::string text;    // literal text or parameter name
        std::string suffix;  // parameters only: literal text after the value ("{id}.json")
    };
    struct Compiled {
        std::vector<Segment> segments;
    };
    enum class SegmentMatch { no, yes, bad_param };
    struct Parts {
        std::array<std::string_view, kMaxSegments> at;
        std::size_t size = 0;
    };
    static SegmentMatch match_segments(const Compiled& c, const Parts& parts, PairWriter* params);
    std::vector<Route> routes_;
    std::vector<Compiled> compiled_;
    std::vector<std::pair<std::string, ErrorRenderer>> error_renderers_;
    ErrorTranslator translator_;
};

}  // namespace civic::http
