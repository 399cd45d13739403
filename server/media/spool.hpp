#pragma once
// An upload part's bytes on disk instead of in memory (docs/architecture.md, "Memory under
// load"): a temporary file in the spool folder, unlinked the moment it is created, so it holds
// disk space only while a handle is open and a crash leaves nothing behind. Appends go through
// one bounded buffer (kSpoolBufferBytes), so a 10 MiB photo costs 64 KiB of memory while it
// arrives; it is read back whole only inside a photo decode slot.
#include "server/media/media_result.hpp"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace civic {

inline constexpr std::size_t kSpoolBufferBytes = 64 * 1024;

class SpooledFile {
public:
    // A new empty file in `dir` (which must exist). 503 `unavailable` when it cannot be created.
    static MediaResult<std::shared_ptr<SpooledFile>> create(const std::string& dir);
    ~SpooledFile();
    SpooledFile(const SpooledFile&) = delete;
    SpooledFile& operator=(const SpooledFile&) = delete;

    // Buffered; 503 when the disk refuses (full, I/O error).
    std::optional<MediaError> append(std::string_view bytes);
    // Writes out what is buffered; call once the part is complete.
    std::optional<MediaError> flush();
    std::size_t size() const noexcept { return size_; }
    // The whole content (after flush). 503 on a read error.
    MediaResult<std::string> read_all() const;

private:
    explicit SpooledFile(int fd) : fd_(fd) {}
    int fd_ = -1;
    std::size_t size_ = 0;  // appended so far, buffered or written
    std::size_t written_ = 0;
    std::string buffer_;
};

}  // namespace civic
