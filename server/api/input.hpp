#pragma once
// Decoding request bodies: malformed JSON is 400 bad_request; a missing, mistyped or
// out-of-range field is 400 invalid_field naming it.
#include "server/http/message.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace civic::api {

// The body as a JSON object (depth-limited, strict UTF-8).
nlohmann::json json_body(const http::Request& req);

std::string require_string(const nlohmann::json& obj, const char* field);
std::optional<std::string> optional_string(const nlohmann::json& obj, const char* field);
std::int64_t require_int(const nlohmann::json& obj, const char* field, std::int64_t min, std::int64_t max);
std::optional<std::int64_t> optional_int(const nlohmann::json& obj, const char* field, std::int64_t min,
                                         std::int64_t max);
double require_number(const nlohmann::json& obj, const char* field, double min, double max);
bool optional_bool(const nlohmann::json& obj, const char* field, bool fallback);
std::vector<std::int64_t> optional_id_list(const nlohmann::json& obj, const char* field, std::size_t max_items);

// Query parameters: absent → nullopt; present but malformed → 400 invalid_field.
std::optional<std::int64_t> query_int(const http::Request& req, const char* name, std::int64_t min, std::int64_t max);

}  // namespace civic::api
