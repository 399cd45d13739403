#pragma once
// Shared bits of the libFuzzer harnesses: a property check that aborts (so libFuzzer records the
// input as a crash) and a cursor that slices the fuzzer's bytes into structured pieces.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

// Unlike assert(), active in every build type: a broken property must stop the run.
#define FUZZ_CHECK(cond)                                                                         \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                                        \
        }                                                                                        \
    } while (0)

namespace civic::fuzz {

// Reads small integers and byte runs off the front of the input; past the end everything is 0
// or empty, so harnesses never need to special-case short inputs.
class Cursor {
public:
    Cursor(const std::uint8_t* data, std::size_t size) : rest_(reinterpret_cast<const char*>(data), size) {}

    std::uint8_t byte() {
        if (rest_.empty()) return 0;
        const auto b = static_cast<std::uint8_t>(rest_.front());
        rest_.remove_prefix(1);
        return b;
    }
    // Up to the next `sep` (consumed), or everything that is left.
    std::string_view until(char sep) {
        const auto at = rest_.find(sep);
        const auto piece = rest_.substr(0, at);
        rest_.remove_prefix(at == std::string_view::npos ? rest_.size() : at + 1);
        return piece;
    }
    std::string_view take(std::size_t n) {
        const auto piece = rest_.substr(0, n);
        rest_.remove_prefix(piece.size());
        return piece;
    }
    std::string_view rest() const { return rest_; }
    bool empty() const { return rest_.empty(); }

private:
    std::string_view rest_;
};

}  // namespace civic::fuzz
