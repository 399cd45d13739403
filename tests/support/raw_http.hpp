#pragma once
// Integration-test support for tests that speak HTTP over a raw socket.
#include <sys/socket.h>

#include <string>

namespace civic::test {

// Reads until the end of a response head (CRLF CRLF) or until the server closes.
inline std::string read_response_head(int fd) {
    std::string in;
    char buf[4096];
    while (in.find("\r\n\r\n") == std::string::npos) {
        const auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) break;
        in.append(buf, static_cast<std::size_t>(n));
    }
    return in;
}

}  // namespace civic::test
