#include "common/json.hpp"

namespace civic::jsonutil {
namespace {

// Counts bracket nesting outside string literals. Only an upper bound matters here: malformed
// bracket structure is left for the real parser to reject.
bool within_depth(std::string_view text, int max_depth) {
    int depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                in_string = false;
            continue;
        }
        switch (c) {
            case '"':
                in_string = true;
                break;
            case '[':
            case '{':
                if (++depth > max_depth) return false;
                break;
            case ']':
            case '}':
                if (depth > 0) --depth;
                break;
            default:
                break;
        }
    }
    return true;
}

}  // namespace

std::optional<nlohmann::json> parse(std::string_view text, int max_depth) noexcept {
    try {
        // nlohmann's lexer takes a NUL byte for the end of input, so "1\0junk" would parse as 1
        // and the junk be silently dropped. A raw NUL is never valid JSON (inside a string it
        // must be escaped as \u0000), so refuse it outright. Found by tests/fuzz/fuzz_json_body.
        if (text.find('\0') != std::string_view::npos) return std::nullopt;
        if (!within_depth(text, max_depth)) return std::nullopt;
        // allow_exceptions=false: syntax errors come back as a discarded value; comments stay
        // disallowed and the whole input must be one value (strict mode rejects trailing data).
        nlohmann::json j = nlohmann::json::parse(text.begin(), text.end(), nullptr, false, false);
        if (j.is_discarded()) return std::nullopt;
        return j;
    } catch (...) {
        return std::nullopt;
    }
}

std::string dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

}  // namespace civic::jsonutil
