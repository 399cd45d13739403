#pragma once
// `civicsnapd copy-database --from sqlite:PATH --to postgresql://…`: a SQLite city moved into an
// empty PostgreSQL database (docs/scale-out.md, "Moving a SQLite city to PostgreSQL").
//
// The source is read in one snapshot (a SQLite read transaction: safe beside its daemon, and the
// copy is of that moment). The target must be at this binary's schema version (`civicsnapd
// migrate` first) and hold no city data. The table list comes from the catalogs, never a hand
// list: every table of the source is copied — a table or column the target lacks refuses the
// copy —, with COPY … FROM STDIN, in one PostgreSQL transaction; the target's user triggers
// (running sums, epochs, refusals) are disabled for that transaction only, so the running sums
// arrive as the source kept them and are verified below. As pg_dump orders a restore, the
// foreign keys and the indexes no constraint needs are set aside for the load and made again
// from their catalog definitions after it (every row checked then); primary keys, unique
// constraints, CHECKs and NOT NULL stay on throughout. Then every identity/sequence is set past
// the copied ids, the tables are analysed, the row counts of every table are compared, and
// `verify` (the checks of `civicsnapd check`) runs on the target before COMMIT: any problem rolls
// everything back.
#include "server/store/database_spec.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace civic::store {

struct CopyDatabaseHooks {
    std::function<void(const std::string&)> progress;       // one line per step
    std::function<std::vector<std::string>(Conn&)> verify;  // problems in the target, in its transaction
};

struct CopiedTable {
    std::string name;
    std::int64_t rows = 0;
};

struct CopyDatabaseSummary {
    std::vector<CopiedTable> tables;  // in the order copied
    std::int64_t rows = 0;
    int sequences = 0;  // identity sequences set past the copied ids
    double seconds = 0;
};

// Bytes of COPY data handed to libpq at a time.
inline constexpr std::size_t kCopyChunkBytes = 1 << 20;

// Throws DatabaseStartError when the copy is refused before anything is written: a source that
// is not `sqlite:` or a target that is not `postgresql://`, an unreachable server, a schema
// version other than this binary's on either side, a table or column the target lacks, or a
// target that holds city data. Throws std::runtime_error when the copy fails on the way or its
// verification finds a problem; the target is then left as it was (rolled back).
CopyDatabaseSummary copy_sqlite_to_postgresql(const DatabaseSpec& from, const DatabaseSpec& to,
                                              const CopyDatabaseHooks& hooks);

}  // namespace civic::store
