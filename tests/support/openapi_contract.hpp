#pragma once
// The served OpenAPI document as a contract every response is held to (docs/api.md "OpenAPI"):
// Daemon::request passes each response it receives here, so the whole integration suite checks
// real answers against the document: the operation exists for the method and path, the status is
// documented for it (or falls under its `default` error), the media type is one the document lists
// for that status, and a JSON body validates against that media type's schema, with objects
// closed (a field the document does not name is a problem).
#include "support/json_schema.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace civic::test {

class OpenApiContract {
public:
    // Throws std::runtime_error when a schema of the document uses a keyword, type or format the
    // validator does not check (JsonSchemas::lint_document).
    explicit OpenApiContract(nlohmann::json document);

    // Problems with one exchange; empty when the response keeps the contract.
    std::vector<std::string> check(const std::string& method, const std::string& target, int status,
                                   const std::string& content_type, const std::string& body) const;

    // The document's path template for a concrete path ("/api/v1/reports/{id}"), or "".
    std::string template_for(const std::string& path) const;

    const nlohmann::json& document() const { return document_; }

private:
    nlohmann::json document_;
    JsonSchemas schemas_;
    // Each path template and its segments, split once.
    std::vector<std::pair<std::string, std::vector<std::string>>> templates_;
};

// When the environment names a file in CIVIC_OPENAPI_COVERAGE, one line "METHOD template status"
// is appended to it for a target the document has a template for (Daemon::request calls this for
// every response it validates), to list what the suite covered; otherwise nothing is done.
void record_openapi_coverage(const OpenApiContract& contract, const std::string& method, const std::string& target,
                             int status);

}  // namespace civic::test
