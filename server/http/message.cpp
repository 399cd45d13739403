#include "server/http/message.hpp"

#include <charconv>
#include <stdexcept>

namespace civic::http {

std::optional<std::string_view> Request::header(std::string_view lower_name) const {
    for (const auto& [name, value] : headers)
        if (name == lower_name) return std::string_view(value);
    return std::nullopt;
}

bool Request::etag_matches(std::string_view etag) const {
    const auto list = header("if-none-match");
    if (!list) return false;
    std::string_view rest = *list;
    for (;;) {
        const auto comma = rest.find(',');
        auto item = rest.substr(0, comma);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
        if (item.starts_with("W/")) item.remove_prefix(2);
        if (item == "*" || item == etag) return true;
        if (comma == std::string_view::npos) return false;
        rest.remove_prefix(comma + 1);
    }
}

std::optional<std::string_view> Request::query_param(std::string_view name) const {
    for (const auto& [key, value] : query)
        if (key == name) return std::string_view(value);
    return std::nullopt;
}

std::string_view Request::param(std::string_view name) const {
    for (const auto& [key, value] : params)
        if (key == name) return value;
    throw std::logic_error("route has no parameter " + std::string(name));
}

std::int64_t Request::param_int(std::string_view name) const {
    const auto text = param(name);
    std::int64_t value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

bool parse_query_into(std::string_view query, bool plus_is_space, StringPairs& out) {
    PairWriter pairs(out);
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto piece = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (piece.empty()) continue;
        const auto eq = piece.find('=');
        auto& [key, value] = pairs.next();
        if (!percent_decode_into(piece.substr(0, eq), plus_is_space, key) ||
            !percent_decode_into(eq == std::string_view::npos ? std::string_view{} : piece.substr(eq + 1),
                                 plus_is_space, value))
            return false;
    }
    return true;
}

std::optional<StringPairs> parse_query(std::string_view query, bool plus_is_space) {
    StringPairs out;
    if (!parse_query_into(query, plus_is_space, out)) return std::nullopt;
    return out;
}

}  // namespace civic::http
