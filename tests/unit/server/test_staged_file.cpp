// A cleaned original written to a staged file and renamed into the file store (issue 19): the
// bytes are hashed on the way, land under their name without a copy, the same bytes are stored
// once, and a failed write refuses the photo instead of storing half of it.
#include "common/crypto.hpp"
#include "server/store/photo_files.hpp"

#include <gtest/gtest.h>

#include <sys/resource.h>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>

namespace {

namespace fs = std::filesystem;
using civic::store::PhotoFiles;
using civic::store::StagedFile;

struct TempDir {
    fs::path path = fs::temp_directory_path() / ("staged-" + civic::crypto::random_token(6));
    TempDir() { fs::create_directories(path); }
    ~TempDir() { fs::remove_all(path); }
};

std::string random_bytes(std::size_t n) {
    std::mt19937 rng(3);
    std::string s(n, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    return s;
}

std::string read(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

std::size_t entries(const fs::path& dir) {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

TEST(StagedFile, IsHashedAsWrittenAndRenamedIntoTheStore) {
    TempDir root;
    PhotoFiles files(root.path);
    const auto bytes = random_bytes(3 * StagedFile::kStagedBufferBytes + 123);
    const auto sha = civic::crypto::sha256_hex(bytes);
    const auto name = civic::store::original_file_name(sha, "jpeg");
    {
        StagedFile staged(files.staging_dir());
        for (std::size_t at = 0; at < bytes.size(); at += 1000)
            ASSERT_TRUE(staged.append(std::string_view(bytes).substr(at, 1000)));
        staged.finish();
        EXPECT_EQ(staged.sha256_hex(), sha);
        EXPECT_EQ(staged.size(), bytes.size());
        files.put_staged(name, staged);
        EXPECT_FALSE(fs::exists(staged.path()));  // moved, not copied
    }
    EXPECT_EQ(read(files.path_of(name)), bytes);
    EXPECT_EQ(entries(root.path), 1u);  // "ab/", no temporary left in the root

    // The same bytes again: the stored file is kept, the second staged file is removed.
    {
        StagedFile again(files.staging_dir());
        ASSERT_TRUE(again.append(bytes));
        again.finish();
        files.put_staged(name, again);
    }
    EXPECT_EQ(read(files.path_of(name)), bytes);
    EXPECT_EQ(entries(root.path), 1u);
}

TEST(StagedFile, IsRemovedWhenNotStored) {
    TempDir root;
    fs::path path;
    {
        StagedFile staged(root.path);
        ASSERT_TRUE(staged.append("half a photo"));
        path = staged.path();
        EXPECT_TRUE(fs::exists(path));
    }  // a refused upload: never put
    EXPECT_FALSE(fs::exists(path));
    EXPECT_EQ(entries(root.path), 0u);
}

// A write the kernel refuses (here the file-size limit, standing in for a full disk) makes append
// return false and finish throw, and nothing is left behind.
TEST(StagedFile, AFailedWriteRefusesThePhoto) {
    TempDir root;
    rlimit old{};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
    const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
    rlimit small = old;
    small.rlim_cur = StagedFile::kStagedBufferBytes;
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
    bool appended = true;
    bool threw = false;
    fs::path path;
    {
        StagedFile staged(root.path);
        path = staged.path();
        appended = staged.append(random_bytes(4 * StagedFile::kStagedBufferBytes));
        try {
            staged.finish();
        } catch (const std::exception&) {
            threw = true;
        }
    }
    ::setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, old_handler);
    EXPECT_FALSE(appended);
    EXPECT_TRUE(threw);
    EXPECT_FALSE(fs::exists(path));
}

TEST(StagedFile, AFolderThatCannotHoldItThrows) {
    EXPECT_THROW(StagedFile(fs::path("/proc/no-such-folder")), std::exception);
}

}  // namespace
