#include "support/json_schema.hpp"

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>

namespace civic::test {

using nlohmann::json;

namespace {

bool has_type(const json& v, const std::string& type) {
    if (type == "string") return v.is_string();
    if (type == "number") return v.is_number();
    if (type == "integer") return v.is_number_integer() || (v.is_number_float() && v.get<double>() == static_cast<double>(static_cast<long long>(v.get<double>())));
    if (type == "boolean") return v.is_boolean();
    if (type == "null") return v.is_null();
    if (type == "array") return v.is_array();
    if (type == "object") return v.is_object();
    throw std::runtime_error("schema uses unknown type " + type);
}

// RFC 3339 date-time (JSON Schema's "date-time"): a time zone is required.
bool is_date_time(const std::string& s) {
    static const std::regex re(R"(^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$)");
    return std::regex_match(s, re);
}

// An absolute URI (RFC 3986): a scheme, then no spaces or characters URIs never contain.
bool is_uri(const std::string& s) {
    static const std::regex re(R"(^[A-Za-z][A-Za-z0-9+.-]*:[^\s"<>\\^`{|}]+$)");
    return std::regex_match(s, re);
}

std::size_t utf8_chars(const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80) ++n;
    return n;
}

}  // namespace

JsonSchemas::JsonSchemas(std::string directory) : dir_(std::move(directory)) {}

const json& JsonSchemas::load(const std::string& file) const {
    if (auto it = cache_.find(file); it != cache_.end()) return it->second;
    std::ifstream in(dir_ + "/" + file);
    if (!in) throw std::runtime_error("cannot read schema " + dir_ + "/" + file);
    std::stringstream ss;
    ss << in.rdbuf();
    return cache_.emplace(file, json::parse(ss.str())).first->second;
}

std::vector<std::string> JsonSchemas::validate(const std::string& file, const json& value, bool closed_objects) const {
    std::vector<std::string> problems;
    check(load(file), value, "$", closed_objects, problems);
    return problems;
}

void JsonSchemas::check(const json& schema, const json& v, const std::string& where, bool closed,
                        std::vector<std::string>& problems) const {
    static const std::set<std::string> known = {"type", "enum", "required", "properties", "items", "anyOf", "$ref",
                                                "maxLength", "format", "description", "minItems", "uniqueItems"};
    for (const auto& [key, _] : schema.items())
        if (!known.count(key)) throw std::runtime_error("schema keyword outside the supported subset: " + key);
    if (schema.contains("$ref")) {  // draft 4: keywords beside $ref are ignored
        check(load(schema["$ref"].get<std::string>()), v, where, closed, problems);
        return;
    }
    if (schema.contains("anyOf")) {
        bool any = false;
        for (const auto& option : schema["anyOf"]) {
            std::vector<std::string> sub;
            check(option, v, where, closed, sub);
            if (sub.empty()) any = true;
        }
        if (!any) problems.push_back(where + ": matches none of anyOf");
    }
    if (schema.contains("type") && !has_type(v, schema["type"].get<std::string>())) {
        problems.push_back(where + ": not of type " + schema["type"].get<std::string>() + " (" + v.dump() + ")");
        return;
    }
    if (schema.contains("enum")) {
        bool found = false;
        for (const auto& e : schema["enum"]) found = found || e == v;
        if (!found) problems.push_back(where + ": " + v.dump() + " not in enum");
    }
    if (v.is_string()) {
        const auto& s = v.get_ref<const std::string&>();
        if (schema.contains("maxLength") && utf8_chars(s) > schema["maxLength"].get<std::size_t>())
            problems.push_back(where + ": longer than maxLength");
        if (schema.contains("format")) {
            const auto format = schema["format"].get<std::string>();
            if (format == "date-time" && !is_date_time(s)) problems.push_back(where + ": not a date-time: " + s);
            else if (format == "uri" && !is_uri(s)) problems.push_back(where + ": not a uri: " + s);
            else if (format != "date-time" && format != "uri") throw std::runtime_error("unsupported format " + format);
        }
    }
    if (v.is_array() && schema.contains("items"))
        for (std::size_t i = 0; i < v.size(); ++i) check(schema["items"], v[i], where + "[" + std::to_string(i) + "]", closed, problems);
    if (v.is_object()) {
        if (schema.contains("required"))
            for (const auto& name : schema["required"])
                if (!v.contains(name.get<std::string>())) problems.push_back(where + ": missing " + name.get<std::string>());
        if (schema.contains("properties")) {
            const auto& props = schema["properties"];
            for (const auto& [key, child] : v.items()) {
                if (props.contains(key)) check(props[key], child, where + "." + key, closed, problems);
                else if (closed) problems.push_back(where + ": field not in the specification: " + key);
            }
        }
    }
}

}  // namespace civic::test
