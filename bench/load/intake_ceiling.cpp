#include "bench/load/intake_ceiling.hpp"

#include "common/errors.hpp"
#include "server/domain/photo_intake.hpp"
#include "server/store/photo_files.hpp"

#include <atomic>
#include <filesystem>
#include <iostream>
#include <memory>
#include <mutex>

namespace civic::load {

namespace fs = std::filesystem;

bool intake_one_photo(const store::PhotoFiles& files, std::string_view photo) {
    try {
        auto cleaned = domain::clean_photo(std::string(photo),
                                           [&] { return std::make_unique<store::StagedFile>(files.staging_dir()); });
        files.put(store::thumbnail_file_name(cleaned.blob.sha256), cleaned.thumbnail);
        files.put_staged(store::original_file_name(cleaned.blob.sha256, cleaned.blob.format), *cleaned.original);
        return true;
    } catch (const std::exception& e) {
        static std::once_flag reported;
        std::call_once(reported, [&] { std::cerr << "civicsnap-load: intake-work: " << e.what() << "\n"; });
        return false;
    }
}

Summary photo_intake_work(const std::string& dir, const std::vector<std::string>& photos, const DiskOptions& options) {
    if (photos.empty()) throw std::invalid_argument("intake-work needs photos");
    std::atomic<std::size_t> next{0};
    // One store per pass, made by whichever writer reaches it first (the server's root exists
    // before the first photo, so creating it is not part of any photo's work).
    std::mutex passes_lock;
    std::vector<std::unique_ptr<store::PhotoFiles>> passes;
    const auto store_of_pass = [&](std::size_t pass) -> const store::PhotoFiles& {
        std::lock_guard lock(passes_lock);
        while (passes.size() <= pass) {
            const auto root = fs::path(dir) / ("pass-" + std::to_string(passes.size()));
            fs::create_directories(root);
            passes.push_back(std::make_unique<store::PhotoFiles>(root));
        }
        return *passes[pass];
    };
    store_of_pass(0);
    return run_writers(options, [&](std::size_t, std::size_t) {
        const auto n = next.fetch_add(1, std::memory_order_relaxed);
        return intake_one_photo(store_of_pass(n / photos.size()), photos[n % photos.size()]);
    });
}

}  // namespace civic::load
