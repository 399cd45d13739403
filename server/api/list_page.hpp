#pragma once
// List paging (API.md §0): ?limit= (1..200, default 50) and an opaque ?cursor= that encodes the
// last id returned, so pages stay stable while new rows arrive at the top.
#include "server/http/message.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace civic::api {

inline constexpr std::int64_t kDefaultPageSize = 50;
inline constexpr std::int64_t kMaxPageSize = 200;
inline constexpr std::int64_t kNoCursor = std::numeric_limits<std::int64_t>::max();

std::int64_t page_limit(const http::Request& req);

// Cursors are the sort key of the last row returned (one or more non-negative integers),
// base64url-encoded so that clients treat them as opaque. Every list uses these two.
std::string encode_cursor(std::initializer_list<std::int64_t> key);
// The `?cursor=` key of `arity` integers; nullopt when absent or empty; 400 invalid_field
// "cursor" for one this server did not issue.
std::optional<std::vector<std::int64_t>> cursor_key(const http::Request& req, std::size_t arity);

// For lists keyed by id alone: the id to page below; kNoCursor without a cursor.
std::int64_t cursor_before_id(const http::Request& req);
// The "next_cursor" value: a cursor after `last_id` when the page was full, else null.
nlohmann::json next_cursor(std::size_t returned, std::int64_t limit, std::int64_t last_id);

}  // namespace civic::api
