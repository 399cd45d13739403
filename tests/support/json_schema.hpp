#pragma once
// A JSON Schema validator for the subset the GeoReport v2 schemas (tests/data/open311-schemas)
// use: type, enum, required, properties, items, anyOf, $ref to a sibling file, maxLength, format
// (date-time, uri). A keyword outside that subset fails validation loudly rather than being
// skipped, so a schema change cannot make the tests pass by ignoring a rule.
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

namespace civic::test {

class JsonSchemas {
public:
    explicit JsonSchemas(std::string directory);  // where request.json, services.json, … live
    // Problems found ("$[0].status: not in enum"), empty when `value` is valid against `file`.
    // With `closed_objects`, an object field that the schema's properties do not list is a problem
    // too (our answers use exactly the specification's field names).
    std::vector<std::string> validate(const std::string& file, const nlohmann::json& value,
                                      bool closed_objects = true) const;

private:
    const nlohmann::json& load(const std::string& file) const;
    void check(const nlohmann::json& schema, const nlohmann::json& value, const std::string& where, bool closed,
               std::vector<std::string>& problems) const;
    std::string dir_;
    // A map: its nodes never move, so a schema being checked stays valid while a $ref loads another.
    mutable std::map<std::string, nlohmann::json> cache_;
};

}  // namespace civic::test
