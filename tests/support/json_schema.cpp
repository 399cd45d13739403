#include "support/json_schema.hpp"

#include <algorithm>
#include <cmath>
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
    if (type == "integer")
        return v.is_number_integer() ||
               (v.is_number_float() && v.get<double>() == static_cast<double>(static_cast<long long>(v.get<double>())));
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

// Every keyword check() judges or may ignore (annotations); any other is refused.
const std::set<std::string> kKnownKeywords = {"type",        "enum",
                                              "const",       "required",
                                              "properties",  "additionalProperties",
                                              "items",       "anyOf",
                                              "oneOf",       "allOf",
                                              "not",         "$ref",
                                              "maxLength",   "minLength",
                                              "pattern",     "format",
                                              "minimum",     "maximum",
                                              "multipleOf",  "minItems",
                                              "maxItems",    "uniqueItems",
                                              "description", "default",
                                              "title",       "contentMediaType"};
const std::set<std::string> kTypes = {"string", "number", "integer", "boolean", "null", "array", "object"};
const std::set<std::string> kFormats = {"date-time", "uri", "binary"};

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

JsonSchemas JsonSchemas::of_document(json document) {
    JsonSchemas schemas("");
    schemas.cache_.emplace("", std::move(document));
    return schemas;
}

std::vector<std::string> JsonSchemas::validate(const std::string& file, const json& value, bool closed_objects) const {
    std::vector<std::string> problems;
    const json& root = load(file);
    check(root, root, value, "$", closed_objects, problems);
    return problems;
}

std::vector<std::string> JsonSchemas::validate_schema(const json& schema, const json& value,
                                                      bool closed_objects) const {
    std::vector<std::string> problems;
    check(schema, load(""), value, "$", closed_objects, problems);
    return problems;
}

std::pair<const json*, const json*> JsonSchemas::resolve(const std::string& ref, const json& root) const {
    const auto hash = ref.find('#');
    const json& base = hash == 0 ? root : load(ref.substr(0, hash));
    if (hash == std::string::npos || hash + 1 == ref.size()) return {&base, &base};
    const auto pointer = json::json_pointer(ref.substr(hash + 1));
    if (!base.contains(pointer)) throw std::runtime_error("unresolved $ref " + ref);
    return {&base.at(pointer), &base};
}

void JsonSchemas::allowed_fields(const json& schema, const json& root, std::vector<std::string>& names) const {
    if (schema.contains("$ref")) {
        const auto [target, target_root] = resolve(schema["$ref"].get<std::string>(), root);
        allowed_fields(*target, *target_root, names);
    }
    if (schema.contains("properties"))
        for (const auto& [key, _] : schema["properties"].items()) names.push_back(key);
    if (schema.contains("allOf"))
        for (const auto& member : schema["allOf"]) allowed_fields(member, root, names);
}

