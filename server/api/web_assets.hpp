#pragma once
// The dashboard and kiosk pages (files under web/), compiled into the binary by CMake so that the
// daemon serves them with no build step at run time and no network (see docs/web.md).
#include <span>
#include <string_view>

namespace civic::api {

struct WebAsset {
    std::string_view path;    // relative to web/, e.g. "dashboard/index.html"
    std::string_view sha256;  // hex digest of body, computed at build time (the ETag)
    std::string_view body;
};

// Sorted by path.
std::span<const WebAsset> web_assets();

// The asset at `path`, or nullptr.
const WebAsset* find_web_asset(std::string_view path);

// "text/html; charset=utf-8" etc., from the file's extension.
std::string_view web_content_type(std::string_view path);

}  // namespace civic::api
