#pragma once
// Hardened JSON entry/exit points for request and response bodies.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace civic::jsonutil {

inline constexpr int kMaxDepth = 32;

// nullopt on malformed JSON, nesting deeper than max_depth (a scalar is depth 0, "[]" is 1),
// invalid UTF-8 or unpaired surrogate escapes in strings, or trailing garbage. Depth is checked
// by a flat pre-scan before any parsing, so hostile "[[[[..." input costs O(n) and no stack.
// Never throws (allocation failure also yields nullopt).
std::optional<nlohmann::json> parse(std::string_view text, int max_depth = kMaxDepth) noexcept;

// Compact serialisation; invalid UTF-8 in strings is replaced with U+FFFD instead of throwing.
std::string dump(const nlohmann::json& j);

}  // namespace civic::jsonutil
