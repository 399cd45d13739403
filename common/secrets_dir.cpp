#include "common/secrets_dir.hpp"

#include "common/crypto.hpp"
#include "common/seal.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace civic::secrets {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxKeyFileBytes = 64 * 1024;  // a PEM key is a few hundred bytes

const char* const kKeyFiles[] = {kSealKeyFile, kCreditKeyFile};

std::string errno_text(int error) { return std::strerror(error); }

// The file's bytes; SecretsError saying what is wrong otherwise.
std::string read_key_file(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int error = errno;
        throw SecretsError(path.string() +
                           (error == ENOENT ? ": missing" : ": cannot be read (" + errno_text(error) + ")"));
    }
    std::string bytes(kMaxKeyFileBytes + 1, '\0');
    std::size_t have = 0;
    for (ssize_t n; have < bytes.size() && (n = ::read(fd, bytes.data() + have, bytes.size() - have)) != 0;) {
        if (n < 0) {
            if (errno == EINTR) continue;
            const int error = errno;
            ::close(fd);
            throw SecretsError(path.string() + ": cannot be read (" + errno_text(error) + ")");
        }
        have += static_cast<std::size_t>(n);
    }
    ::close(fd);
    bytes.resize(have);
    return bytes;
}

// Throws SecretsError when `bytes` is not a key of the kind `name` holds.
void check_key(const fs::path& path, const std::string& name, const std::string& bytes) {
    if (name == kSealKeyFile) {
        if (bytes.size() != seal::kKeyBytes)
            throw SecretsError(path.string() + ": not a sealing key (" + std::to_string(bytes.size()) +
                               " bytes, expected " + std::to_string(seal::kKeyBytes) + ")");
        return;
    }
    try {
        crypto::ed25519_public_pem(bytes);
    } catch (const std::exception&) {
        throw SecretsError(path.string() + ": not an Ed25519 private key in PEM");
    }
}

std::string make_key(const std::string& name) {
    return name == kSealKeyFile ? crypto::random_bytes(seal::kKeyBytes) : crypto::ed25519_generate().private_pem;
}

void fsync_dir(const fs::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
}

// Writes `bytes` to a new temporary file in `dir` (0600, fsynced) and links it to `path`.
// false: `path` existed already (another init made it first); it is left as it is.
bool create_exclusively(const fs::path& dir, const fs::path& path, const std::string& bytes) {
    std::string tmp = (dir / ("." + path.filename().string() + ".XXXXXX")).string();
    const int fd = ::mkstemp(tmp.data());
    if (fd < 0) throw SecretsError("cannot create a file in " + dir.string() + " (" + errno_text(errno) + ")");
    bool ok = ::fchmod(fd, 0600) == 0;
    for (std::size_t done = 0; ok && done < bytes.size();) {
        const auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        ok = n > 0;
        if (ok) done += static_cast<std::size_t>(n);
    }
    ok = ok && ::fsync(fd) == 0;
    const int write_error = errno;
    ::close(fd);
    if (!ok) {
        ::unlink(tmp.c_str());
        throw SecretsError("cannot write " + path.string() + " (" + errno_text(write_error) + ")");
    }
    // link() refuses an existing name, where rename() would replace it.
    const bool linked = ::link(tmp.c_str(), path.c_str()) == 0;
    const int link_error = errno;
    ::unlink(tmp.c_str());
    if (!linked && link_error != EEXIST)
        throw SecretsError("cannot create " + path.string() + " (" + errno_text(link_error) + ")");
    fsync_dir(dir);
    return linked;
}

}  // namespace

InitReport init(const std::string& dir_name) {
    const fs::path dir(dir_name);
    if (dir_name.empty()) throw SecretsError("--secrets-dir: empty path");
    std::error_code ec;
    if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
        throw SecretsError("--secrets-dir " + dir_name + ": exists and is not a directory");
    fs::create_directories(dir, ec);
    if (ec) throw SecretsError("--secrets-dir " + dir_name + ": cannot create it (" + ec.message() + ")");
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (ec) throw SecretsError("--secrets-dir " + dir_name + ": cannot set its mode to 0700 (" + ec.message() + ")");

    InitReport report;
    for (const std::string name : kKeyFiles) {
        const auto path = dir / name;
        if (fs::exists(path, ec) || !create_exclusively(dir, path, make_key(name))) {
            check_key(path, name, read_key_file(path));  // a key we keep must still be usable
            report.kept.push_back(name);
        } else {
            report.created.push_back(name);
        }
    }
    return report;
}

Keys load(const std::string& dir_name) {
    if (dir_name.empty()) throw SecretsError("--secrets-dir: empty path");
    const fs::path dir(dir_name);
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw SecretsError("--secrets-dir " + dir_name + ": not a directory");
    Keys keys;
    for (const std::string name : kKeyFiles) {
        const auto path = dir / name;
        auto bytes = read_key_file(path);
        check_key(path, name, bytes);
        (name == kSealKeyFile ? keys.seal_key : keys.credit_key_pem) = std::move(bytes);
    }
    return keys;
}

}  // namespace civic::secrets