void JsonSchemas::check(const json& schema, const json& root, const json& v, const std::string& where, bool closed,
                        std::vector<std::string>& problems, bool open_here) const {
    if (schema.is_boolean()) {  // true accepts anything, false nothing
        if (!schema.get<bool>()) problems.push_back(where + ": no value is allowed here");
        return;
    }
    for (const auto& [key, _] : schema.items())
        if (!kKnownKeywords.count(key) && !key.starts_with("x-"))
            throw std::runtime_error("schema keyword outside the supported subset: " + key);
    if (schema.contains("$ref")) {
        // The referenced schema, then the keywords beside $ref (JSON Schema 2020-12, OpenAPI 3.1;
        // in the draft 4 GeoReport files the only ones there are array keywords on object items,
        // which judge nothing).
        const auto [target, target_root] = resolve(schema["$ref"].get<std::string>(), root);
        check(*target, *target_root, v, where, closed, problems, open_here);
    }
    if (schema.contains("anyOf")) {
        bool any = false;
        for (const auto& option : schema["anyOf"]) {
            std::vector<std::string> sub;
            check(option, root, v, where, closed, sub);
            if (sub.empty()) any = true;
        }
        if (!any) problems.push_back(where + ": matches none of anyOf");
    }
    if (schema.contains("oneOf")) {
        int matches = 0;
        std::string first_problem;
        for (const auto& option : schema["oneOf"]) {
            std::vector<std::string> sub;
            check(option, root, v, where, closed, sub);
            if (sub.empty())
                ++matches;
            else if (first_problem.empty())
                first_problem = sub.front();
        }
        if (matches != 1)
            problems.push_back(where + ": matches " + std::to_string(matches) + " of oneOf (e.g. " + first_problem +
                               ")");
    }
    if (schema.contains("allOf")) {
        // Each member judges its own fields; the fields none of them lists are judged below.
        for (const auto& member : schema["allOf"]) check(member, root, v, where, closed, problems, true);
    }
    if (schema.contains("not")) {
        std::vector<std::string> sub;
        check(schema["not"], root, v, where, closed, sub);
        if (sub.empty()) problems.push_back(where + ": matches the schema under not");
    }
    if (schema.contains("type")) {
        const auto& type = schema["type"];
        bool ok = false;
        if (type.is_array()) {
            for (const auto& t : type) ok = ok || has_type(v, t.get<std::string>());
        } else {
            ok = has_type(v, type.get<std::string>());
        }
        if (!ok) {
            problems.push_back(where + ": not of type " + type.dump() + " (" + v.dump().substr(0, 200) + ")");
            return;
        }
    }
    if (schema.contains("enum")) {
        bool found = false;
        for (const auto& e : schema["enum"]) found = found || e == v;
        if (!found) problems.push_back(where + ": " + v.dump() + " not in enum");
    }
    if (schema.contains("const") && schema["const"] != v)
        problems.push_back(where + ": " + v.dump() + " is not the const");
    if (v.is_number()) {
        const double d = v.get<double>();
        if (schema.contains("minimum") && d < schema["minimum"].get<double>())
            problems.push_back(where + ": below minimum");
        if (schema.contains("maximum") && d > schema["maximum"].get<double>())
            problems.push_back(where + ": above maximum");
        if (schema.contains("multipleOf")) {
            const double m = schema["multipleOf"].get<double>();
            if (std::fmod(d, m) != 0) problems.push_back(where + ": not a multiple of " + schema["multipleOf"].dump());
        }
    }
    if (v.is_string()) {
        const auto& s = v.get_ref<const std::string&>();
        if (schema.contains("maxLength") && utf8_chars(s) > schema["maxLength"].get<std::size_t>())
            problems.push_back(where + ": longer than maxLength");
        if (schema.contains("minLength") && utf8_chars(s) < schema["minLength"].get<std::size_t>())
            problems.push_back(where + ": shorter than minLength");
        if (schema.contains("pattern") && !std::regex_search(s, std::regex(schema["pattern"].get<std::string>())))
            problems.push_back(where + ": does not match " + schema["pattern"].get<std::string>() + ": " + s);
        if (schema.contains("format")) {
            const auto format = schema["format"].get<std::string>();
            if (format == "date-time" && !is_date_time(s))
                problems.push_back(where + ": not a date-time: " + s);
            else if (format == "uri" && !is_uri(s))
                problems.push_back(where + ": not a uri: " + s);
            else if (format != "date-time" && format != "uri" && format != "binary")
                throw std::runtime_error("unsupported format " + format);
        }
    }
    if (v.is_array()) {
        if (schema.contains("minItems") && v.size() < schema["minItems"].get<std::size_t>())
            problems.push_back(where + ": fewer items than minItems");
        if (schema.contains("maxItems") && v.size() > schema["maxItems"].get<std::size_t>())
            problems.push_back(where + ": more items than maxItems");
        if (schema.contains("uniqueItems") && schema["uniqueItems"].get<bool>())
            for (std::size_t i = 1; i < v.size(); ++i)
                if (std::find(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(i), v[i]) !=
                    v.begin() + static_cast<std::ptrdiff_t>(i)) {
                    problems.push_back(where + "[" + std::to_string(i) + "]: a repeated item where uniqueItems");
                    break;
                }
        if (schema.contains("items"))
            for (std::size_t i = 0; i < v.size(); ++i)
                check(schema["items"], root, v[i], where + "[" + std::to_string(i) + "]", closed, problems);
    }
    if (v.is_object()) {
        if (schema.contains("required"))
            for (const auto& name : schema["required"])
                if (!v.contains(name.get<std::string>()))
                    problems.push_back(where + ": missing " + name.get<std::string>());
        const json* props = schema.contains("properties") ? &schema["properties"] : nullptr;
        if (props)
            for (const auto& [key, child] : v.items())
                if (props->contains(key)) check((*props)[key], root, child, where + "." + key, closed, problems);
        std::vector<std::string> allowed;
        allowed_fields(schema, root, allowed);
        const bool judged_here =
            !open_here && (props || schema.contains("allOf") || schema.contains("additionalProperties"));
        if (judged_here) {
            for (const auto& [key, child] : v.items()) {
                if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
                if (schema.contains("additionalProperties"))
                    check(schema["additionalProperties"], root, child, where + "." + key, closed, problems);
                else if (closed)
                    problems.push_back(where + ": field not in the specification: " + key);
            }
        }
    }
}

