#include "server/api/open311_format.hpp"

#include "server/api/xml_writer.hpp"

#include <map>

namespace civic::open311 {

namespace {

// Element names of array items, as the GeoReport v2 examples name them.
std::string_view item_name(std::string_view array_name) {
    static const std::map<std::string_view, std::string_view, std::less<>> names = {
        {"services", "service"}, {"service_requests", "request"},
        {"errors", "error"},     {"endpoints", "endpoint"},
        {"formats", "format"},   {"attributes", "attribute"},
        {"values", "value"},     {"service_request_updates", "request_update"},
    };
    const auto it = names.find(array_name);
    if (it == names.end()) throw std::logic_error("no item name for XML array " + std::string(array_name));
    return it->second;
}

void write(xml::Writer& w, std::string_view name, const Doc& value) {
    switch (value.type()) {
        case Doc::value_t::object:
            w.open(name);
            for (const auto& [key, child] : value.items()) write(w, key, child);
            w.close();
            break;
        case Doc::value_t::array:
            w.open(name);
            for (const auto& child : value) write(w, item_name(name), child);
            w.close();
            break;
        case Doc::value_t::null:
            w.empty(name);
            break;
        case Doc::value_t::string:
            w.element(name, value.get_ref<const std::string&>());
            break;
        case Doc::value_t::boolean:
            w.element(name, value.get<bool>() ? "true" : "false");
            break;
        default:  // numbers: the same digits as in JSON
            w.element(name, value.dump());
            break;
    }
}

}  // namespace

std::optional<Format> format_of_path(std::string_view path) {
    if (path.ends_with(".json")) return Format::json;
    if (path.ends_with(".xml")) return Format::xml;
    return std::nullopt;
}

std::string to_xml(std::string_view root, const Doc& doc) {
    xml::Writer w;
    write(w, root, doc);
    return w.finish();
}

http::Response render(Format format, std::string_view root, const Doc& doc, int status) {
    http::Response r;
    r.status = status;
    if (format == Format::xml) {
        r.content_type = "text/xml; charset=utf-8";
        r.body = to_xml(root, doc);
    } else {
        r.content_type = "application/json; charset=utf-8";
        // Stored text is checked UTF-8; replacing rather than throwing keeps an answer possible.
        r.body = doc.dump(-1, ' ', false, Doc::error_handler_t::replace);
    }
    return r;
}

http::Response render_error(const ApiError& error, const http::Request& req) {
    int status = error.status();
    if (status == 401) status = 403;  // "403 for errors because of wrong or missing api_key"
    // GeoReport: 404, 403, "basically 400 for any other error". Statuses an HTTP client or proxy
    // acts on without reading the body keep their meaning: sizes (413, 414, 416, 431), back-off with
    // Retry-After (429, 503) and server failures (5xx). The body always carries the real code.
    const bool kept = status == 403 || status == 404 || status == 413 || status == 414 || status == 416 ||
                      status == 429 || status == 431 || status >= 500;
    const int http_status = kept ? status : 400;
    Doc body = Doc::array({Doc{{"code", status}, {"description", error.what()}}});
    // XML when the path names no format: GeoReport's default, and what XML-only clients parse.
    auto r = render(format_of_path(req.path).value_or(Format::xml), "errors", body, http_status);
    if (error.retry_after() > 0) r.header("Retry-After", std::to_string(error.retry_after()));
    return r;
}

}  // namespace civic::open311
