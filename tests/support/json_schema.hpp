#pragma once
// A JSON Schema validator for the subset the GeoReport v2 schemas (tests/data/open311-schemas)
// and civicsnap's OpenAPI 3.1 document (server/api/openapi/) use: type (a name or a list, so
// ["string","null"] is nullable), enum, const, required, properties, additionalProperties, items,
// minItems, maxItems, anyOf, oneOf, allOf, not, $ref to a sibling file or into the document
// ("#/components/schemas/Report"), minimum, maximum, multipleOf, minLength, maxLength, pattern,
// format (date-time, uri), uniqueItems. A keyword outside that subset fails validation loudly rather
// than being skipped, so a schema change cannot make the tests pass by ignoring a rule; and
// lint_document finds such keywords in every schema of a document at once, also in those no
// answer of a test happens to reach. Keywords beside a $ref apply too (OpenAPI 3.1).
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace civic::test {

class JsonSchemas {
public:
    explicit JsonSchemas(std::string directory);  // where request.json, services.json, … live
    // Schemas inside one document (an OpenAPI file): "#/…" references resolve against it.
    static JsonSchemas of_document(nlohmann::json document);
    // Problems found ("$[0].status: not in enum"), empty when `value` is valid against `file`.
    // With `closed_objects`, an object field that the schema's properties do not list is a problem
    // too (our answers use exactly the specification's field names).
    std::vector<std::string> validate(const std::string& file, const nlohmann::json& value,
                                      bool closed_objects = true) const;
    // The same against a schema of the document given to of_document (e.g. a response schema).
    std::vector<std::string> validate_schema(const nlohmann::json& schema, const nlohmann::json& value,
                                             bool closed_objects = true) const;

    // Keywords, types and formats outside the subset in `schema` and the schemas under it
    // ("/components/schemas/Report/properties/x: unsupported keyword exclusiveMinimum").
    static void lint(const nlohmann::json& schema, const std::string& where, std::vector<std::string>& problems);
    // The same for every schema of an OpenAPI document.
    static std::vector<std::string> lint_document(const nlohmann::json& document);

private:
    const nlohmann::json& load(const std::string& file) const;
    // `root` is the file or document the schema is part of ("#/…" references resolve in it).
    // `open_here`: this object's extra fields are judged by an enclosing allOf, not here.
    void check(const nlohmann::json& schema, const nlohmann::json& root, const nlohmann::json& value,
               const std::string& where, bool closed, std::vector<std::string>& problems, bool open_here = false) const;
    // The schema a $ref names, and the root its own references resolve in.
    std::pair<const nlohmann::json*, const nlohmann::json*> resolve(const std::string& ref,
                                                                    const nlohmann::json& root) const;
    // Names an object may carry under `schema`: its properties and those of its allOf members.
    void allowed_fields(const nlohmann::json& schema, const nlohmann::json& root,
                        std::vector<std::string>& names) const;
    std::string dir_;
    // A map: its nodes never move, so a schema being checked stays valid while a $ref loads another.
    mutable std::map<std::string, nlohmann::json> cache_;
};

}  // namespace civic::test
