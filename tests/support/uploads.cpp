#include "support/uploads.hpp"

#include <turbojpeg.h>

#include <cmath>
#include <fstream>
#include <random>
#include <stdexcept>

namespace civic::test {

std::string make_jpeg(int width, int height, int seed, int quality) {
    std::vector<unsigned char> rgb(static_cast<std::size_t>(width) * height * 3);
    // Large structure (bands whose direction and phase depend on the seed) so that perceptual
    // hashes of different seeds differ, as photos of different scenes would.
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            auto* px = &rgb[(static_cast<std::size_t>(y) * width + x) * 3];
            // seed % 256 keeps the products small (no overflow for large seeds), same value mod 256.
            const int a = (x * (1 + seed % 5) + y * (1 + (seed / 5) % 7) + (seed % 256) * 37) % 256;
            const int b = ((x / (8 + seed % 9)) + (y / (6 + seed % 7))) % 2 ? 220 : 30;
            px[0] = static_cast<unsigned char>(a);
            px[1] = static_cast<unsigned char>(b);
            px[2] = static_cast<unsigned char>((a + b + (seed % 256) * 11) % 256);
        }
    tjhandle tj = tjInitCompress();
    unsigned char* out = nullptr;
    unsigned long size = 0;
    const int rc = tjCompress2(tj, rgb.data(), width, 0, height, TJPF_RGB, &out, &size, TJSAMP_420, quality, 0);
    std::string bytes = rc == 0 ? std::string(reinterpret_cast<char*>(out), size) : std::string();
    tjFree(out);
    tjDestroy(tj);
    if (bytes.empty()) throw std::runtime_error("tjCompress2 failed");
    return bytes;
}

std::string make_noisy_jpeg(std::size_t bytes, unsigned seed) {
    const int side = static_cast<int>(std::sqrt(static_cast<double>(bytes) / 4.0));
    std::vector<unsigned char> rgb(static_cast<std::size_t>(side) * side * 3);
    std::mt19937 rng(seed);
    for (auto& b : rgb) b = static_cast<unsigned char>(rng());
    tjhandle tj = tjInitCompress();
    unsigned char* out = nullptr;
    unsigned long size = 0;
    const int rc = tjCompress2(tj, rgb.data(), side, 0, side, TJPF_RGB, &out, &size, TJSAMP_444, 100, 0);
    std::string jpeg = rc == 0 ? std::string(reinterpret_cast<char*>(out), size) : std::string();
    tjFree(out);
    tjDestroy(tj);
    if (jpeg.empty()) throw std::runtime_error("tjCompress2 failed");
    return jpeg;
}

std::pair<int, int> jpeg_size(const std::string& bytes) {
    tjhandle tj = tjInitDecompress();
    int w = 0, h = 0, sub = 0, space = 0;
    const int rc = tjDecompressHeader3(tj, reinterpret_cast<const unsigned char*>(bytes.data()),
                                       static_cast<unsigned long>(bytes.size()), &w, &h, &sub, &space);
    tjDestroy(tj);
    return rc == 0 ? std::pair{w, h} : std::pair{0, 0};
}

std::string read_fixture(const std::string& relative_path) {
    std::ifstream in(std::string(CIVIC_TEST_DATA_DIR) + "/" + relative_path, std::ios::binary);
    if (!in) throw std::runtime_error("missing fixture " + relative_path);
    return {std::istreambuf_iterator<char>(in), {}};
}

Multipart multipart_raw(const std::string& meta_text, const std::vector<std::string>& photos) {
    return multipart_named(meta_text, {{"photo", photos}});
}

Multipart multipart_named(const std::string& meta_text,
                          const std::vector<std::pair<std::string, std::vector<std::string>>>& parts) {
    const std::string boundary = "----civicsnap-test-7MA4YWxkTrZu0gW";
    std::string body = "--" + boundary +
                       "\r\nContent-Disposition: form-data; name=\"meta\"\r\n"
                       "Content-Type: application/json\r\n\r\n" +
                       meta_text + "\r\n";
    for (const auto& [name, photos] : parts)
        for (std::size_t i = 0; i < photos.size(); ++i)
            body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\"" + name +
                    std::to_string(i) + ".jpg\"\r\nContent-Type: image/jpeg\r\n\r\n" + photos[i] + "\r\n";
    body += "--" + boundary + "--\r\n";
    return {"multipart/form-data; boundary=" + boundary, std::move(body)};
}

Multipart multipart(const nlohmann::json& meta, const std::vector<std::string>& photos) {
    return multipart_raw(meta.dump(), photos);
}

HttpResponse post_multipart(const Daemon& d, const std::string& target, const Multipart& m, const std::string& token,
                            Headers headers) {
    headers.emplace_back("Content-Type", m.content_type);
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    return d.request("POST", target, m.body, headers);
}

}  // namespace civic::test
