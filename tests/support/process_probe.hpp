#pragma once
// What the memory-bound tests read about the daemon process and the build they run in.
#include <sys/types.h>

#include <cstdint>
#include <fstream>
#include <string>

namespace civic::test {

// Under AddressSanitizer RSS is dominated by its shadow memory and quarantine, so memory bounds
// are not asserted there and loads are smaller.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kUnderAsan = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kUnderAsan = true;
#else
inline constexpr bool kUnderAsan = false;
#endif
#else
inline constexpr bool kUnderAsan = false;
#endif

// A line of /proc/<pid>/status in bytes ("VmHWM:  123456 kB"), or -1 if absent.
inline std::int64_t proc_status_bytes(pid_t pid, const std::string& field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1)) * 1024;
    }
    return -1;
}

}  // namespace civic::test
