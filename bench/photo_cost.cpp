// civicsnap-photo-cost: the CPU one report photo costs the intake, and what it is made of
// (docs/performance.md, "Report intake"). Makes the bench's distinct ~100 KB 1024x768 JPEGs,
// runs photo::process over each of them, then times its parts on their own with TurboJPEG:
// the header, the validating decode at the DCT scale process() uses (and at others, for
// comparison), the thumbnail's encode, and the lossless copy's byte scan; then the whole of
// what intake does per photo (civicsnap-load's intake ceiling: domain::clean_photo into a staged
// file, SHA-256 on the way, and the durable writes of thumbnail and original into a photo store
// under --dir, on disk). Thread CPU time, so the figures hold on a loaded machine; the durable
// writes also get their wall time (fsync waits, one writer).
//
//   civicsnap-photo-cost [--photos N] [--bytes B] [--rounds R] [--dir D]
#include "bench/load/intake_ceiling.hpp"
#include "bench/load/jpeg_pool.hpp"
#include "common/crypto.hpp"
#include "server/media/photo.hpp"
#include "server/store/photo_files.hpp"

#include <turbojpeg.h>

#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

double thread_cpu_us() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) / 1e3;
}

// Mean thread-CPU microseconds of `fn` over every photo, `rounds` times.
double per_photo_us(const std::vector<std::string>& photos, int rounds,
                    const std::function<void(const std::string&)>& fn) {
    const double start = thread_cpu_us();
    for (int r = 0; r < rounds; ++r)
        for (const auto& p : photos) fn(p);
    return (thread_cpu_us() - start) / (static_cast<double>(photos.size()) * rounds);
}

const unsigned char* bytes_of(const std::string& s) { return reinterpret_cast<const unsigned char*>(s.data()); }

}  // namespace

int main(int argc, char** argv) {
    std::size_t count = 100, target = 100'000;
    int rounds = 3;
    std::string dir = "/var/tmp/civicsnap-photo-cost";
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string name = argv[i];
        if (name == "--photos")
            count = std::stoul(argv[i + 1]);
        else if (name == "--bytes")
            target = std::stoul(argv[i + 1]);
        else if (name == "--rounds")
            rounds = std::stoi(argv[i + 1]);
        else if (name == "--dir")
            dir = argv[i + 1];
        else
            throw std::invalid_argument("bad argument " + name);
    }
    const auto photos = civic::load::make_jpeg_pool(count, target);
    double mean_bytes = 0;
    for (const auto& p : photos) mean_bytes += static_cast<double>(p.size()) / static_cast<double>(photos.size());

    const double process = per_photo_us(photos, rounds, [](const std::string& p) {
        auto result = civic::photo::process(p);
        if (!result) throw std::runtime_error("process refused a bench photo");
    });
    tjhandle decoder = tjInitDecompress();
    tjhandle encoder = tjInitCompress();
    const double handles = per_photo_us(photos, rounds, [](const std::string&) {
        tjDestroy(tjInitDecompress());
        tjDestroy(tjInitCompress());
    });
    const double header = per_photo_us(photos, rounds, [&](const std::string& p) {
        int w = 0, h = 0, sub = 0, cs = 0;
        tjDecompressHeader3(decoder, bytes_of(p), p.size(), &w, &h, &sub, &cs);
    });
    std::vector<unsigned char> rgb(1024 * 768 * 3);
    const auto decode_at = [&](int num, int denom, int flags) {
        return per_photo_us(photos, rounds, [&, num, denom, flags](const std::string& p) {
            const int w = (1024 * num + denom - 1) / denom, h = (768 * num + denom - 1) / denom;
            if (tjDecompress2(decoder, bytes_of(p), p.size(), rgb.data(), w, 0, h, TJPF_RGB, flags) != 0)
                throw std::runtime_error(tjGetErrorStr2(decoder));
        });
    };
    constexpr int kStrict = TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS | TJFLAG_ACCURATEDCT;
    const double d38 = decode_at(3, 8, kStrict), d18 = decode_at(1, 8, kStrict), d14 = decode_at(1, 4, kStrict),
                 d12 = decode_at(1, 2, kStrict), d11 = decode_at(1, 1, kStrict);
    std::vector<unsigned char> thumb(320 * 240 * 3, 128);
    for (std::size_t i = 0; i < thumb.size(); ++i) thumb[i] = static_cast<unsigned char>(rgb[i * 3 % rgb.size()]);
    const double encode = per_photo_us(photos, rounds, [&](const std::string&) {
        unsigned char* out = nullptr;
        unsigned long size = 0;
        tjCompress2(encoder, thumb.data(), 320, 0, 240, TJPF_RGB, &out, &size, TJSAMP_420, 80, TJFLAG_ACCURATEDCT);
        tjFree(out);
    });
    const double scan = per_photo_us(photos, rounds, [](const std::string& p) {
        std::string copy;
        copy.reserve(p.size());
        for (std::size_t pos = 0; pos < p.size();) {
            const void* ff = std::memchr(p.data() + pos, 0xFF, p.size() - pos);
            const std::size_t end =
                ff ? static_cast<std::size_t>(static_cast<const char*>(ff) - p.data()) + 1 : p.size();
            copy.append(p, pos, end - pos);
            pos = end;
        }
    });
    tjDestroy(decoder);
    tjDestroy(encoder);

    // The intake's own steps around process: SHA-256 of the original, then everything per photo
    // with the durable writes (one round into a fresh store, so that every file is written).
    const double sha = per_photo_us(photos, rounds, [](const std::string& p) { civic::crypto::sha256_hex(p); });
    const double null_sink = per_photo_us(photos, rounds, [](const std::string& p) {
        if (!civic::photo::process_to(p, [](std::string_view) { return true; })) throw std::runtime_error("refused");
    });
    namespace fs = std::filesystem;
    fs::remove_all(dir);
    fs::create_directories(dir);
    const civic::store::PhotoFiles files(dir);
    const auto wall_start = std::chrono::steady_clock::now();
    const double intake = per_photo_us(photos, 1, [&](const std::string& p) {
        if (!civic::load::intake_one_photo(files, p)) throw std::runtime_error("intake_one_photo failed");
    });
    const double intake_wall_us =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - wall_start).count() /
        static_cast<double>(photos.size());
    fs::remove_all(dir);
    std::cout << "photos=" << photos.size() << " mean_bytes=" << static_cast<long>(mean_bytes) << " rounds=" << rounds
              << "\nprocess_us=" << process << "\n  handles_init_destroy_us=" << handles << "\n  header_us=" << header
              << "\n  decode_3/8_us=" << d38 << " (process's scale for 1024x768: 384x288)"
              << "\n  thumbnail_encode_320x240_us=" << encode << "\n  lossless_copy_scan_us=" << scan
              << "\n  rest (orientation, box filter, dHash, allocation)_us="
              << process - handles - header - d38 - encode - scan << "\nother scales: decode_1/8_us=" << d18
              << " decode_1/4_us=" << d14 << " decode_1/2_us=" << d12 << " decode_1/1_us=" << d11
              << "\nprocess_to_null_sink_us=" << null_sink << " sha256_of_original_us=" << sha
              << "\nintake_work_cpu_us=" << intake
              << " (clean_photo into a staged file + thumbnail SHA-256 + durable writes of both files)"
              << "\n  file_writes_and_hashes_cpu_us=" << intake - null_sink
              << "\nintake_work_wall_us=" << intake_wall_us << " (one writer: CPU + fsync waits)\n";
}
