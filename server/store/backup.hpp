#pragma once
// `civicsnapd backup`: an online, consistent copy of a data dir while the daemon keeps serving.
//
// Order matters. The database is copied first, through SQLite's backup API in a single step, so
// the copy is one snapshot (under WAL the daemon's writer goes on meanwhile). The photo store is
// copied second: a photo's file is durable before the row naming it commits, so every photo the
// snapshot references already exists when the files are walked. Files newer than the snapshot
// may come along too; they are harmless (content-addressed, unreferenced). Secrets are copied
// last with their 0600 permissions, since sealed columns and credit certificates need them.
//
// Photos in an object store (`--photos s3://…`) are not copied: a bucket is backed up by the
// store's own versioning and replication (docs/scale-out.md), or `copy-photos` to another
// bucket. Either way the caller then checks that every photo the copy names is where the
// restored daemon will look (store::verify_named_photos).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace civic::store {

struct BackupSummary {
    std::int64_t database_bytes = 0;
    std::int64_t photo_files = 0;
    std::int64_t photo_bytes = 0;
    std::int64_t referenced_photos = 0;  // photo blobs the copied database names, all present (set by the caller)
};

// Copies `data_dir`'s database and secrets into `to`, which must not exist or be empty, and the
// photo folder `photo_dir` (a file store, wherever `--photos` put it) into `to`/photos; nullopt
// for an object store. Every file is written under a temporary name, fsynced and renamed;
// directories are fsynced. Throws std::runtime_error with a message for the operator.
BackupSummary backup_data_dir(const std::filesystem::path& data_dir, const std::filesystem::path& to,
                              const std::optional<std::filesystem::path>& photo_dir);

}  // namespace civic::store
