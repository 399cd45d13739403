#pragma once
// Every limit the HTTP layer enforces, in one place (docs/architecture.md lists them too).
#include <chrono>
#include <cstddef>
#include <cstdint>

namespace civic::http::limits {

using namespace std::chrono_literals;

inline constexpr std::size_t kMaxHeaderBytes = 32 * 1024;      // request line + headers → 431
inline constexpr std::size_t kMaxJsonBodyBytes = 4 * 1024;     // JSON bodies of ordinary routes
inline constexpr std::size_t kMaxUploadBodyBytes = 64u << 20;  // multipart report intake
inline constexpr std::size_t kMaxTargetBytes = 16 * 1024;      // path + query → 414 (1,000 Open311 ids)
inline constexpr std::size_t kMaxConnections = 20000;          // beyond: accepted and closed at once
inline constexpr auto kIdleTimeout = 30s;                      // keep-alive: waiting for the first byte of a request
inline constexpr auto kHeaderTimeout = 10s;                    // first byte → end of headers (slowloris)
inline constexpr auto kBodyChunkTimeout = 15s;                 // no body byte for this long → close
inline constexpr auto kBodyTotalTimeout = 300s;                // whole body (64 MiB on a slow mobile link)
inline constexpr auto kWriteTimeout = 30s;                     // writing a response, or one chunk of a streamed one
// A streamed body (photo reads) goes out in chunks of at most this many bytes: the memory one
// read holds, whatever the photo's size.
inline constexpr std::size_t kStreamChunkBytes = 64 * 1024;
inline constexpr auto kTlsHandshakeTimeout = 10s;
inline constexpr auto kTlsShutdownTimeout = 2s;                 // peers that never answer close_notify (Beast #2807)
inline constexpr auto kShutdownGrace = 10s;                     // SIGTERM: requests in flight get this long
inline constexpr auto kWebSocketIdleTimeout = 60s;              // pings at half of it; silence this long → close
inline constexpr std::size_t kMaxWebSocketMessageBytes = 4096;  // clients have nothing to say
inline constexpr std::size_t kMaxPipelinedBuffer = 64 * 1024;   // bytes read ahead past a request
// Request bodies held in memory, all connections together (--upload-memory-budget). A body is
// charged before it is read: what it can hold in memory (a streamed multipart body only its
// small fields and buffers, its photos go to spool files); over the budget → 503 + Retry-After
// before a byte of it is read (or instead of `100 Continue`). A third of the 768 MB ceiling the
// 32-upload test holds the daemon to (docs/architecture.md, "Memory under load").
inline constexpr std::size_t kDefaultUploadMemoryBudget = 256u << 20;
inline constexpr std::int64_t kOverBudgetRetryAfterSeconds = 2;  // a body in flight ends in seconds
inline constexpr std::size_t kMaxRateLimitKeys = 100000;         // token buckets held per limiter (IPs, accounts)

}  // namespace civic::http::limits
