// The router: typed parameters, parameters followed by a literal suffix in their segment
// ("{id}.json", used by Open311), and per-prefix error renderers.
#include "server/http/router.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <stdexcept>

namespace {

using civic::ApiError;
using civic::http::Request;
using civic::http::Response;
using civic::http::Route;
using civic::http::Router;

boost::asio::awaitable<Response> nothing(Request&) { co_return Response{}; }

Router table() {
    Router r;
    r.add({"GET", "/v2/requests.json", 0, nothing, "list"});
    r.add({"GET", "/v2/requests/{id:int}.json", 0, nothing, "one, json"});
    r.add({"GET", "/v2/requests/{id:int}.xml", 0, nothing, "one, xml"});
    r.add({"GET", "/v2/services/{code:str}.json", 0, nothing, "service"});
    r.add({"GET", "/v2/plain/{id:int}", 0, nothing, "no suffix"});
    return r;
}

std::vector<std::pair<std::string, std::string>> params_of(const Router::Result& m) {
    return std::get<Router::Found>(m).params;
}

TEST(Router, ParameterWithSuffixMatchesAndStripsTheSuffix) {
    const auto r = table();
    const auto m = r.match("GET", "/v2/requests/12.json");
    ASSERT_TRUE(std::holds_alternative<Router::Found>(m));
    EXPECT_EQ(std::get<Router::Found>(m).route->summary, "one, json");
    EXPECT_EQ(params_of(m), (std::vector<std::pair<std::string, std::string>>{{"id", "12"}}));
    const auto x = r.match("GET", "/v2/requests/12.xml");
    ASSERT_TRUE(std::holds_alternative<Router::Found>(x));
    EXPECT_EQ(std::get<Router::Found>(x).route->summary, "one, xml");
}

TEST(Router, StringParameterKeepsInnerDotsAndNeedsAValue) {
    const auto r = table();
    const auto m = r.match("GET", "/v2/services/200102.exposed-garbage.json");
    ASSERT_TRUE(std::holds_alternative<Router::Found>(m));
    EXPECT_EQ(params_of(m)[0].second, "200102.exposed-garbage");
    EXPECT_TRUE(std::holds_alternative<Router::NotFound>(r.match("GET", "/v2/services/.json")));
    EXPECT_TRUE(std::holds_alternative<Router::NotFound>(r.match("GET", "/v2/services/x.html")));
}

TEST(Router, SuffixIsLiteralSoAnotherExtensionIsNotFoundAndABadIdIsABadParameter) {
    const auto r = table();
    EXPECT_TRUE(std::holds_alternative<Router::NotFound>(r.match("GET", "/v2/requests/12.csv")));
    EXPECT_TRUE(std::holds_alternative<Router::NotFound>(r.match("GET", "/v2/requests/12")));
    EXPECT_TRUE(std::holds_alternative<Router::BadParameter>(r.match("GET", "/v2/requests/abc.json")));
    EXPECT_TRUE(std::holds_alternative<Router::BadParameter>(r.match("GET", "/v2/requests/012.json")));
    EXPECT_TRUE(std::holds_alternative<Router::Found>(r.match("GET", "/v2/requests.json")));
    EXPECT_TRUE(std::holds_alternative<Router::MethodNotAllowed>(r.match("POST", "/v2/requests/3.json")));
    // Routes without a suffix are unchanged: the dot belongs to the value.
    EXPECT_TRUE(std::holds_alternative<Router::BadParameter>(r.match("GET", "/v2/plain/3.json")));
    EXPECT_TRUE(std::holds_alternative<Router::Found>(r.match("GET", "/v2/plain/3")));
}

TEST(Router, MalformedSuffixPatternsAreRefused) {
    Router r;
    EXPECT_THROW(r.add({"GET", "/a/{x}{y}", 0, nothing, ""}), std::invalid_argument);
    EXPECT_THROW(r.add({"GET", "/a/{x}.j}", 0, nothing, ""}), std::invalid_argument);
    EXPECT_THROW(r.add({"GET", "/a/{x", 0, nothing, ""}), std::invalid_argument);
}

TEST(Router, ErrorRendererAppliesUnderItsPrefixOnly) {
    Router r = table();
    r.set_error_renderer("/v2/", [](const ApiError& e, const Request&) {
        Response res;
        res.status = e.status();
        res.body = "custom";
        return res;
    });
    Request inside;
    inside.path = "/v2/anything.json";
    Request outside;
    outside.path = "/api/v1/x";
    const auto a = r.render_error(ApiError::not_found(), inside);
    EXPECT_EQ(a.body, "custom");
    EXPECT_EQ(a.status, 404);
    const auto b = r.render_error(ApiError::not_found(), outside);
    EXPECT_NE(b.body.find("\"not_found\""), std::string::npos);
}

// An exception a handler let escape: the translator's answer when it knows it, else 500
// "internal"; the text goes to the log exactly once and never into the answer.
TEST(Router, EscapedExceptionsAreTranslatedAndLoggedOnce) {
    Router r = table();
    Request req;
    req.path = "/v2/requests.json";
    const auto unknown = [&] {
        testing::internal::CaptureStderr();
        const ApiError e = r.translate(std::runtime_error("secret detail"), "/v2/requests.json");
        return std::pair{e, testing::internal::GetCapturedStderr()};
    };
    auto [plain, log] = unknown();
    EXPECT_EQ(plain.status(), 500);
    EXPECT_EQ(plain.code(), "internal");
    EXPECT_EQ(std::string(plain.what()).find("secret"), std::string::npos);
    EXPECT_EQ(r.render_error(plain, req).body.find("secret"), std::string::npos);
    EXPECT_NE(log.find("/v2/requests.json"), std::string::npos) << log;
    EXPECT_NE(log.find("secret detail"), std::string::npos) << log;
    EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;

    r.set_error_translator([](const std::exception& e, const std::string&) -> std::optional<ApiError> {
        if (dynamic_cast<const std::length_error*>(&e))
            return ApiError::unavailable(5, "storage temporarily unavailable");
        return std::nullopt;
    });
    testing::internal::CaptureStderr();
    const ApiError known = r.translate(std::length_error("disk full"), "/v2/requests.json");
    log = testing::internal::GetCapturedStderr();
    EXPECT_EQ(known.status(), 503);
    EXPECT_EQ(known.retry_after(), 5);
    EXPECT_NE(log.find("disk full"), std::string::npos) << log;
    EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 1) << log;
    auto [other, other_log] = unknown();  // one the translator does not know: still 500
    EXPECT_EQ(other.status(), 500);
    EXPECT_EQ(std::count(other_log.begin(), other_log.end(), '\n'), 1) << other_log;
}

}  // namespace
