#include "server/api/list_page.hpp"

#include "common/crypto.hpp"
#include "common/errors.hpp"
#include "server/api/input.hpp"

#include <charconv>

namespace civic::api {

namespace {
constexpr std::string_view kCursorPrefix = "before:";
}

std::int64_t page_limit(const http::Request& req) {
    return query_int(req, "limit", 1, kMaxPageSize).value_or(kDefaultPageSize);
}

std::int64_t cursor_before_id(const http::Request& req) {
    const auto text = req.query_param("cursor");
    if (!text || text->empty()) return kNoCursor;
    const auto raw = crypto::base64url_decode(*text);
    std::int64_t id = 0;
    if (raw && raw->starts_with(kCursorPrefix)) {
        const auto digits = std::string_view(*raw).substr(kCursorPrefix.size());
        auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
        if (ec == std::errc() && p == digits.data() + digits.size() && id > 0) return id;
    }
    throw ApiError::bad_request("cursor is not one this server issued");
}

nlohmann::json next_cursor(std::size_t returned, std::int64_t limit, std::int64_t last_id) {
    if (static_cast<std::int64_t>(returned) < limit) return nullptr;
    return crypto::base64url_encode(std::string(kCursorPrefix) + std::to_string(last_id));
}

}  // namespace civic::api
