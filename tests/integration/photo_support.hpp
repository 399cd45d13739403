#pragma once
// Helpers shared by the photo-read tests and the cluster test: a report submitted with one photo
// (in TicketCity's category `t-garbage`), and GETs with extra headers.
#include "support/daemon.hpp"
#include "support/uploads.hpp"

#include <cstddef>
#include <stdexcept>
#include <string>

namespace civic::test {

struct StoredPhoto {
    std::string url;
    std::string sha256;
    std::size_t bytes = 0;
};

inline StoredPhoto submit_photo(const Daemon& d, const std::string& token, const std::string& jpeg) {
    auto r = post_multipart(
        d, "/api/v1/reports",
        multipart({{"category", "t-garbage"}, {"description", "大件垃圾"}, {"lat", 23.375}, {"lon", 103.375}}, {jpeg}),
        token);
    if (r.status != 201) throw std::runtime_error("submit failed: " + std::to_string(r.status) + " " + r.body);
    const auto report = r.json();
    const auto& p = report["photos"][0];
    return {p["url"].get<std::string>(), p["sha256"].get<std::string>(), p["bytes"].get<std::size_t>()};
}

inline HttpResponse get_with(const Daemon& d, const std::string& target, const std::string& token, Headers headers) {
    headers.emplace_back("Authorization", "Bearer " + token);
    return d.request("GET", target, "", headers);
}

inline std::string quoted(const std::string& s) { return "\"" + s + "\""; }

}  // namespace civic::test
