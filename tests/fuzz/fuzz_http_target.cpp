// Fuzzes what the connection does with a request's header before any body byte or handler:
// http::request_from_header (server/http/request_head.cpp), the very function the server calls —
// percent-decoding the path, parsing the query, matching the route table — and
// request_line_path, which names the path of a header Beast could not parse. The table is the
// daemon's own: tests/fuzz/routes.txt, the output of `civicsnapd routes --test-clock`.
// Input: "METHOD TARGET[\nX-REQUEST-ID]" (the text up to the first space is the method).
//
// Properties beyond "no crash, no UB":
//  - percent_decode accepts exactly the texts whose every '%' starts a two-hex-digit escape
//    (checked against an independent scan), never grows the text, and inverts percent-encoding;
//  - parse_query yields at most one pair per non-empty '&' piece, and re-encoding its pairs
//    parses back to the same pairs;
//  - a Found route really fits: same segment count, literals equal, {id:int} params positive
//    decimal of at most 18 digits, {x} params non-empty, method equal (or HEAD on a GET route);
//  - MethodNotAllowed lists methods other than the one asked; matching is deterministic;
//  - a RequestHead refilled by fill_request_head, whatever the previous input left in it, equals
//    request_from_header's fresh one;
//  - request_from_header agrees with all of that: 414 exactly for targets over the limit, 400 for
//    a bad target or escape, the route and parameters the router finds, the Allow list of a 405,
//    a path always set (decoded, or raw when decoding failed), the client's request id only when
//    acceptable; request_line_path finds the target's path in "METHOD TARGET HTTP/1.1".
#include "fuzz_support.hpp"
#include "server/http/limits.hpp"
#include "server/http/message.hpp"
#include "server/http/request_head.hpp"
#include "server/http/router.hpp"

#include <algorithm>
#include <string>
#include <vector>

using namespace civic;

namespace {

struct RouteSpec {
    const char* method;
    const char* pattern;
};
constexpr RouteSpec kRoutes[] = {
#include "fuzz_routes.inc"
};

const http::Router& router() {
    static const http::Router r = [] {
        http::Router built;
        for (const auto& spec : kRoutes) built.add({spec.method, spec.pattern, 1024, {}, {}});
        FUZZ_CHECK(built.routes().size() > 60);  // the whole table, Open311 and web routes too
        return built;
    }();
    return r;
}

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

bool well_escaped(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i)
        if (s[i] == '%') {
            if (i + 2 >= s.size()) return false;
            if (!is_hex(s[i + 1]) || !is_hex(s[i + 2])) return false;
            i += 2;
        }
    return true;
}

std::string encode_all(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        out.push_back('%');
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
    }
    return out;
}

std::vector<std::string_view> segments(std::string_view path) {
    std::vector<std::string_view> out;
    if (path.empty() || path.front() != '/') return out;
    path.remove_prefix(1);
    for (;;) {
        const auto slash = path.find('/');
        out.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) return out;
        path.remove_prefix(slash + 1);
    }
}

void check_found(const http::Router::Found& f, std::string_view method, std::string_view path) {
    FUZZ_CHECK(f.route != nullptr);
    FUZZ_CHECK(f.route->method == method || (method == "HEAD" && f.route->method == "GET"));
    const auto want = segments(f.route->pattern);
    const auto got = segments(path);
    FUZZ_CHECK(want.size() == got.size());
    std::size_t params = 0;
    for (std::size_t i = 0; i < want.size(); ++i) {
        const auto w = want[i];
        if (w.empty() || w.front() != '{') {
            FUZZ_CHECK(w == got[i]);
            continue;
        }
        FUZZ_CHECK(params < f.params.size());
        const auto& [name, value] = f.params[params++];
        FUZZ_CHECK(value == got[i]);
        FUZZ_CHECK(!value.empty());
        if (w.find(":int}") != std::string_view::npos) {
            FUZZ_CHECK(value.size() <= 18 && value.front() != '0');
            FUZZ_CHECK(std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }));
        }
        (void)name;
    }
    FUZZ_CHECK(params == f.params.size());
}

}  // namespace

