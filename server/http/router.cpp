#include "server/http/router.hpp"

#include "server/http/response.hpp"

#include <charconv>
#include <cstdio>
#include <stdexcept>

namespace civic::http {

namespace {
// The '/'-separated segments after the leading '/' (none for a path without one); false when
// there are more than `at` holds.
bool split_path(std::string_view path, std::array<std::string_view, Router::kMaxSegments>& at, std::size_t& size) {
    size = 0;
    if (path.empty() || path.front() != '/') return true;
    path.remove_prefix(1);
    while (true) {
        if (size == at.size()) return false;
        const auto slash = path.find('/');
        at[size++] = path.substr(0, slash);
        if (slash == std::string_view::npos) return true;
        path.remove_prefix(slash + 1);
    }
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
    Parts parts;
    if (!split_path(route.pattern, parts.at, parts.size))
        throw std::invalid_argument("more than " + std::to_string(kMaxSegments) + " segments in " + route.pattern);
    for (std::size_t i = 0; i < parts.size; ++i) {
        const auto part = parts.at[i];
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

Router::SegmentMatch Router::match_segments(const Compiled& c, const Parts& parts, PairWriter* params) {
    if (parts.size != c.segments.size()) return SegmentMatch::no;
    bool bad_param = false;
    for (std::size_t i = 0; i < parts.size; ++i) {
        const auto& seg = c.segments[i];
        auto part = parts.at[i];
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
                    params->add(seg.text, part);
                break;
            case Segment::Kind::string_param:
                if (part.empty()) return SegmentMatch::no;
                if (params) params->add(seg.text, part);
                break;
        }
    }
    return bad_param ? SegmentMatch::bad_param : SegmentMatch::yes;
}

Router::Outcome Router::match_into(std::string_view method, std::string_view path, const Route*& found,
                                   StringPairs& params, std::vector<std::string>* allowed) const {
    found = nullptr;
    PairWriter writer(params);  // empty unless a route is found
    Parts parts;
    if (!split_path(path, parts.at, parts.size)) return Outcome::not_found;  // longer than any route
    bool other_method = false;
    bool bad_param = false;
    // Literal routes win over parameterised ones at the same position because they are
    // registered first; the table is small, so a linear scan is cheaper than a trie here.
    for (std::size_t i = 0; i < routes_.size(); ++i) {
        const auto& route = routes_[i];
        const auto m = match_segments(compiled_[i], parts, nullptr);
        if (m == SegmentMatch::bad_param) bad_param = true;
        if (m != SegmentMatch::yes) continue;
        if (route.method == method || (method == "HEAD" && route.method == "GET")) {
            match_segments(compiled_[i], parts, &writer);  // again, now keeping the parameters
            found = &route;
            return Outcome::found;
        }
        other_method = true;
        if (allowed) allowed->push_back(route.method);
    }
    if (other_method) return Outcome::method_not_allowed;
    if (bad_param) return Outcome::bad_parameter;
    return Outcome::not_found;
}

Router::Result Router::match(std::string_view method, std::string_view path) const {
    Found found{};
    MethodNotAllowed other;
    switch (match_into(method, path, found.route, found.params, &other.allowed)) {
        case Outcome::found:
            return found;
        case Outcome::method_not_allowed:
            return other;
        case Outcome::bad_parameter:
            return BadParameter{};
        case Outcome::not_found:
            break;
    }
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
