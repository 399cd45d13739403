#pragma once
// GeoReport v2 documents in their two formats. A response is built once as an ordered JSON value
// and written either as JSON or as XML following the Spark convention the specification uses:
// an object is an element with one child per field, an array is an element whose children are
// named after the singular of its name (services → service, service_requests → request), null is
// an empty element.
#include "common/errors.hpp"
#include "server/http/message.hpp"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace civic::open311 {

using Doc = nlohmann::ordered_json;

enum class Format { json, xml };

// ".json" / ".xml" at the end of a path; nullopt otherwise.
std::optional<Format> format_of_path(std::string_view path);

// `root` names the top element in XML (and nothing in JSON).
http::Response render(Format format, std::string_view root, const Doc& doc, int status = 200);
std::string to_xml(std::string_view root, const Doc& doc);

// The GeoReport error answer: HTTP 403 and 404 as they are; any other client error becomes HTTP
// 400, its own status kept as the body's `code` (the spec allows a more specific code there);
// server failures (5xx) keep their status so that clients and proxies retry them. The format is
// the path's extension, XML when it has none.
http::Response render_error(const ApiError& error, const http::Request& req);

}  // namespace civic::open311