// The header as Beast hands it over, through the function the server calls.
void check_request_from_header(const std::string& method, std::string_view target, std::string_view request_id) {
    boost::beast::http::request_header<> header;
    header.method_string(method);
    header.target(target);
    if (!request_id.empty()) header.set("X-Request-Id", request_id);
    const auto head = http::request_from_header(header, router());
    const auto& req = head.request;
    // The connection's way: one RequestHead refilled input after input (the last input's strings,
    // vectors and route still in it) ends up equal to a fresh one.
    static http::RequestHead reused;
    http::fill_request_head(header, router(), reused);
    FUZZ_CHECK(reused.request.method == req.method && reused.request.target == req.target &&
               reused.request.path == req.path && reused.request.query == req.query &&
               reused.request.headers == req.headers && reused.request.params == req.params &&
               reused.request.request_id == req.request_id && reused.route == head.route &&
               reused.error.has_value() == head.error.has_value() && reused.allow == head.allow);
    if (head.error) FUZZ_CHECK(reused.error->status() == head.error->status());
    FUZZ_CHECK(req.method == method && req.target == target);
    // The id as Beast keeps the field's value, echoed only when acceptable.
    FUZZ_CHECK(req.request_id.empty() ||
               (req.request_id == header["X-Request-Id"] && http::acceptable_request_id(req.request_id)));
    FUZZ_CHECK((head.route == nullptr) == head.error.has_value());
    const auto raw_path = target.substr(0, target.find('?'));
    if (target.size() > http::limits::kMaxTargetBytes) {
        FUZZ_CHECK(head.error->status() == 414 && req.path == raw_path);
        return;
    }
    if (target.empty() || target.front() != '/') {
        FUZZ_CHECK(head.error->status() == 400);
        return;
    }
    const auto path = http::percent_decode(raw_path, false);
    FUZZ_CHECK(req.path == (path ? *path : std::string(raw_path)));
    if (!head.error) {
        const auto match = router().match(method, req.path);
        const auto& found = std::get<http::Router::Found>(match);
        FUZZ_CHECK(found.route == head.route && found.params == req.params);
    } else if (head.error->status() == 405) {
        FUZZ_CHECK(!head.allow.empty());
    } else {
        FUZZ_CHECK(head.allow.empty());
        FUZZ_CHECK(head.error->status() == 400 || head.error->status() == 404);
    }
    // The same request as a request line: its path is found there too.
    if (target.find_first_of(" \r\n") == std::string_view::npos &&
        method.find_first_of(" \r\n") == std::string_view::npos && !method.empty())
        FUZZ_CHECK(http::request_line_path(method + " " + std::string(target) + " HTTP/1.1\r\n") == raw_path);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Cursor in(data, size);
    const std::string method(in.until(' '));
    const std::string_view line = in.rest();
    const std::string_view target = line.substr(0, line.find('\n'));
    const std::string_view request_id = line.substr(std::min(line.size(), target.size() + 1));
    check_request_from_header(method, target, request_id);
    (void)http::request_line_path(line);
    if (target.size() > http::limits::kMaxTargetBytes || target.empty() || target.front() != '/') return 0;

    const auto qmark = target.find('?');
    const auto raw_path = target.substr(0, qmark);
    const auto path = http::percent_decode(raw_path, false);
    FUZZ_CHECK(path.has_value() == well_escaped(raw_path));
    if (!path) return 0;
    FUZZ_CHECK(path->size() <= raw_path.size());
    const auto again = http::percent_decode(encode_all(*path), false);
    FUZZ_CHECK(again && *again == *path);

    if (qmark != std::string_view::npos) {
        const auto raw_query = target.substr(qmark + 1);
        const auto query = http::parse_query(raw_query);
        if (query) {
            std::size_t pieces = 0;
            for (std::size_t at = 0; at <= raw_query.size();) {
                const auto amp = std::min(raw_query.find('&', at), raw_query.size());
                if (amp > at) ++pieces;
                at = amp + 1;
            }
            FUZZ_CHECK(query->size() == pieces);
            std::string rebuilt;
            for (const auto& [k, v] : *query) {
                if (!rebuilt.empty()) rebuilt.push_back('&');
                rebuilt.append(encode_all(k)).append("=").append(encode_all(v));
            }
            const auto reparsed = http::parse_query(rebuilt);
            FUZZ_CHECK(reparsed && *reparsed == *query);
        }
    }

    const auto result = router().match(method, *path);
    const auto second = router().match(method, *path);
    FUZZ_CHECK(result.index() == second.index());
    if (const auto* f = std::get_if<http::Router::Found>(&result)) {
        check_found(*f, method, *path);
        FUZZ_CHECK(std::get<http::Router::Found>(second).route == f->route);
    } else if (const auto* m = std::get_if<http::Router::MethodNotAllowed>(&result)) {
        FUZZ_CHECK(!m->allowed.empty());
        for (const auto& a : m->allowed) FUZZ_CHECK(a != method && !(method == "HEAD" && a == "GET"));
    }
    return 0;
}
