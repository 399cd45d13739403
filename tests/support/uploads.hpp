#pragma once
// Building report uploads in tests: synthetic JPEGs that differ by seed, fixture files, and
// multipart/form-data bodies as a mobile app sends them.
#include "support/daemon.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <utility>
#include <vector>

namespace civic::test {

// A real JPEG of the given size whose picture (a gradient pattern) is fixed by `seed`:
// different seeds give perceptually different images.
std::string make_jpeg(int width, int height, int seed, int quality = 85);
// A JPEG of about `bytes` (a phone photo's size with few pixels): noise at quality 100, about
// 4 bytes a pixel, so it is large but quick to decode.
std::string make_noisy_jpeg(std::size_t bytes, unsigned seed);
// Width and height of a JPEG as a decoder sees them; {0, 0} if it does not decode.
std::pair<int, int> jpeg_size(const std::string& bytes);
std::string read_fixture(const std::string& relative_path);  // under tests/data

struct Multipart {
    std::string content_type;
    std::string body;
};
Multipart multipart(const nlohmann::json& meta, const std::vector<std::string>& photos);
Multipart multipart_raw(const std::string& meta_text, const std::vector<std::string>& photos);
// Photo parts under names of one's choosing (e.g. a self-handled report's `photo` and `after`).
Multipart multipart_named(const std::string& meta_text,
                          const std::vector<std::pair<std::string, std::vector<std::string>>>& parts);

// POST of a multipart body with a bearer token and extra headers.
HttpResponse post_multipart(const Daemon& d, const std::string& target, const Multipart& m, const std::string& token,
                            Headers headers = {});

}  // namespace civic::test
