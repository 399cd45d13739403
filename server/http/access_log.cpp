#include "server/http/access_log.hpp"

namespace civic::http {

namespace {
constexpr std::size_t kMaxQueuedLines = 100000;  // beyond this, lines are dropped, not buffered
}

AccessLog::AccessLog(std::FILE* out) : out_(out), thread_([this] { loop(); }) {}

AccessLog::~AccessLog() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
}

void AccessLog::write(std::string line) {
    {
        std::lock_guard lock(mutex_);
        if (queue_.size() >= kMaxQueuedLines) return;
        queue_.push_back(std::move(line));
    }
    wake_.notify_one();
}

void AccessLog::flush() {
    std::unique_lock lock(mutex_);
    drained_.wait(lock, [this] { return queue_.empty() && !writing_; });
}

void AccessLog::loop() {
    std::deque<std::string> batch;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            writing_ = false;
            drained_.notify_all();
            wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;
            batch.swap(queue_);
            writing_ = true;
        }
        for (const auto& line : batch) {
            std::fwrite(line.data(), 1, line.size(), out_);
            std::fputc('\n', out_);
        }
        std::fflush(out_);
        batch.clear();
    }
}

}  // namespace civic::http
