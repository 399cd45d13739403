#pragma once
// One byte range of a representation (RFC 9110 §14): what a `Range` header, read together with
// `If-Range`, asks of a body of known size. Pure; the photo reads use it (docs/photos.md §7).
//
// Only single ranges are served: a list of ranges is answered whole (200), as RFC 9110 §14.2
// allows a server to ignore Range, and so is a header that does not parse, another unit than
// bytes, or an `If-Range` that is not our strong ETag (a date or another tag: the client's copy
// is not this one, so it gets the whole new one).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace civic::http {

// Bytes first..last, inclusive, of a body of `size` bytes.
struct ByteSpan {
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    std::uint64_t size = 0;  // of the whole body
    std::uint64_t length() const { return last - first + 1; }
};

struct RangeDecision {
    enum class Kind { whole, partial, unsatisfiable } kind = Kind::whole;
    ByteSpan span;  // partial only
};

// `range` and `if_range` are the request's headers (nullopt when absent); `etag` is the strong
// ETag of the body as sent ("\"…\"", quotes included).
RangeDecision decide_range(std::optional<std::string_view> range, std::optional<std::string_view> if_range,
                           std::string_view etag, std::uint64_t size);

// "bytes 0-9/100" for a 206, "bytes */100" for a 416.
std::string content_range(const ByteSpan& span);
std::string unsatisfiable_content_range(std::uint64_t size);

}  // namespace civic::http
