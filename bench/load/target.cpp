#include "bench/load/target.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace civic::load {

Target parse_target(std::string host, std::string_view ports) {
    std::vector<unsigned short> all;
    for (std::size_t start = 0; start <= ports.size();) {
        const auto end = std::min(ports.find(',', start), ports.size());
        const auto item = ports.substr(start, end - start);
        unsigned long n = 0;
        const auto [rest, error] = std::from_chars(item.data(), item.data() + item.size(), n);
        if (item.empty() || error != std::errc() || rest != item.data() + item.size() || n == 0 || n > 65535)
            throw std::invalid_argument("bad --port \"" + std::string(ports) +
                                        "\": ports are 1..65535, comma-separated");
        all.push_back(static_cast<unsigned short>(n));
        start = end + 1;
    }
    Target t;
    t.host = std::move(host);
    t.port = all.front();
    t.more_ports.assign(all.begin() + 1, all.end());
    return t;
}

}  // namespace civic::load