void JsonSchemas::lint(const json& schema, const std::string& where, std::vector<std::string>& problems) {
    if (schema.is_boolean()) return;
    if (!schema.is_object()) {
        problems.push_back(where + ": a schema must be an object or a boolean");
        return;
    }
    for (const auto& [key, value] : schema.items()) {
        if (!kKnownKeywords.count(key) && !key.starts_with("x-"))
            problems.push_back(where + ": unsupported keyword " + key);
        if (key == "type")
            for (const auto& t : value.is_array() ? value : json::array({value}))
                if (!t.is_string() || !kTypes.count(t.get<std::string>()))
                    problems.push_back(where + ": unknown type " + t.dump());
        if (key == "format" && !(value.is_string() && kFormats.count(value.get<std::string>())))
            problems.push_back(where + ": unsupported format " + value.dump());
    }
    if (schema.contains("properties"))
        for (const auto& [name, child] : schema["properties"].items())
            lint(child, where + "/properties/" + name, problems);
    for (const char* key : {"items", "additionalProperties", "not"})
        if (schema.contains(key)) lint(schema[key], where + "/" + key, problems);
    for (const char* key : {"anyOf", "oneOf", "allOf"})
        if (schema.contains(key))
            for (std::size_t i = 0; i < schema[key].size(); ++i)
                lint(schema[key][i], where + "/" + key + "/" + std::to_string(i), problems);
}

std::vector<std::string> JsonSchemas::lint_document(const json& document) {
    std::vector<std::string> problems;
    // Places are JSON pointers ("/paths/~1api~1v1~1me/get/…").
    const auto escape = [](const std::string& key) {
        std::string out;
        for (char c : key) out += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
        return out;
    };
    // Every schema the document holds: the named ones, and each `schema` of a parameter, header or
    // media type wherever it sits (paths, components), the WebSocket's message schema too.
    const auto walk = [&](auto&& self, const json& node, const std::string& where) -> void {
        if (node.is_object()) {
            for (const auto& [key, child] : node.items()) {
                const auto here = where + "/" + escape(key);
                if (key == "schema" || key == "x-websocket-message")
                    lint(child, here, problems);
                else if (where == "/components/schemas")
                    lint(child, here, problems);
                else
                    self(self, child, here);
            }
        } else if (node.is_array()) {
            for (std::size_t i = 0; i < node.size(); ++i) self(self, node[i], where + "/" + std::to_string(i));
        }
    };
    walk(walk, document, "");
    return problems;
}

}  // namespace civic::test
