// The web pages (docs/web.md): /dashboard/ for the dispatch center, /kiosk/ for the
// supermarket till, /app/ for residents and grid workers on their phones. Static files compiled into the binary;
// everything they show comes from the JSON API, so these handlers only serve bytes with the right headers.
#include "common/errors.hpp"
#include "server/api/routes.hpp"
#include "server/api/web_assets.hpp"

#include <algorithm>
#include <string>

namespace civic::api {

namespace asio = boost::asio;
using http::Request;
using http::Response;

const WebAsset* find_web_asset(std::string_view path) {
    const auto all = web_assets();
    const auto it = std::lower_bound(all.begin(), all.end(), path,
                                     [](const WebAsset& a, std::string_view p) { return a.path < p; });
    return it != all.end() && it->path == path ? &*it : nullptr;
}

std::string_view web_content_type(std::string_view path) {
    auto ends = [&](std::string_view ext) { return path.ends_with(ext); };
    if (ends(".html")) return "text/html; charset=utf-8";
    if (ends(".js") || ends(".mjs")) return "text/javascript; charset=utf-8";
    if (ends(".css")) return "text/css; charset=utf-8";
    if (ends(".svg")) return "image/svg+xml";
    if (ends(".png")) return "image/png";
    if (ends(".json")) return "application/json";
    if (ends(".webmanifest")) return "application/manifest+json";
    return "application/octet-stream";
}

namespace {

// Scripts and styles only from this origin (no inline script, no eval); photos are fetched with
// the bearer token and shown as blob: URLs; the WebSocket is same-origin ('self' covers ws:).
constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'";

Response serve(const Request& req, const std::string& path) {
    const auto* asset = find_web_asset(path);
    if (!asset) throw ApiError::not_found("no such page file");
    std::string etag = "\"";
    etag.append(asset->sha256.substr(0, 32)).append("\"");
    Response r;
    r.content_type = std::string(web_content_type(path));
    // Not fingerprinted file names, so browsers revalidate every time; unchanged files cost a 304.
    r.header("Cache-Control", "no-cache");
    r.header("ETag", etag);
    r.header("Content-Security-Policy", kContentSecurityPolicy);
    r.header("Referrer-Policy", "no-referrer");
    r.header("X-Frame-Options", "DENY");
    if (req.etag_matches(etag)) {
        r.status = 304;
        return r;
    }
    r.body = std::string(asset->body);
    return r;
}

Response redirect(std::string location) {
    Response r;
    r.status = 301;
    r.content_type = "text/plain; charset=utf-8";
    r.header("Location", std::move(location));
    r.header("Cache-Control", "no-cache");
    return r;
}

// A file name inside one page's folder: the router gives one path segment, already decoded, so
// only "." and ".." could step outside it.
std::string file_in(std::string_view dir, std::string_view file) {
    if (file == "." || file == ".." || file.find('/') != std::string_view::npos)
        throw ApiError::not_found("no such page file");
    std::string path(dir);
    path.append("/").append(file);
    return path;
}

}  // namespace

void add_web_routes(http::Router& router, AppContext&) {
    for (const std::string page : {"dashboard", "kiosk", "app"}) {
        const std::string base = "/" + page;
        router.add({"GET", base, 0, [base](Request&) -> asio::awaitable<Response> { co_return redirect(base + "/"); },
                    "Redirect to the " + page + " page"});
        router.add({"GET", base + "/", 0,
                    [page](Request& req) -> asio::awaitable<Response> { co_return serve(req, page + "/index.html"); },
                    "The " + page + " page (HTML)"});
        router.add({"GET", base + "/{file}", 0,
                    [page](Request& req) -> asio::awaitable<Response> {
                        co_return serve(req, file_in(page, req.param("file")));
                    },
                    "A file of the " + page + " page"});
    }
    router.add(
        {"GET", "/web/{file}", 0,
         [](Request& req) -> asio::awaitable<Response> { co_return serve(req, file_in("shared", req.param("file"))); },
         "Scripts and styles shared by the pages"});
    // Third-party scripts copied unchanged from their npm packages (docs/dependencies.md).
    router.add(
        {"GET", "/web/vendor/{file}", 0,
         [](Request& req) -> asio::awaitable<Response> { co_return serve(req, file_in("vendor", req.param("file"))); },
         "Third-party scripts used by the pages, vendored with their licences"});
}

}  // namespace civic::api
