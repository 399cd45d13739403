#pragma once
// The machine's own durable-write ceilings, measured with the same number of writers as the
// server case they are compared with.
#include "bench/load/latency.hpp"

#include <chrono>
#include <cstddef>
#include <string>

namespace civic::load {

struct DiskOptions {
    std::size_t writers = 16;
    std::chrono::milliseconds duration{10'000};
};

// Each writer: create a temp file, write `bytes`, fsync, close, rename, fsync the directory —
// what the server's photo store does for every photo it keeps.
Summary durable_file_writes(const std::string& dir, std::size_t bytes, const DiskOptions& options);

// Each writer on its own connection, one transaction at a time: BEGIN IMMEDIATE; INSERT one row;
// COMMIT — in WAL mode with synchronous = FULL, as server/store/sqlite.cpp opens every connection.
Summary durable_sqlite_transactions(const std::string& db_path, const DiskOptions& options);

}  // namespace civic::load
