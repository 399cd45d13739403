// The web pages as HTTP resources (docs/web.md): served from the binary with the right types,
// ETags and 304s, a strict Content-Security-Policy, redirects to the trailing slash, and API
// errors for anything else. What the pages do is tested in a browser (tests/browser).
#include "support/daemon.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <regex>

using civic::test::Daemon;

namespace {

Daemon& web_daemon() {
    static Daemon d;
    return d;
}

TEST(Web, PagesRedirectToTheirTrailingSlash) {
    for (const std::string page : {"/dashboard", "/kiosk", "/app"}) {
        const auto r = web_daemon().get(page);
        EXPECT_EQ(r.status, 301) << page;
        EXPECT_EQ(r.header("location"), page + "/");
    }
}

TEST(Web, IndexPagesAreHtmlWithAStrictPolicy) {
    for (const std::string page : {"/dashboard/", "/kiosk/", "/app/"}) {
        const auto r = web_daemon().get(page);
        ASSERT_EQ(r.status, 200) << page;
        EXPECT_EQ(r.header("content-type"), "text/html; charset=utf-8");
        EXPECT_NE(r.body.find("<!doctype html>"), std::string::npos);
        const auto csp = r.header("content-security-policy");
        EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
        EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
        EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
        EXPECT_EQ(csp.find("unsafe"), std::string::npos) << csp;
        EXPECT_EQ(r.header("cache-control"), "no-cache");
        EXPECT_EQ(r.header("x-content-type-options"), "nosniff");
        // No inline script, no inline style, nothing from another origin.
        const std::regex inline_script("<script(?![^>]*\\ssrc=)[^>]*>");
        EXPECT_FALSE(std::regex_search(r.body, inline_script)) << page;
        EXPECT_EQ(r.body.find("style=\""), std::string::npos) << page;
        EXPECT_EQ(r.body.find("http://"), std::string::npos) << page;
        EXPECT_EQ(r.body.find("https://"), std::string::npos) << page;
    }
}

TEST(Web, AssetsHaveTheirContentTypes) {
    const std::vector<std::pair<std::string, std::string>> files = {
        {"/dashboard/app.js", "text/javascript; charset=utf-8"},
        {"/dashboard/dashboard.css", "text/css; charset=utf-8"},
        {"/kiosk/sign.js", "text/javascript; charset=utf-8"},
        {"/web/common.css", "text/css; charset=utf-8"},
        {"/web/i18n.js", "text/javascript; charset=utf-8"},
        {"/web/icon.svg", "image/svg+xml"},
        {"/app/manifest.webmanifest", "application/manifest+json"},
        {"/app/sw.js", "text/javascript; charset=utf-8"},
        {"/web/vendor/qrcode-generator-2.0.4.mjs", "text/javascript; charset=utf-8"},
        {"/web/vendor/jsqr-1.4.0.js", "text/javascript; charset=utf-8"},
        {"/web/vendor/jsqr-1.4.0.LICENSE", "application/octet-stream"},
    };
    for (const auto& [path, type] : files) {
        const auto r = web_daemon().get(path);
        EXPECT_EQ(r.status, 200) << path;
        EXPECT_EQ(r.header("content-type"), type) << path;
        EXPECT_FALSE(r.body.empty()) << path;
    }
}

// The app's PNG icons are binary (NUL bytes and all): served byte for byte as in the tree.
TEST(Web, PngIconsAreServedByteForByte) {
    for (const std::string name : {"icon-192.png", "icon-512.png", "icon-maskable-512.png", "apple-touch-icon.png"}) {
        std::ifstream file(std::string(CIVIC_TEST_DATA_DIR) + "/../../web/app/" + name, std::ios::binary);
        ASSERT_TRUE(file) << name;
        const std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
        ASSERT_GT(bytes.size(), 100u) << name;
        ASSERT_NE(bytes.find('\0'), std::string::npos) << name << " (a PNG holds NUL bytes)";
        const auto r = web_daemon().get("/app/" + name);
        EXPECT_EQ(r.status, 200) << name;
        EXPECT_EQ(r.header("content-type"), "image/png") << name;
        EXPECT_EQ(r.body.size(), bytes.size()) << name;
        EXPECT_TRUE(r.body == bytes) << name;
    }
}

TEST(Web, EtagRevalidationAnswers304) {
    const auto first = web_daemon().get("/kiosk/kiosk.js");
    ASSERT_EQ(first.status, 200);
    const auto etag = first.header("etag");
    ASSERT_TRUE(std::regex_match(etag, std::regex("\"[0-9a-f]{32}\""))) << etag;
    EXPECT_EQ(web_daemon().get("/kiosk/kiosk.js").header("etag"), etag);  // stable
    EXPECT_NE(web_daemon().get("/kiosk/sign.js").header("etag"), etag);   // per file

    const std::vector<std::string> matching = {etag, "W/" + etag, "\"other\", " + etag, "*"};
    for (const auto& inm : matching) {
        const auto r = web_daemon().request("GET", "/kiosk/kiosk.js", "", {{"If-None-Match", inm}});
        EXPECT_EQ(r.status, 304) << inm;
        EXPECT_TRUE(r.body.empty());
        EXPECT_EQ(r.header("etag"), etag);
    }
    const auto stale = web_daemon().request("GET", "/kiosk/kiosk.js", "", {{"If-None-Match", "\"0123\""}});
    EXPECT_EQ(stale.status, 200);
    EXPECT_EQ(stale.body, first.body);
}

TEST(Web, HeadAnswersWithoutABody) {
    const auto page = web_daemon().get("/dashboard/");
    const auto raw = civic::test::raw_exchange(web_daemon().port(),
                                               "HEAD /dashboard/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(raw.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << raw;
    EXPECT_NE(raw.find("Content-Type: text/html; charset=utf-8\r\n"), std::string::npos) << raw;
    EXPECT_NE(raw.find("Content-Length: " + std::to_string(page.body.size()) + "\r\n"), std::string::npos) << raw;
    const auto end = raw.find("\r\n\r\n");
    ASSERT_NE(end, std::string::npos);
    EXPECT_EQ(raw.size(), end + 4) << "no body after the header";
}

TEST(Web, UnknownFilesAreApiErrors) {
    for (const std::string path :
         {"/dashboard/nope.js", "/kiosk/index.htm", "/web/app.js", "/dashboard/%2E%2E",
          "/dashboard/..%2Fkiosk%2Fkiosk.js", "/dashboard/a/b", "/web/", "/dashboard/.", "/app/nope.js",
          "/web/vendor/..", "/web/vendor/%2E%2E%2Fdom.js", "/web/vendor/nope.js", "/web/vendor", "/app/sw.js/x"}) {
        const auto r = web_daemon().get(path);
        EXPECT_EQ(r.status, 404) << path;
        EXPECT_EQ(r.error_code(), "not_found") << path;
        EXPECT_EQ(r.header("content-type"), "application/json") << path;
    }
    const auto post = web_daemon().post("/dashboard/", nlohmann::json::object());
    EXPECT_EQ(post.status, 405);
    EXPECT_EQ(post.error_code(), "method_not_allowed");
    EXPECT_EQ(post.header("allow"), "GET");
}

TEST(Web, PagesNeedNoToken) {
    // The pages are public; what they show needs a token (or a kiosk signature) from the API.
    EXPECT_EQ(web_daemon().get("/dashboard/").status, 200);
    EXPECT_EQ(web_daemon().get("/api/v1/reports").status, 401);
}

}  // namespace
