#pragma once
// A closed-loop HTTP/1.1 load driver: N keep-alive connections, each sending its next request as
// soon as the previous response has been read, for a fixed time or a fixed number of requests.
// Requests come from a callback, so that every one can differ (tokens, signatures, photos).
#include "bench/load/latency.hpp"
#include "bench/load/target.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace civic::load {

struct Call {
    std::string method = "GET";
    std::string target;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

struct Reply {
    int status = 0;
    std::string body;
};

struct DriveOptions {
    std::size_t connections = 16;
    std::chrono::milliseconds duration{10'000};
    std::size_t max_requests = 0;  // 0: no limit, the duration alone ends the run
};

// Returns the next request for connection `index`, or nothing when there is no more work.
using MakeCall = std::function<std::optional<Call>(std::size_t index)>;
// Sees every reply; returns whether it counts as a success.
using CheckReply = std::function<bool(std::size_t index, const Reply&)>;

struct DriveResult {
    Latencies latencies;
    double seconds = 0;
};

DriveResult drive(const Target& target, const DriveOptions& options, const MakeCall& make, const CheckReply& check);

// One request on its own connection, for set-up (e.g. reading the category list).
Reply fetch(const Target& target, const Call& call);

// Opens `connections` keep-alive connections, sends one GET on each, then calls `while_idle` with
// all of them open and idle; closes them afterwards. Returns how many connections made it.
std::size_t hold_idle(const Target& target, std::size_t connections, const std::string& path,
                      const std::function<void(std::size_t open)>& while_idle);

}  // namespace civic::load
