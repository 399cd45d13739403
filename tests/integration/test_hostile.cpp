// Slow and hostile clients: while hundreds of connections trickle half a request, one floods
// pipelined requests without reading the answers, and others send absurd framing, the daemon
// keeps answering everyone else, and its memory stays bounded.
#include "support/daemon.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fstream>

namespace civic::test {
namespace {

// Writes what the socket takes without blocking; returns the bytes written.
std::size_t write_some(int fd, const std::string& bytes) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    std::size_t done = 0;
    while (done < bytes.size()) {
        const auto n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
    }
    return done;
}

std::int64_t rss_kib(pid_t pid) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6));
    return -1;
}

TEST(HostileClients, OthersAreServedAndMemoryStaysBounded) {
    Daemon d;
    ASSERT_EQ(d.get("/healthz").status, 200);
    const auto rss_before = rss_kib(d.pid());
    ASSERT_GT(rss_before, 0);

    // 300 slowloris connections: a request line and one header, then nothing.
    std::vector<int> slow;
    for (int i = 0; i < 300; ++i) {
        slow.push_back(connect_loopback(d.port()));
        write_some(slow.back(), "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    }
    // A pipelined flood that never reads its answers: the server reads ahead a bounded amount
    // and then TCP pushes back, so the flood cannot make it buffer without limit. 26 MB of
    // requests is more than both ends' loopback socket buffers hold.
    std::string flood;
    for (int i = 0; i < 600000; ++i) flood += "GET /api/v1/categories HTTP/1.1\r\nHost: x\r\n\r\n";
    const int flooder = connect_loopback(d.port());
    const auto flooded = write_some(flooder, flood);
    EXPECT_LT(flooded, flood.size()) << "the server should stop reading a client that does not read";

    // Absurd framing gets a clear refusal, not an allocation.
    const auto absurd = raw_exchange(d.port(),
                                     "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                     "Content-Length: 99999999999999999999\r\n\r\n{}");
    EXPECT_TRUE(absurd.rfind("HTTP/1.1 400", 0) == 0 || absurd.rfind("HTTP/1.1 413", 0) == 0) << absurd.substr(0, 80);
    const auto huge = raw_exchange(d.port(),
                                   "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                   "Content-Length: 1099511627776\r\n\r\n{}");
    EXPECT_EQ(huge.rfind("HTTP/1.1 413", 0), 0u) << huge.substr(0, 80);
    const auto header_bomb = raw_exchange(
        d.port(), "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n");
    EXPECT_EQ(header_bomb.rfind("HTTP/1.1 431", 0), 0u) << header_bomb.substr(0, 80);

    // Everyone else is still served, promptly enough for a 5 s client timeout.
    for (int i = 0; i < 20; ++i) {
        auto r = d.get("/api/v1/categories");
        EXPECT_EQ(r.status, 200);
    }
    const auto rss_during = rss_kib(d.pid());
    // 300 idle connections and one stalled flood: well under 64 MiB more than at rest.
    EXPECT_LT(rss_during - rss_before, 64 * 1024) << "RSS " << rss_before << " → " << rss_during << " KiB";
    RecordProperty("rss_before_kib", std::to_string(rss_before));
    RecordProperty("rss_during_kib", std::to_string(rss_during));

    for (int fd : slow) ::close(fd);
    ::close(flooder);
    EXPECT_EQ(d.get("/healthz").status, 200);
}

}  // namespace
}  // namespace civic::test
