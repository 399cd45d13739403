// Case 3's ceiling (bench/load/intake_ceiling.hpp): one photo goes through the server's cleaning
// and lands as an original and a thumbnail under their content addresses; a photo that does not
// decode is refused and leaves nothing; and the timed loop writes every photo it counts, a fresh
// store per pass, so that a photo sent again is written again rather than merely touched.
#include "bench/load/intake_ceiling.hpp"
#include "bench/load/jpeg_pool.hpp"
#include "common/crypto.hpp"
#include "server/store/photo_files.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace {

namespace fs = std::filesystem;

struct TempDir {
    fs::path path = fs::temp_directory_path() / ("intake-ceiling-" + civic::crypto::random_token(6));
    TempDir() { fs::create_directories(path); }
    ~TempDir() { fs::remove_all(path); }
};

std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

// Regular files under `dir` whose names end with `suffix`.
std::vector<fs::path> files_ending(const fs::path& dir, const std::string& suffix) {
    std::vector<fs::path> out;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file() && e.path().filename().string().ends_with(suffix)) out.push_back(e.path());
    return out;
}

TEST(IntakeCeiling, OnePhotoIsStoredAsOriginalAndThumbnailUnderTheirAddresses) {
    TempDir root;
    const civic::store::PhotoFiles files(root.path);
    const auto photo = civic::load::make_jpeg_pool(1, 20'000, 640, 480).at(0);
    ASSERT_TRUE(civic::load::intake_one_photo(files, photo));

    const auto thumbnails = files_ending(root.path, ".thumb.jpg");
    ASSERT_EQ(thumbnails.size(), 1u);
    const auto sha = thumbnails[0].filename().string().substr(0, 64);
    const auto original = files.path_of(civic::store::original_file_name(sha, "jpeg"));
    ASSERT_TRUE(fs::exists(original));
    EXPECT_EQ(civic::crypto::sha256_hex(read(original)), sha);  // named by the cleaned bytes
    EXPECT_LE(fs::file_size(original), photo.size());           // the same scans, no metadata added
    EXPECT_EQ(files_ending(root.path, "").size(), 2u);          // nothing else, no temporary left
}

TEST(IntakeCeiling, APhotoThatDoesNotDecodeIsRefusedAndLeavesNothing) {
    TempDir root;
    const civic::store::PhotoFiles files(root.path);
    auto photo = civic::load::make_jpeg_pool(1, 20'000, 640, 480).at(0);
    EXPECT_FALSE(civic::load::intake_one_photo(files, "not a photo at all"));
    EXPECT_FALSE(civic::load::intake_one_photo(files, photo.substr(0, photo.size() / 2)));  // truncated
    EXPECT_TRUE(fs::is_empty(root.path));
}

TEST(IntakeCeiling, EveryCountedPhotoIsWrittenAFreshPassAtATime) {
    TempDir root;
    const auto photos = civic::load::make_jpeg_pool(2, 10'000, 320, 240);
    civic::load::DiskOptions options;
    options.writers = 2;
    options.duration = std::chrono::milliseconds(300);
    const auto summary = civic::load::photo_intake_work(root.path.string(), photos, options);
    EXPECT_EQ(summary.errors, 0u);
    ASSERT_GE(summary.ok, 1u);
    std::size_t originals = 0;
    for (const auto& p : files_ending(root.path, ".jpg"))
        if (!p.filename().string().ends_with(".thumb.jpg")) ++originals;
    EXPECT_EQ(originals, summary.ok);  // each pass (pass-N) holds each photo once
}

}  // namespace
