#pragma once
// List paging (API.md §0): ?limit= (1..200, default 50) and an opaque ?cursor= that encodes the
// last id returned, so pages stay stable while new rows arrive at the top.
#include "server/http/message.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <limits>

namespace civic::api {

inline constexpr std::int64_t kDefaultPageSize = 50;
inline constexpr std::int64_t kMaxPageSize = 200;
inline constexpr std::int64_t kNoCursor = std::numeric_limits<std::int64_t>::max();

std::int64_t page_limit(const http::Request& req);
// The id to page below; kNoCursor without a cursor; 400 bad_request for one we did not issue.
std::int64_t cursor_before_id(const http::Request& req);
// The "next_cursor" value: a cursor after `last_id` when the page was full, else null.
nlohmann::json next_cursor(std::size_t returned, std::int64_t limit, std::int64_t last_id);

}  // namespace civic::api
