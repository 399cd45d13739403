#pragma once
// Distinct JPEGs of about a given size, made before a run so that encoding does not steal CPU
// from the server while it is being measured. Each differs in its pixels, so the server's
// content-addressed photo store writes every one (identical photos would be stored once).
#include <cstddef>
#include <string>
#include <vector>

namespace civic::load {

// width x height pixels; the noise level is tuned so that the files come out near target_bytes.
std::vector<std::string> make_jpeg_pool(std::size_t count, std::size_t target_bytes, int width = 1024,
                                        int height = 768);

}  // namespace civic::load
