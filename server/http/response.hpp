#pragma once
// Building responses in the API's format (API.md §0).
#include "common/errors.hpp"
#include "server/http/message.hpp"

#include <nlohmann/json.hpp>

namespace civic::http {

Response json_response(int status, const nlohmann::json& body);
Response error_response(const ApiError& error);
Response no_content();

}  // namespace civic::http
