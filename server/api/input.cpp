#include "server/api/input.hpp"

#include "common/errors.hpp"
#include "common/json.hpp"

#include <charconv>
#include <cmath>

namespace civic::api {

using nlohmann::json;

json json_body(const http::Request& req) {
    if (auto type = req.header("content-type"); type && type->find("application/json") == std::string_view::npos)
        throw ApiError::bad_request("expected Content-Type: application/json");
    auto parsed = jsonutil::parse(req.body);
    if (!parsed) throw ApiError::bad_request("malformed JSON body");
    if (!parsed->is_object()) throw ApiError::bad_request("JSON body must be an object");
    return std::move(*parsed);
}

namespace {
const json* find(const json& obj, const char* field) {
    auto it = obj.find(field);
    if (it == obj.end() || it->is_null()) return nullptr;
    return &*it;
}
}  // namespace

std::string require_string(const json& obj, const char* field) {
    auto v = optional_string(obj, field);
    if (!v) throw ApiError::invalid_field(field, std::string(field) + " is required");
    return *v;
}

std::optional<std::string> optional_string(const json& obj, const char* field) {
    const json* v = find(obj, field);
    if (!v) return std::nullopt;
    if (!v->is_string()) throw ApiError::invalid_field(field, std::string(field) + " must be a string");
    return v->get<std::string>();
}

std::optional<std::int64_t> optional_int(const json& obj, const char* field, std::int64_t min, std::int64_t max) {
    const json* v = find(obj, field);
    if (!v) return std::nullopt;
    std::int64_t n = 0;
    if (v->is_number_integer()) {
        if (v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
            throw ApiError::invalid_field(field, std::string(field) + " is out of range");
        n = v->get<std::int64_t>();
    } else if (v->is_number_float() && std::isfinite(v->get<double>()) &&
               std::floor(v->get<double>()) == v->get<double>() && std::fabs(v->get<double>()) < 9e15) {
        n = static_cast<std::int64_t>(v->get<double>());  // 5.0 is an integer
    } else {
        throw ApiError::invalid_field(field, std::string(field) + " must be an integer");
    }
    if (n < min || n > max)
        throw ApiError::invalid_field(
            field, std::string(field) + " must be between " + std::to_string(min) + " and " + std::to_string(max));
    return n;
}

std::int64_t require_int(const json& obj, const char* field, std::int64_t min, std::int64_t max) {
    auto v = optional_int(obj, field, min, max);
    if (!v) throw ApiError::invalid_field(field, std::string(field) + " is required");
    return *v;
}

double require_number(const json& obj, const char* field, double min, double max) {
    const json* v = find(obj, field);
    if (!v) throw ApiError::invalid_field(field, std::string(field) + " is required");
    if (!v->is_number()) throw ApiError::invalid_field(field, std::string(field) + " must be a number");
    const double d = v->get<double>();
    if (!std::isfinite(d) || d < min || d > max)
        throw ApiError::invalid_field(field, std::string(field) + " is out of range");
    return d;
}

bool optional_bool(const json& obj, const char* field, bool fallback) {
    const json* v = find(obj, field);
    if (!v) return fallback;
    if (!v->is_boolean()) throw ApiError::invalid_field(field, std::string(field) + " must be true or false");
    return v->get<bool>();
}

std::vector<std::int64_t> optional_id_list(const json& obj, const char* field, std::size_t max_items) {
    std::vector<std::int64_t> out;
    const json* v = find(obj, field);
    if (!v) return out;
    if (!v->is_array() || v->size() > max_items)
        throw ApiError::invalid_field(
            field, std::string(field) + " must be an array of at most " + std::to_string(max_items) + " ids");
    for (const auto& item : *v) {
        if (!item.is_number_integer() || item.get<std::int64_t>() < 1)
            throw ApiError::invalid_field(field, std::string(field) + " must contain positive integer ids");
        out.push_back(item.get<std::int64_t>());
    }
    return out;
}

std::optional<std::int64_t> query_int(const http::Request& req, const char* name, std::int64_t min, std::int64_t max) {
    const auto text = req.query_param(name);
    if (!text || text->empty()) return std::nullopt;
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
    if (ec != std::errc() || p != text->data() + text->size() || n < min || n > max)
        throw ApiError::invalid_field(name, std::string(name) + " must be an integer between " + std::to_string(min) +
                                                " and " + std::to_string(max));
    return n;
}

}  // namespace civic::api
