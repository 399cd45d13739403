#include "server/store/photo_files.hpp"

#include "common/crypto.hpp"
#include "common/errors.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace civic::store {

std::string original_file_name(std::string_view sha256, std::string_view format) {
    return std::string(sha256) + (format == "png" ? ".png" : ".jpg");
}

std::string thumbnail_file_name(std::string_view sha256) { return std::string(sha256) + ".thumb.jpg"; }

bool is_photo_file_name(std::string_view name) {
    if (name.size() < 66 || name.find('/') != std::string_view::npos) return false;
    for (char c : name.substr(0, 64))
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return name[64] == '.';
}

std::string photo_key(std::string_view name) {
    if (!is_photo_file_name(name)) throw std::invalid_argument("photo file name must start with a sha256");
    return std::string(name.substr(0, 2)) + "/" + std::string(name.substr(2, 2)) + "/" + std::string(name);
}

std::optional<std::string> photo_name_of_key(std::string_view key) {
    if (key.size() < 6 || key[2] != '/' || key[5] != '/') return std::nullopt;
    const auto name = key.substr(6);
    if (!is_photo_file_name(name) || name.substr(0, 2) != key.substr(0, 2) || name.substr(2, 2) != key.substr(3, 2))
        return std::nullopt;
    return std::string(name);
}

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const char* what, const fs::path& path) {
    const int err = errno;
    if (err == ENOSPC || err == EDQUOT || err == EIO || err == EROFS || err == EACCES || err == EPERM || err == ENOTDIR)
        throw ApiError::unavailable(30, std::string("the photo store cannot be used now (") + what + ")");
    throw std::system_error(err, std::generic_category(), std::string(what) + " " + path.string());
}

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }
    int release() { return std::exchange(fd_, -1); }

private:
    int fd_;
};

void fsync_dir(const fs::path& dir) {
    Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0 || ::fsync(fd.get()) != 0) fail("fsync", dir);
}

// Creates `dir` and any missing parents, fsyncing each parent whose entry list changed.
void make_dirs_durably(const fs::path& dir) {
    if (fs::is_directory(dir)) return;
    make_dirs_durably(dir.parent_path());
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) fail("mkdir", dir);
    fsync_dir(dir.parent_path());
}

void write_all(int fd, std::string_view bytes, const fs::path& path) {
    while (!bytes.empty()) {
        const auto n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            fail("write", path);
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

}  // namespace

StagedFile::StagedFile(const fs::path& dir) : path_(dir / (".tmp-" + crypto::random_token(12))) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd_ < 0) fail("create", path_);
    buffer_.reserve(kStagedBufferBytes);
}

StagedFile::~StagedFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!moved_) ::unlink(path_.c_str());
}

bool StagedFile::write_buffer() noexcept {
    std::string_view out = buffer_;
    while (!out.empty()) {
        const auto n = ::write(fd_, out.data(), out.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            write_errno_ = errno;
            return false;
        }
        out.remove_prefix(static_cast<std::size_t>(n));
    }
    buffer_.clear();
    return true;
}

bool StagedFile::append(std::string_view bytes) noexcept {
    if (write_errno_ != 0) return false;
    try {
        digest_.update(bytes);
    } catch (...) {
        write_errno_ = EIO;
        return false;
    }
    size_ += bytes.size();
    while (!bytes.empty()) {
        const std::size_t take = std::min(bytes.size(), kStagedBufferBytes - buffer_.size());
        buffer_.append(bytes.substr(0, take));  // within the reserved capacity: no allocation
        bytes.remove_prefix(take);
        if (buffer_.size() == kStagedBufferBytes && !write_buffer()) return false;
    }
    return true;
}

void StagedFile::finish() {
    if (write_errno_ == 0) write_buffer();
    if (write_errno_ != 0) {
        errno = write_errno_;
        fail("write", path_);
    }
    sha256_hex_ = digest_.hex_digest();
    std::string().swap(buffer_);  // nothing is appended after finish: the file may wait a while for its fsync
}

fs::path PhotoFiles::path_of(std::string_view name) const { return root_ / photo_key(name); }

void PhotoFiles::put_staged(std::string_view name, StagedFile& staged) const {
    const auto path = path_of(name);
    if (::utimensat(AT_FDCWD, path.c_str(), nullptr, 0) == 0) return;  // the same bytes, there already
    if (errno != ENOENT) fail("utimensat", path);
    const auto dir = path.parent_path();
    make_dirs_durably(dir);
    if (::fsync(staged.fd()) != 0) fail("fsync", staged.path());
    if (::rename(staged.path().c_str(), path.c_str()) != 0) fail("rename", path);
    staged.moved();
    fsync_dir(dir);
}

void PhotoFiles::put(std::string_view name, std::string_view bytes) const {
    const auto path = path_of(name);
    // Content-addressed: the same name is the same bytes. Touched, so that the sweep (which
    // removes only old unnamed files) cannot take it from under the row about to name it.
    if (::utimensat(AT_FDCWD, path.c_str(), nullptr, 0) == 0) return;
    if (errno != ENOENT) fail("utimensat", path);
    const auto dir = path.parent_path();
    make_dirs_durably(dir);
    const auto temp = dir / (".tmp-" + crypto::random_token(12));
    Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (fd.get() < 0) fail("create", temp);
    try {
        write_all(fd.get(), bytes, temp);
        if (::fsync(fd.get()) != 0) fail("fsync", temp);
        if (::close(fd.release()) != 0) fail("close", temp);
        if (::rename(temp.c_str(), path.c_str()) != 0) fail("rename", path);
    } catch (...) {
        ::unlink(temp.c_str());
        throw;
    }
    fsync_dir(dir);
}

std::unique_ptr<OpenPhotoFile> PhotoFiles::open(std::string_view name) const {
    auto path = path_of(name);
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        if (errno == ENOENT) return nullptr;
        fail("open", path);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) fail("stat", path);
    const auto size = static_cast<std::uint64_t>(st.st_size);
    return std::make_unique<OpenPhotoFile>(fd.release(), size, std::move(path));
}

OpenPhotoFile::~OpenPhotoFile() {
    if (fd_ >= 0) ::close(fd_);
}

std::size_t OpenPhotoFile::read_at(std::uint64_t offset, char* out, std::size_t n) const {
    std::size_t got = 0;
    while (got < n) {
        const auto r = ::pread(fd_, out + got, n - got, static_cast<off_t>(offset + got));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) fail("read", path_);
        if (r == 0) break;
        got += static_cast<std::size_t>(r);
    }
    return got;
}

std::optional<std::string> PhotoFiles::get(std::string_view name) const {
    const auto path = path_of(name);
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        if (errno == ENOENT) return std::nullopt;
        fail("open", path);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) fail("stat", path);
    // Sized once from the file: the bytes are held once, with no regrowth on the way.
    std::string bytes(static_cast<std::size_t>(st.st_size), '\0');
    std::size_t got = 0;
    while (got < bytes.size()) {
        const auto n = ::read(fd.get(), bytes.data() + got, bytes.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) fail("read", path);
        if (n == 0) break;  // shorter than it was: a content-addressed file never is
        got += static_cast<std::size_t>(n);
    }
    bytes.resize(got);
    return bytes;
}

}  // namespace civic::store
