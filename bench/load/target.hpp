#pragma once
// Where the load goes: one host and one or more daemons' ports on it (several nodes over one
// database). Connection i of a run goes to the (i mod n)-th port, so connections are spread
// evenly and each stays with its node.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace civic::load {

struct Target {
    std::string host = "127.0.0.1";
    unsigned short port = 8080;
    std::vector<unsigned short> more_ports;  // the other nodes; fetch() and hold_idle() use `port`

    unsigned short port_for(std::size_t connection) const {
        const auto k = connection % (1 + more_ports.size());
        return k == 0 ? port : more_ports[k - 1];
    }
};

// "P" or "P1,P2,...": std::invalid_argument for an empty list, an empty item, a non-number or a
// port outside 1..65535.
Target parse_target(std::string host, std::string_view ports);

}  // namespace civic::load
