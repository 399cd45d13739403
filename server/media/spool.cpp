#include "server/media/spool.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace civic {

namespace {
MediaError disk_error(const char* what) {
    return {503, "unavailable",
            std::string("storage temporarily unavailable (") + what + ": " + std::strerror(errno) + ")"};
}
}  // namespace

MediaResult<std::shared_ptr<SpooledFile>> SpooledFile::create(const std::string& dir) {
    std::string path = dir + "/upload-XXXXXX";
    const int fd = ::mkostemp(path.data(), O_CLOEXEC);
    if (fd < 0) return disk_error("spool file");
    ::unlink(path.c_str());  // anonymous from now on: gone with the last handle, even after a crash
    return std::shared_ptr<SpooledFile>(new SpooledFile(fd));
}

SpooledFile::~SpooledFile() {
    if (fd_ >= 0) ::close(fd_);
}

std::optional<MediaError> SpooledFile::append(std::string_view bytes) {
    size_ += bytes.size();
    if (buffer_.capacity() < kSpoolBufferBytes) buffer_.reserve(kSpoolBufferBytes);
    while (!bytes.empty()) {
        const std::size_t take = std::min(bytes.size(), kSpoolBufferBytes - buffer_.size());
        buffer_.append(bytes.substr(0, take));
        bytes.remove_prefix(take);
        if (buffer_.size() == kSpoolBufferBytes)
            if (auto err = flush()) return err;
    }
    return std::nullopt;
}

std::optional<MediaError> SpooledFile::flush() {
    std::string_view out = buffer_;
    while (!out.empty()) {
        const ssize_t n = ::pwrite(fd_, out.data(), out.size(), static_cast<off_t>(written_));
        if (n < 0) {
            if (errno == EINTR) continue;
            return disk_error("spool write");
        }
        written_ += static_cast<std::size_t>(n);
        out.remove_prefix(static_cast<std::size_t>(n));
    }
    buffer_.clear();
    return std::nullopt;
}

MediaResult<std::string> SpooledFile::read_all() const {
    std::string out(written_, '\0');
    std::size_t done = 0;
    while (done < written_) {
        const ssize_t n = ::pread(fd_, out.data() + done, written_ - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return disk_error("spool read");
        done += static_cast<std::size_t>(n);
    }
    out.append(buffer_);  // anything not flushed yet
    return out;
}

}  // namespace civic
