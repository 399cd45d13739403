#pragma once
// The OpenAPI 3.1 document served at GET /api/v1/openapi.json (API.md §1, docs/api.md "OpenAPI").
// Its schemas, parameters, request bodies, responses and security live as data in
// server/api/openapi/*.json, compiled in by CMake; the routes come from the router's table, so
// the document lists exactly the routes that exist: an operation the data describes but the
// router lacks (e.g. the test clock without --test-clock) is left out, and a route the data does
// not describe is still listed, marked "x-undocumented" (a test fails on that).
#include "server/http/router.hpp"

#include <nlohmann/json.hpp>

#include <span>
#include <string>
#include <string_view>

namespace civic::api {

struct OpenApiPart {
    std::string_view name;  // file name under server/api/openapi/, sorted
    std::string_view text;  // its JSON
};

// Sorted by name; "00-base.json" (openapi, info, tags, components) first.
std::span<const OpenApiPart> openapi_parts();

// The parts merged into one document without paths filtering: throws std::logic_error when two
// parts define the same operation or component, or when a part is not valid JSON.
nlohmann::json openapi_data();

// The document for this router: the data's operations for the routes that exist.
nlohmann::json openapi_for(const http::Router& router);

}  // namespace civic::api
