#pragma once
// The ceiling of report intake (scripts/bench case 3): the work the server cannot skip for each
// photo, without HTTP or a database — the same validating decode, metadata-free copy, thumbnail
// and perceptual hash (domain::clean_photo, the function the server calls), then the same durable
// writes of thumbnail and original (store::PhotoFiles::put and put_staged: temp file, fsync,
// rename, directory fsync), in as many threads as the case has connections.
#include "bench/load/disk_ceilings.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace civic::store {
class PhotoFiles;
}

namespace civic::load {

// One photo's mandatory intake work into `files`, in the server's order (thumbnail first).
// False when the photo is refused or the disk fails.
bool intake_one_photo(const store::PhotoFiles& files, std::string_view photo);

// `photos` taken in turn by the writers, each sent once per pass as case 3 sends them; every pass
// writes into a fresh store under `dir` (pass-N), so that a photo seen again is written again and
// not merely touched.
Summary photo_intake_work(const std::string& dir, const std::vector<std::string>& photos, const DiskOptions& options);

}  // namespace civic::load
