#pragma once
// One JSON line per request, written by a background thread so an I/O thread never blocks on
// a slow terminal or pipe. Only what is passed here is logged: never bodies, query strings,
// tokens, passwords or phone numbers (callers pass the route pattern, not the target).
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

namespace civic::http {

class AccessLog {
public:
    explicit AccessLog(std::FILE* out);
    ~AccessLog();
    void write(std::string line);  // a complete line without the trailing newline
    void flush();                  // waits until everything queued is written

private:
    void loop();
    std::FILE* out_;
    std::mutex mutex_;
    std::condition_variable wake_, drained_;
    std::deque<std::string> queue_;
    bool stopping_ = false;
    bool writing_ = false;
    std::thread thread_;
};

}  // namespace civic::http
