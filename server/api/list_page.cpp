#include "server/api/list_page.hpp"

#include "common/crypto.hpp"
#include "common/errors.hpp"
#include "server/api/input.hpp"

#include <cassert>
#include <charconv>

namespace civic::api {

namespace {
constexpr std::string_view kCursorPrefix = "c:";  // a version tag: another layout gets another
constexpr std::size_t kMaxCursorKeys = 4;
}  // namespace

std::int64_t page_limit(const http::Request& req) {
    return query_int(req, "limit", 1, kMaxPageSize).value_or(kDefaultPageSize);
}

std::string encode_cursor(std::initializer_list<std::int64_t> key) {
    std::string raw(kCursorPrefix);
    for (auto value : key) raw.append(raw.size() > kCursorPrefix.size() ? "." : "").append(std::to_string(value));
    return crypto::base64url_encode(raw);
}

std::optional<std::vector<std::int64_t>> cursor_key(const http::Request& req, std::size_t arity) {
    assert(arity >= 1 && arity <= kMaxCursorKeys);
    const auto text = req.query_param("cursor");
    if (!text || text->empty()) return std::nullopt;
    const auto bad = [] { return ApiError::invalid_field("cursor", "cursor is not one this server issued"); };
    const auto raw = crypto::base64url_decode(*text);
    if (!raw || !raw->starts_with(kCursorPrefix)) throw bad();
    std::string_view rest = std::string_view(*raw).substr(kCursorPrefix.size());
    std::vector<std::int64_t> key;
    for (std::size_t i = 0; i < arity; ++i) {
        const auto dot = rest.find('.');
        const auto part = rest.substr(0, dot);
        std::int64_t value = 0;
        auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
        if (part.empty() || ec != std::errc() || p != part.data() + part.size() || value < 0) throw bad();
        key.push_back(value);
        const bool last = i + 1 == arity;
        if (last != (dot == std::string_view::npos)) throw bad();
        if (!last) rest.remove_prefix(dot + 1);
    }
    return key;
}

std::int64_t cursor_before_id(const http::Request& req) {
    const auto key = cursor_key(req, 1);
    return key ? key->front() : kNoCursor;
}

nlohmann::json next_cursor(std::size_t returned, std::int64_t limit, std::int64_t last_id) {
    if (static_cast<std::int64_t>(returned) < limit) return nullptr;
    return encode_cursor({last_id});
}

}  // namespace civic::api
