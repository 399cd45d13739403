// SIGTERM with a request still in flight when the shutdown grace (http::limits::kShutdownGrace)
// ends. The daemon must drop it and exit 0 without touching what it has already torn down: the
// dropped connection's coroutine used to be destroyed with the I/O contexts, after the metrics
// and the server it reports to (a use after free that the AddressSanitizer pass of scripts/test
// turns into an abort).
#include "support/daemon.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace civic::test {
namespace {

using namespace std::chrono_literals;

// Sends an upload's head and then its body one byte a second, forever: slower than any client
// should be, but inside the server's per-chunk timeout, so the request is in flight throughout.
class DribblingUpload {
public:
    DribblingUpload(unsigned short port, const std::string& token) : fd_(connect_loopback(port)) {
        const std::string head = "POST /api/v1/reports HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer " + token +
                                 "\r\nContent-Type: multipart/form-data; boundary=b\r\nContent-Length: 1000000\r\n\r\n"
                                 "--b\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\n";
        send_text(head);
        thread_ = std::thread([this] {
            std::unique_lock lock(mutex_);
            while (!stop_ && send_text("x")) wake_.wait_for(lock, 1s);  // pacing, not an assertion
        });
    }
    ~DribblingUpload() {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        thread_.join();
        ::close(fd_);
    }

private:
    bool send_text(const std::string& s) { return ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) == ssize_t(s.size()); }

    int fd_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    std::thread thread_;
};

TEST(Shutdown, ARequestStillInFlightWhenTheGraceEndsIsDroppedAndTheDaemonExitsCleanly) {
    Daemon d;
    const auto token = d.register_resident("13600000091");
    DribblingUpload upload(d.port(), token);
    EXPECT_EQ(d.get("/healthz").status, 200);  // the upload's head has reached the server

    EXPECT_EQ(d.stop(), 0) << d.log();  // returns after the grace: the upload never ends
    EXPECT_NE(d.log().find("shutdown grace ended with 1 connection(s) open"), std::string::npos) << d.log();
}

}  // namespace
}  // namespace civic::test
