#include "support/openapi_contract.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <stdexcept>

namespace civic::test {

using nlohmann::json;

namespace {

std::vector<std::string> segments(const std::string& path) {
    std::vector<std::string> out;
    std::size_t start = 1;
    while (start <= path.size()) {
        const auto slash = path.find('/', start);
        const auto end = slash == std::string::npos ? path.size() : slash;
        out.push_back(path.substr(start, end - start));
        if (slash == std::string::npos) break;
        start = slash + 1;
    }
    return out;
}

// One template segment against one concrete segment: "{id}.json" matches "17.json".
bool segment_matches(const std::string& pattern, const std::string& actual) {
    const auto open = pattern.find('{');
    if (open == std::string::npos) return pattern == actual;
    const auto close = pattern.find('}', open);
    const auto prefix = pattern.substr(0, open);
    const auto suffix = pattern.substr(close + 1);
    return actual.size() > prefix.size() + suffix.size() && actual.starts_with(prefix) && actual.ends_with(suffix);
}

std::string media_type_of(const std::string& content_type) {
    std::string type = content_type.substr(0, content_type.find(';'));
    while (!type.empty() && type.back() == ' ') type.pop_back();
    for (auto& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return type;
}

}  // namespace

OpenApiContract::OpenApiContract(json document)
    : document_(std::move(document)), schemas_(JsonSchemas::of_document(document_)) {
    // A keyword the validator does not know would otherwise be noticed only when some answer
    // reaches it; refuse the document at once.
    if (const auto problems = JsonSchemas::lint_document(document_); !problems.empty()) {
        std::string all;
        for (const auto& p : problems) all += "\n  " + p;
        throw std::runtime_error("the OpenAPI document has schemas the test validator cannot check:" + all);
    }
    // Split once: template_for runs for every response the suite receives.
    for (const auto& [pattern, _] : document_["paths"].items()) templates_.push_back({pattern, segments(pattern)});
}

std::string OpenApiContract::template_for(const std::string& path) const {
    const auto actual = segments(path);
    std::string best;
    int best_literals = -1;
    for (const auto& [pattern, parts] : templates_) {
        if (parts.size() != actual.size()) continue;
        int literals = 0;
        bool ok = true;
        for (std::size_t i = 0; ok && i < parts.size(); ++i) {
            ok = segment_matches(parts[i], actual[i]);
            if (parts[i].find('{') == std::string::npos) ++literals;
        }
        // A literal segment wins over a parameter, as in the router ("/kiosk/" over "/kiosk/{file}").
        if (ok && literals > best_literals) {
            best = pattern;
            best_literals = literals;
        }
    }
    return best;
}

std::vector<std::string> OpenApiContract::check(const std::string& method_in, const std::string& target, int status,
                                                const std::string& content_type, const std::string& body) const {
    std::vector<std::string> problems;
    std::string method = method_in;
    for (auto& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const bool head = method == "head";
    if (head) method = "get";
    const auto path = target.substr(0, target.find('?'));
    const auto where = method_in + " " + target.substr(0, 120) + " → " + std::to_string(status) + ": ";
    const auto tmpl = template_for(path);
    const json* operation = nullptr;
    if (!tmpl.empty() && document_["paths"][tmpl].contains(method)) operation = &document_["paths"][tmpl][method];

    const json* response = nullptr;
    if (operation) {
        if (operation->contains("x-undocumented"))
            problems.push_back(where + "the operation is not described in server/api/openapi/");
        const auto& responses = (*operation)["responses"];
        const auto code = std::to_string(status);
        if (responses.contains(code))
            response = &responses[code];
        else if (status >= 400 && responses.contains("default"))
            response = &responses["default"];
        else
            problems.push_back(where + "status not documented for " + method + " " + tmpl);
    } else if (status < 400) {
        problems.push_back(where + "a success for an operation the document does not have");
        return problems;
    } else if (path.starts_with("/open311/v2/")) {
        // Routing errors (404, 405, 414, …) outside every operation, in GeoReport's format.
        static const json errors = {
            {"description", "GeoReport errors"},
            {"content",
             {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Open311Errors"}}}}},
              {"text/xml", {{"schema", {{"type", "string"}}}}}}}};
        response = &errors;
    } else {
        response = &document_["components"]["responses"]["Error"];
    }
    if (!response) return problems;
    if (response->contains("$ref")) {
        const auto ref = (*response)["$ref"].get<std::string>();
        response = &document_.at(json::json_pointer(ref.substr(1)));
    }
    if (head || status == 304 || status == 204 || status == 101) {
        if (!body.empty()) problems.push_back(where + "a body where none belongs");
        return problems;
    }
    if (!response->contains("content")) {
        if (!body.empty()) problems.push_back(where + "a body the document does not describe");
        return problems;
    }
    const auto type = media_type_of(content_type);
    const auto& content = (*response)["content"];
    if (!content.contains(type)) {
        problems.push_back(where + "media type " + type + " not among " + content.dump().substr(0, 200));
        return problems;
    }
    if (type != "application/json") return problems;  // text, XML, images, CSV: the type is the contract
    const auto parsed = json::parse(body, nullptr, false);
    if (parsed.is_discarded()) {
        problems.push_back(where + "the body is not JSON");
        return problems;
    }
    const auto& media = content[type];
    if (!media.contains("schema")) return problems;
    for (auto& p : schemas_.validate_schema(media["schema"], parsed)) problems.push_back(where + p);
    return problems;
}

void record_openapi_coverage(const OpenApiContract& contract, const std::string& method, const std::string& target,
                             int status) {
    static const char* file = std::getenv("CIVIC_OPENAPI_COVERAGE");
    if (!file || !*file) return;
    const auto path_template = contract.template_for(target.substr(0, target.find('?')));
    if (path_template.empty()) return;
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    std::ofstream out(file, std::ios::app);
    std::string upper = method;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    out << upper << ' ' << path_template << ' ' << status << '\n';
}

}  // namespace civic::test
