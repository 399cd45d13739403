#include "server/domain/masking.hpp"

#include "common/utf8.hpp"

namespace civic::domain {

std::string mask_name(std::string_view name) {
    if (name.empty()) return "*";
    // Length of the first UTF-8 sequence, from its lead byte (names are validated UTF-8).
    const auto lead = static_cast<unsigned char>(name[0]);
    std::size_t first = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
    first = std::min(first, name.size());
    const auto rest = utf8::length(name.substr(first));
    return std::string(name.substr(0, first)) + std::string(std::max<std::size_t>(rest, 1), '*');
}

}  // namespace civic::domain
