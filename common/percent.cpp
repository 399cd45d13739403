#include "common/percent.hpp"

namespace civic {

namespace {
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
}  // namespace

bool percent_decode_into(std::string_view text, bool plus_is_space, std::string& out) {
    const auto first = text.find_first_of(plus_is_space ? std::string_view("%+") : std::string_view("%"));
    out.assign(text.substr(0, first));
    if (first == std::string_view::npos) return true;  // nothing to decode: the common case
    for (std::size_t i = first; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%') {
            if (i + 2 >= text.size()) return false;
            const int hi = hex_value(text[i + 1]);
            const int lo = hex_value(text[i + 2]);
            if (hi < 0 || lo < 0) return false;
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else if (c == '+' && plus_is_space) {
            out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    return true;
}

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space) {
    std::string out;
    if (!percent_decode_into(text, plus_is_space, out)) return std::nullopt;
    return out;
}

}  // namespace civic
