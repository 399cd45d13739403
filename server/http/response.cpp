#include "server/http/response.hpp"

#include "common/json.hpp"

namespace civic::http {

Response json_response(int status, const nlohmann::json& body) {
    Response r;
    r.status = status;
    r.body = jsonutil::dump(body);
    return r;
}

Response error_response(const ApiError& error) {
    nlohmann::json inner = {{"code", error.code()}, {"message", error.what()}};
    if (!error.field().empty()) inner["field"] = error.field();
    auto r = json_response(error.status(), {{"error", std::move(inner)}});
    if (error.retry_after() > 0) r.header("Retry-After", std::to_string(error.retry_after()));
    return r;
}

Response no_content() {
    Response r;
    r.status = 204;
    r.content_type = "application/json";
    return r;
}

}  // namespace civic::http
