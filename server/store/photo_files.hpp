#pragma once
// The content-addressed photo store: data/photos/ab/cd/<sha256>.<ext>. A file is written to a
// temporary name (beside it, or a staged file in the root: the same filesystem), fsynced, renamed
// into place and its directory fsynced, so that once `put` returns the bytes survive a crash, and
// a reader never sees half a file. Same bytes → one file.
// Blocking: call from the worker pool.
#include "common/sha256_stream.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace civic::store {

// The one place photo file names are made: "<sha256>.jpg" / "<sha256>.png" for an original of
// that format ("jpeg" or "png"), "<sha256>.thumb.jpg" for its thumbnail.
std::string original_file_name(std::string_view sha256, std::string_view format);
std::string thumbnail_file_name(std::string_view sha256);
// A name of that shape: 64 lower-case hex digits, '.', an extension, no '/'.
bool is_photo_file_name(std::string_view name);
// "ab/cd/<name>" for such a name (the folder layout under file:DIR and the object key in a
// bucket). Throws std::invalid_argument for anything else.
std::string photo_key(std::string_view name);
// The name back from a key of that shape, or nullopt (a foreign object in the bucket).
std::optional<std::string> photo_name_of_key(std::string_view key);

// A file being written to be taken into a photo store whole (PhotoStore::put_staged): created
// as "<dir>/.tmp-<random>", written through one bounded buffer (kStagedBufferBytes) and hashed as
// it is written, so the content address costs no second pass. Removed when destroyed unless it
// was moved into place. Blocking: use from the worker pool.
class StagedFile {
public:
    static constexpr std::size_t kStagedBufferBytes = 64 * 1024;

    // Creates the file in `dir` (which must exist). ApiError 503 when the disk refuses.
    explicit StagedFile(const std::filesystem::path& dir);
    ~StagedFile();
    StagedFile(const StagedFile&) = delete;
    StagedFile& operator=(const StagedFile&) = delete;

    // Buffered. False once a write failed (the disk is full or failing): `finish` then throws.
    bool append(std::string_view bytes) noexcept;
    // Writes out the buffer, releases it and ends the digest. ApiError 503 for a write that failed, here or
    // in an earlier append.
    void finish();

    std::uint64_t size() const noexcept { return size_; }
    const std::string& sha256_hex() const noexcept { return sha256_hex_; }  // after finish
    const std::filesystem::path& path() const noexcept { return path_; }
    int fd() const noexcept { return fd_; }
    // The file now lives under another name (renamed into the store): nothing to remove.
    void moved() noexcept { moved_ = true; }

private:
    bool write_buffer() noexcept;

    std::filesystem::path path_;
    int fd_ = -1;
    std::string buffer_;
    std::uint64_t size_ = 0;
    crypto::Sha256Stream digest_;
    std::string sha256_hex_;
    int write_errno_ = 0;  // the first failed write's errno
    bool moved_ = false;
};

// A photo file open for reading in pieces (streamed photo reads). Blocking; closes on destruction.
class OpenPhotoFile {
public:
    OpenPhotoFile(int fd, std::uint64_t size, std::filesystem::path path)
        : fd_(fd), size_(size), path_(std::move(path)) {}
    ~OpenPhotoFile();
    OpenPhotoFile(const OpenPhotoFile&) = delete;
    OpenPhotoFile& operator=(const OpenPhotoFile&) = delete;

    std::uint64_t size() const { return size_; }  // at open (a content-addressed file never changes)
    // Up to `n` bytes at `offset` into `out`; fewer only at the end of the file. ApiError 503
    // when the disk cannot be read.
    std::size_t read_at(std::uint64_t offset, char* out, std::size_t n) const;

private:
    int fd_;
    std::uint64_t size_;
    std::filesystem::path path_;
};

class PhotoFiles {
public:
    explicit PhotoFiles(std::filesystem::path root) : root_(std::move(root)) {}

    // `name` is "<sha256>.<ext>" or "<sha256>.thumb.jpg"; sha256 is 64 lower-case hex digits.
    std::filesystem::path path_of(std::string_view name) const;
    // Durably stores `bytes` under `name` unless it is there already. Throws ApiError 503 when
    // the disk is full or failing, std::system_error otherwise.
    void put(std::string_view name, std::string_view bytes) const;
    // Durably stores a finished staged file under `name` by renaming it into place (fsync, rename,
    // directory fsync): its bytes are not copied. When `name` is there already it is only touched
    // (the staged file is then removed with its object). Stage in `staging_dir()` so that the
    // rename never crosses a filesystem. Throws like `put`.
    void put_staged(std::string_view name, StagedFile& staged) const;
    // The store's own root: a staged file there is on the store's filesystem.
    const std::filesystem::path& staging_dir() const noexcept { return root_; }
    // The file's bytes, or nullopt when it does not exist. Throws ApiError 503 when the disk
    // cannot be read (EIO, EACCES, a folder on the way replaced by a file), std::system_error
    // otherwise.
    std::optional<std::string> get(std::string_view name) const;
    // The file open for reading, or nullptr when it does not exist. Errors as `get`.
    std::unique_ptr<OpenPhotoFile> open(std::string_view name) const;

private:
    std::filesystem::path root_;
};

}  // namespace civic::store
