#pragma once
// Outcome values for the media code (multipart parsing, photo processing). These libraries
// run on worker threads and under fuzzers, so they report failures as values instead of
// throwing; the HTTP layer turns a MediaError into an ApiError with `to_api_error`.
#include "common/errors.hpp"

#include <string>
#include <utility>
#include <variant>

namespace civic {

struct MediaError {
    int status = 400;     // 400, 413, 415, or 503 (a spool file the disk refused)
    std::string code;     // API.md §0: bad_request, payload_too_large, unsupported_media_type
    std::string message;  // human text, safe to show to the client

    static MediaError bad_request(std::string m) { return {400, "bad_request", std::move(m)}; }
    static MediaError too_large(std::string m) { return {413, "payload_too_large", std::move(m)}; }
    static MediaError unsupported(std::string m) { return {415, "unsupported_media_type", std::move(m)}; }

    friend bool operator==(const MediaError&, const MediaError&) = default;
};

inline ApiError to_api_error(const MediaError& e) { return ApiError(e.status, e.code, e.message); }

// Either a value or a MediaError (std::expected is C++23).
template <class T>
class MediaResult {
public:
    MediaResult(T value) : state_(std::move(value)) {}
    MediaResult(MediaError error) : state_(std::move(error)) {}

    bool ok() const noexcept { return std::holds_alternative<T>(state_); }
    explicit operator bool() const noexcept { return ok(); }

    T& value() { return std::get<T>(state_); }
    const T& value() const { return std::get<T>(state_); }
    const MediaError& error() const { return std::get<MediaError>(state_); }

private:
    std::variant<T, MediaError> state_;
};

}  // namespace civic
