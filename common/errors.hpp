#pragma once
// The API's error vocabulary (API.md §0). Thrown anywhere below the HTTP layer and rendered
// once, by the session, as {"error":{"code","message"[,"field"]}}.
#include <cstdint>
#include <stdexcept>
#include <string>

namespace civic {

class ApiError : public std::runtime_error {
public:
    ApiError(int status, std::string code, std::string message, std::string field = {})
        : std::runtime_error(message), status_(status), code_(std::move(code)), field_(std::move(field)) {}

    int status() const noexcept { return status_; }
    const std::string& code() const noexcept { return code_; }
    const std::string& field() const noexcept { return field_; }
    // Seconds for the Retry-After header (429, 503); 0 = none.
    std::int64_t retry_after() const noexcept { return retry_after_; }
    ApiError& with_retry_after(std::int64_t seconds) {
        retry_after_ = seconds;
        return *this;
    }

    static ApiError bad_request(std::string m) { return {400, "bad_request", std::move(m)}; }
    static ApiError invalid_field(std::string field, std::string m) {
        return {400, "invalid_field", std::move(m), std::move(field)};
    }
    static ApiError unauthorized(std::string m = "authentication required") {
        return {401, "unauthorized", std::move(m)};
    }
    static ApiError forbidden(std::string m = "not allowed for this account") {
        return {403, "forbidden", std::move(m)};
    }
    static ApiError not_found(std::string m = "not found") { return {404, "not_found", std::move(m)}; }
    static ApiError method_not_allowed() { return {405, "method_not_allowed", "method not allowed on this path"}; }
    static ApiError conflict(std::string m) { return {409, "conflict", std::move(m)}; }
    static ApiError invalid_transition(std::string m) { return {409, "invalid_transition", std::move(m)}; }
    static ApiError payload_too_large(std::string m) { return {413, "payload_too_large", std::move(m)}; }
    static ApiError unsupported_media_type(std::string m) { return {415, "unsupported_media_type", std::move(m)}; }
    static ApiError rate_limited(std::int64_t retry_after_s, std::string m = "too many requests") {
        ApiError e{429, "rate_limited", std::move(m)};
        e.retry_after_ = retry_after_s;
        return e;
    }
    static ApiError unavailable(std::int64_t retry_after_s, std::string m = "temporarily unavailable") {
        ApiError e{503, "unavailable", std::move(m)};
        e.retry_after_ = retry_after_s;
        return e;
    }

private:
    int status_;
    std::string code_;
    std::string field_;
    std::int64_t retry_after_ = 0;
};

}  // namespace civic
