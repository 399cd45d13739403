#include "server/http/router.hpp"

#include "server/http/response.hpp"

#include <charconv>
#include <cstdio>
#include <stdexcept>

namespace civic::http {

namespace {
std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> parts;
    if (path.empty() || path.front() != '/') return parts;
    path.remove_prefix(1);
    while (true) {
        const auto slash = path.find('/');
        parts.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return parts;
}

bool is_positive_int(std::string_view s) {
    if (s.empty() || s.size() > 18 || s.front() == '0') return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}
}  // namespace

void Router::add(Route route) {
    Compiled compiled;
    for (auto part : split_path(route.pattern)) {
        if (!part.empty() && part.front() == '{') {
            const auto close = part.find('}');
            if (close == std::string_view::npos) throw std::invalid_argument("bad pattern " + route.pattern);
            auto inner = part.substr(1, close - 1);
            const auto suffix = part.substr(close + 1);
            if (suffix.find_first_of("{}") != std::string_view::npos)
                throw std::invalid_argument("bad pattern " + route.pattern);
            const auto colon = inner.find(':');
            Segment s{Segment::Kind::string_param, std::string(inner.substr(0, colon)), std::string(suffix)};
            if (colon != std::string_view::npos) {
                const auto type = inner.substr(colon + 1);
                if (type == "int") {
                    s.kind = Segment::Kind::int_param;
                } else if (type != "str") {
                    throw std::invalid_argument("bad parameter type in " + route.pattern);
                }
            }
            compiled.segments.push_back(std::move(s));
        } else {
            compiled.segments.push_back({Segment::Kind::literal, std::string(part), {}});
        }
    }
    for (const auto& existing : routes_)
        if (existing.method == route.method && existing.pattern == route.pattern)
            throw std::invalid_argument("duplicate route " + route.method + " " + route.pattern);
    route.index = routes_.size();
    routes_.push_back(std::move(route));
    compiled_.push_back(std::move(compiled));
}

Router::SegmentMatch Router::match_segments(const Compiled& c, const std::vector<std::string_view>& parts,
                                            std::vector<std::pair<std::string, std::string>>* params) {
    if (parts.size() != c.segments.size()) return SegmentMatch::no;
    bool bad_param = false;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const auto& seg = c.segments[i];
        auto part = parts[i];
        if (seg.kind != Segment::Kind::literal && !seg.suffix.empty()) {
            // The suffix is literal: a segment without it is another route's, not a bad value.
            if (part.size() <= seg.suffix.size() || !part.ends_with(seg.suffix)) return SegmentMatch::no;
            part.remove_suffix(seg.suffix.size());
        }
        switch (seg.kind) {
            case Segment::Kind::literal:
                if (part != seg.text) return SegmentMatch::no;
                break;
            case Segment::Kind::int_param:
                // The path has this route's shape but a malformed id: 400 (API.md §0), unless
                // another route matches it properly.
                if (!is_positive_int(part))
                    bad_param = true;
                else if (params)
                    params->emplace_back(seg.text, std::string(part));
                break;
            case Segment::Kind::string_param:
                if (part.empty()) return SegmentMatch::no;
                if (params) params->emplace_back(seg.text, std::string(part));
                break;
        }
    }
    return bad_param ? SegmentMatch::bad_param : SegmentMatch::yes;
}

Router::Result Router::match(std::string_view method, std::string_view path) const {
    MethodNotAllowed other;
    bool bad_param = false;
    const auto parts = split_path(path);
    // Literal routes win over parameterised ones at the same position because they are
    // registered first; the table is small, so a linear scan is cheaper than a trie here.
    for (std::size_t i = 0; i < routes_.size(); ++i) {
        const auto& route = routes_[i];
        std::vector<std::pair<std::string, std::string>> params;
        const auto m = match_segments(compiled_[i], parts, &params);
        if (m == SegmentMatch::bad_param) bad_param = true;
        if (m != SegmentMatch::yes) continue;
        if (route.method == method || (method == "HEAD" && route.method == "GET"))
            return Found{&route, std::move(params)};
        other.allowed.push_back(route.method);
    }
    if (!other.allowed.empty()) return other;
    if (bad_param) return BadParameter{};
    return NotFound{};
}

void Router::set_error_renderer(std::string prefix, ErrorRenderer renderer) {
    error_renderers_.emplace_back(std::move(prefix), std::move(renderer));
}

ApiError Router::translate(const std::exception& e, const std::string& route) const {
    std::optional<ApiError> known;
    if (translator_) known = translator_(e, route);
    ApiError answer = known ? std::move(*known) : ApiError(500, "internal", "internal error");
    // The one log line for it: the client gets the status and code only, never e.what().
    std::fprintf(stderr, "civicsnapd: %s error on %s (answered %d %s): %s\n", known ? "known" : "unhandled",
                 route.c_str(), answer.status(), answer.code().c_str(), e.what());
    return answer;
}

Response Router::render_error(const ApiError& error, const Request& req) const {
    for (const auto& [prefix, renderer] : error_renderers_)
        if (req.path.starts_with(prefix)) return renderer(error, req);
    return error_response(error);
}

}  // namespace civic::http
