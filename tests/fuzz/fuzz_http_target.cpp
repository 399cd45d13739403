// Fuzzes what the session does with a request line's method and target before any handler runs
// (server/http/server.cpp): percent-decoding the path, parsing the query, and matching the route
// table. The table is the daemon's own: tests/fuzz/CMakeLists.txt extracts every
// router.add({"METHOD", "/pattern"...}) from server/api/*.cpp into fuzz_routes.inc.
// Input: "METHOD TARGET" (the text up to the first space is the method).
//
// Properties beyond "no crash, no UB":
//  - percent_decode accepts exactly the texts whose every '%' starts a two-hex-digit escape
//    (checked against an independent scan), never grows the text, and inverts percent-encoding;
//  - parse_query yields at most one pair per non-empty '&' piece, and re-encoding its pairs
//    parses back to the same pairs;
//  - a Found route really fits: same segment count, literals equal, {id:int} params positive
//    decimal of at most 18 digits, {x} params non-empty, method equal (or HEAD on a GET route);
//  - MethodNotAllowed lists methods other than the one asked; matching is deterministic.
#include "fuzz_support.hpp"
#include "server/http/message.hpp"
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
constexpr std::size_t kMaxTargetBytes = 4096;  // server/http/limits.hpp

const http::Router& router() {
    static const http::Router r = [] {
        http::Router built;
        for (const auto& spec : kRoutes) built.add({spec.method, spec.pattern, 1024, {}, {}});
        return built;
    }();
    return r;
}

bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

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

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::Cursor in(data, size);
    const std::string method(in.until(' '));
    const std::string_view target = in.rest();
    if (target.size() > kMaxTargetBytes || target.empty() || target.front() != '/') return 0;

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
