#include "server/store/backup.hpp"

#include "server/store/sqlite.hpp"

#include <sqlite3.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace civic::store {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& what, const fs::path& path) {
    throw std::runtime_error(what + " " + path.string() + ": " + std::strerror(errno));
}

void fsync_path(const fs::path& path, int flags) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
    if (fd < 0) fail("open", path);
    const bool ok = ::fsync(fd) == 0;
    ::close(fd);
    if (!ok) fail("fsync", path);
}

void fsync_dir(const fs::path& dir) { fsync_path(dir, O_RDONLY | O_DIRECTORY); }

void make_dir(const fs::path& dir, mode_t mode) {
    if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) fail("mkdir", dir);
    fsync_dir(dir.parent_path());
}

// Copies one regular file durably: temp name, fsync, rename, keeping `mode`.
std::int64_t copy_file_durably(const fs::path& from, const fs::path& to, mode_t mode) {
    const int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) fail("open", from);
    const auto temp = to.parent_path() / (".tmp-" + to.filename().string());
    const int out = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (out < 0) {
        ::close(in);
        fail("create", temp);
    }
    std::int64_t total = 0;
    std::vector<char> buf(1 << 16);
    bool ok = true;
    for (;;) {
        const auto n = ::read(in, buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ok = n == 0;
            break;
        }
        for (ssize_t done = 0; done < n;) {
            const auto w = ::write(out, buf.data() + done, static_cast<std::size_t>(n - done));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) {
                ok = false;
                break;
            }
            done += w;
        }
        if (!ok) break;
        total += n;
    }
    ok = ok && ::fsync(out) == 0;
    const int err = errno;
    ::close(in);
    ::close(out);
    if (!ok) {
        errno = err;
        ::unlink(temp.c_str());
        fail("copy", from);
    }
    if (::rename(temp.c_str(), to.c_str()) != 0) fail("rename", to);
    return total;
}

// One sqlite3_backup_step(-1): the whole database under a single read transaction.
std::int64_t copy_database(const fs::path& from, const fs::path& to) {
    Conn source(from.string(), Conn::Mode::read_only);
    const auto temp = to.parent_path() / ".tmp-civicsnap.db";
    fs::remove(temp);
    {
        Conn dest(temp.string(), Conn::Mode::read_write);
        sqlite3_backup* b = sqlite3_backup_init(dest.raw(), "main", source.raw(), "main");
        if (!b) dest.fail(sqlite3_errcode(dest.raw()), "backup");
        int rc;
        do {
            rc = sqlite3_backup_step(b, -1);
            if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(10);  // source briefly locked
        } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
        const int finish = sqlite3_backup_finish(b);
        if (rc != SQLITE_DONE) dest.fail(rc, "backup step");
        if (finish != SQLITE_OK) dest.fail(finish, "backup finish");
        // The copy stands alone: fold any WAL content into the main file before it is renamed.
        dest.exec("PRAGMA wal_checkpoint(TRUNCATE)");
        auto q = dest.query("PRAGMA quick_check");
        if (!q.next()) throw std::runtime_error("the copied database fails quick_check");
        if (const auto first = q.text(0); first != "ok")
            throw std::runtime_error("the copied database fails quick_check: " + first);
    }
    fs::remove(fs::path(temp.string() + "-wal"));
    fs::remove(fs::path(temp.string() + "-shm"));
    fsync_path(temp, O_RDONLY);
    if (::rename(temp.c_str(), to.c_str()) != 0) fail("rename", to);
    return static_cast<std::int64_t>(fs::file_size(to));
}

bool is_temporary(const fs::path& p) { return p.filename().string().rfind(".tmp-", 0) == 0; }

// Mirrors the photo tree; a directory is fsynced once its entries are all in place.
void copy_photos(const fs::path& from, const fs::path& to, BackupSummary& summary) {
    make_dir(to, 0700);
    for (const auto& entry : fs::directory_iterator(from)) {
        if (is_temporary(entry.path())) continue;  // a write in progress in the daemon
        const auto target = to / entry.path().filename();
        if (entry.is_directory()) {
            copy_photos(entry.path(), target, summary);
        } else if (entry.is_regular_file()) {
            summary.photo_bytes += copy_file_durably(entry.path(), target, 0600);
            ++summary.photo_files;
        }
    }
    fsync_dir(to);
}

}  // namespace

BackupSummary backup_data_dir(const fs::path& data_dir, const fs::path& to, const std::optional<fs::path>& photo_dir) {
    const auto db = data_dir / "civicsnap.db";
    if (!fs::exists(db)) throw std::runtime_error("no database at " + db.string());
    if (fs::exists(to) && !fs::is_empty(to)) throw std::runtime_error(to.string() + " exists and is not empty");
    fs::create_directories(to);
    fs::permissions(to, fs::perms::owner_all, fs::perm_options::replace);
    fsync_dir(fs::absolute(to).parent_path());

    BackupSummary summary;
    summary.database_bytes = copy_database(db, to / "civicsnap.db");
    if (photo_dir) {
        if (fs::is_directory(*photo_dir))
            copy_photos(*photo_dir, to / "photos", summary);
        else
            make_dir(to / "photos", 0700);  // a city with no photo yet
    }
    if (fs::is_directory(data_dir / "secrets")) {
        make_dir(to / "secrets", 0700);
        for (const auto& entry : fs::directory_iterator(data_dir / "secrets"))
            if (entry.is_regular_file() && !is_temporary(entry.path()))
                copy_file_durably(entry.path(), to / "secrets" / entry.path().filename(), 0600);
        fsync_dir(to / "secrets");
    }
    fsync_dir(to);
    return summary;
}

}  // namespace civic::store
