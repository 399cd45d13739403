#include "server/http/byte_range.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <string>

namespace civic::http {

namespace {

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// Digits only; a number past 2^64 saturates (it is past any body's end all the same).
std::optional<std::uint64_t> parse_position(std::string_view digits) {
    if (digits.empty()) return std::nullopt;
    for (char c : digits)
        if (c < '0' || c > '9') return std::nullopt;
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec == std::errc::result_out_of_range) return std::numeric_limits<std::uint64_t>::max();
    return value;
}

bool starts_with_bytes_unit(std::string_view s) {
    static constexpr std::string_view kUnit = "bytes=";
    if (s.size() < kUnit.size()) return false;
    for (std::size_t i = 0; i < kUnit.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(s[i])) != kUnit[i]) return false;
    return true;
}

}  // namespace

RangeDecision decide_range(std::optional<std::string_view> range, std::optional<std::string_view> if_range,
                           std::string_view etag, std::uint64_t size) {
    RangeDecision whole;
    if (!range) return whole;
    // If-Range: only our own strong tag, compared strongly, lets the range through.
    if (if_range && trim(*if_range) != etag) return whole;
    auto spec = trim(*range);
    if (!starts_with_bytes_unit(spec)) return whole;
    spec = trim(spec.substr(6));
    if (spec.find(',') != std::string_view::npos) return whole;  // several ranges: the whole body
    const auto dash = spec.find('-');
    if (dash == std::string_view::npos) return whole;
    const auto first_text = trim(spec.substr(0, dash));
    const auto last_text = trim(spec.substr(dash + 1));
    RangeDecision out;
    out.span.size = size;
    if (first_text.empty()) {
        // "-n": the last n bytes.
        const auto suffix = parse_position(last_text);
        if (!suffix) return whole;
        if (*suffix == 0 || size == 0) return {RangeDecision::Kind::unsatisfiable, {}};
        out.span.first = size - std::min(*suffix, size);
        out.span.last = size - 1;
    } else {
        const auto first = parse_position(first_text);
        if (!first) return whole;
        std::optional<std::uint64_t> last;
        if (!last_text.empty()) {
            last = parse_position(last_text);
            if (!last || *last < *first) return whole;  // invalid: ignored (RFC 9110 §14.1.1)
        }
        if (*first >= size) return {RangeDecision::Kind::unsatisfiable, {}};
        out.span.first = *first;
        out.span.last = std::min(last.value_or(size - 1), size - 1);
    }
    out.kind = RangeDecision::Kind::partial;
    return out;
}

std::string content_range(const ByteSpan& span) {
    return "bytes " + std::to_string(span.first) + "-" + std::to_string(span.last) + "/" + std::to_string(span.size);
}

std::string unsatisfiable_content_range(std::uint64_t size) { return "bytes */" + std::to_string(size); }

}  // namespace civic::http
