#include "bench/load/disk_ceilings.hpp"

#include <sqlite3.h>

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

namespace civic::load {

namespace fs = std::filesystem;
namespace {

bool write_file_durably(const fs::path& dir, const std::string& name, const std::string& bytes) {
    const auto temp = dir / (".tmp-" + name);
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    std::size_t done = 0;
    while (done < bytes.size()) {
        const auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n <= 0) break;
        done += static_cast<std::size_t>(n);
    }
    bool ok = done == bytes.size() && ::fsync(fd) == 0;
    ok = (::close(fd) == 0) && ok;
    ok = ok && ::rename(temp.c_str(), (dir / name).c_str()) == 0;
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    ok = ok && dfd >= 0 && ::fsync(dfd) == 0;
    if (dfd >= 0) ::close(dfd);
    return ok;
}

void exec(sqlite3* db, const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : "unknown";
        sqlite3_free(err);
        throw std::runtime_error(std::string(sql) + ": " + msg);
    }
}

sqlite3* open_db(const std::string& path) {
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) !=
        SQLITE_OK)
        throw std::runtime_error("cannot open " + path);
    exec(db, "PRAGMA busy_timeout = 5000; PRAGMA synchronous = FULL;");
    return db;
}

}  // namespace

Summary durable_file_writes(const std::string& dir, std::size_t bytes, const DiskOptions& options) {
    // Random bytes: nothing below us (compression, dedup) gets an easy ride.
    std::string payload(bytes, '\0');
    std::mt19937_64 rng(42);
    for (auto& c : payload) c = static_cast<char>(rng());
    // One directory per writer, as the server's two-level sha256 fan-out mostly gives.
    for (std::size_t w = 0; w < options.writers; ++w) fs::create_directories(fs::path(dir) / std::to_string(w));
    return run_writers(options, [&](std::size_t w, std::size_t n) {
        return write_file_durably(fs::path(dir) / std::to_string(w), std::to_string(n), payload);
    });
}

Summary durable_sqlite_transactions(const std::string& db_path, const DiskOptions& options) {
    {
        sqlite3* db = open_db(db_path);
        exec(db,
             "PRAGMA journal_mode = WAL;"
             "CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, writer INTEGER NOT NULL,"
             " n INTEGER NOT NULL, payload TEXT NOT NULL)");
        sqlite3_close_v2(db);
    }
    std::vector<sqlite3*> conns;
    std::vector<sqlite3_stmt*> inserts;
    for (std::size_t w = 0; w < options.writers; ++w) {
        conns.push_back(open_db(db_path));
        sqlite3_stmt* stmt = nullptr;
        sqlite3_prepare_v2(
            conns.back(),
            "INSERT INTO rows (writer, n, payload) VALUES (?, ?, 'a row of about the size of a ledger line')", -1,
            &stmt, nullptr);
        inserts.push_back(stmt);
    }
    // Writers take turns through a mutex, as an application without group commit would: left to
    // SQLite's busy handler they would sleep in its back-off (up to 100 ms a try) and measure that.
    std::mutex turn;
    const auto summary = run_writers(options, [&](std::size_t w, std::size_t n) {
        std::lock_guard lock(turn);
        sqlite3* db = conns[w];
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) return false;
        sqlite3_bind_int64(inserts[w], 1, static_cast<sqlite3_int64>(w));
        sqlite3_bind_int64(inserts[w], 2, static_cast<sqlite3_int64>(n));
        const bool ok = sqlite3_step(inserts[w]) == SQLITE_DONE;
        sqlite3_reset(inserts[w]);
        if (!ok) {
            sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
            return false;
        }
        return sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK;
    });
    for (auto* s : inserts) sqlite3_finalize(s);
    for (auto* db : conns) sqlite3_close_v2(db);
    return summary;
}

}  // namespace civic::load
