// The header turned into a Request (server/http/request_head.hpp): header names lower-cased
// without libc, the path and query decoded only where they hold escapes, and the connection's
// RequestHead refilled in place request after request with nothing left over from the last one.
#include "server/http/request_head.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <utility>

namespace {

namespace bhttp = boost::beast::http;
using civic::http::fill_request_head;
using civic::http::Request;
using civic::http::RequestHead;
using civic::http::Response;
using civic::http::Router;
using Pairs = civic::http::StringPairs;

boost::asio::awaitable<Response> nothing(Request&) { co_return Response{}; }

const Router& table() {
    static const Router r = [] {
        Router built;
        built.add({"GET", "/api/v1/categories", 0, nothing, "categories"});
        built.add({"GET", "/api/v1/reports/{id:int}", 0, nothing, "one report"});
        built.add({"POST", "/api/v1/reports/{id:int}/events", 0, nothing, "an event"});
        built.add({"GET", "/v2/services/{code:str}.json", 0, nothing, "service"});
        return built;
    }();
    return r;
}

bhttp::request_header<> header(std::string method, std::string target,
                               std::initializer_list<std::pair<const char*, const char*>> fields = {}) {
    bhttp::request_header<> h;
    h.method_string(method);
    h.target(target);
    for (const auto& [name, value] : fields) h.insert(name, value);
    return h;
}

int status_of(const RequestHead& head) { return head.error ? head.error->status() : 0; }

TEST(RequestHead, HeaderNamesAreLowerCasedAsciiOnly) {
    std::string out = "a previous, longer name";
    civic::http::assign_lower("X-Request-ID", out);
    EXPECT_EQ(out, "x-request-id");
    civic::http::assign_lower("AZaz09-_[`@{", out);  // the bytes around 'A'..'Z' stay
    EXPECT_EQ(out, "azaz09-_[`@{");
    civic::http::assign_lower("\xC3\x84X", out);  // not ASCII: left as it is
    EXPECT_EQ(out, "\xC3\x84x");

    const auto head = civic::http::request_from_header(
        header("GET", "/api/v1/categories", {{"CONTENT-Type", "text/plain"}, {"Authorization", "Bearer T"}}), table());
    EXPECT_EQ(head.request.header("content-type"), "text/plain");
    EXPECT_EQ(head.request.header("authorization"), "Bearer T");
    EXPECT_EQ(head.request.header("Authorization"), std::nullopt);  // callers ask in lower case
}

TEST(RequestHead, PathIsDecodedOnlyWhereItHasEscapes) {
    auto head = civic::http::request_from_header(header("GET", "/api/v1/categories"), table());
    EXPECT_EQ(status_of(head), 0);
    EXPECT_EQ(head.request.path, "/api/v1/categories");
    head = civic::http::request_from_header(header("GET", "/api/v1/%63ategories"), table());
    EXPECT_EQ(status_of(head), 0);
    EXPECT_EQ(head.request.path, "/api/v1/categories");
    head = civic::http::request_from_header(header("GET", "/a+b%00c"), table());  // '+' is no space in a path
    EXPECT_EQ(head.request.path, std::string("/a+b\0c", 6));
    EXPECT_EQ(status_of(head), 404);
}

TEST(RequestHead, MalformedEscapesAre400AndKeepTheRawPath) {
    for (const char* target : {"/api/v1/%zz", "/api/v1/x%", "/api/v1/x%4", "/api/v1/%g0?a=1"}) {
        const auto head = civic::http::request_from_header(header("GET", target), table());
        EXPECT_EQ(status_of(head), 400) << target;
        EXPECT_EQ(head.request.path, std::string_view(target).substr(0, std::string_view(target).find('?')));
        EXPECT_TRUE(head.request.query.empty()) << target;
    }
}

TEST(RequestHead, QueryIsSplitAndDecodedWithPlusAsSpace) {
    const auto head =
        civic::http::request_from_header(header("GET", "/api/v1/categories?a=1&&b=x+y%2Bz&flag&=v&c=%00"), table());
    EXPECT_EQ(status_of(head), 0);
    EXPECT_EQ(head.request.query,
              (Pairs{{"a", "1"}, {"b", "x y+z"}, {"flag", ""}, {"", "v"}, {"c", std::string(1, '\0')}}));
    for (const char* bad : {"/api/v1/categories?a=%", "/api/v1/categories?a=%zz", "/api/v1/categories?%4=1"}) {
        const auto refused = civic::http::request_from_header(header("GET", bad), table());
        EXPECT_EQ(status_of(refused), 400) << bad;
        EXPECT_TRUE(refused.request.query.empty()) << bad;
    }
}

TEST(RequestHead, TheClientsRequestIdOnlyWhenAcceptable) {
    auto head = civic::http::request_from_header(header("GET", "/api/v1/categories", {{"X-Request-Id", "app-42.r:1"}}),
                                                 table());
    EXPECT_EQ(head.request.request_id, "app-42.r:1");
    head = civic::http::request_from_header(header("GET", "/api/v1/categories", {{"X-Request-Id", "a b"}}), table());
    EXPECT_EQ(head.request.request_id, "");
    EXPECT_FALSE(civic::http::acceptable_request_id(std::string(129, 'a')));
    EXPECT_TRUE(civic::http::acceptable_request_id(std::string(128, 'a')));
}

// Each field of a refilled head equals the one a fresh head gets for the same header.
void expect_same(const RequestHead& refilled, const RequestHead& fresh) {
    const auto& a = refilled.request;
    const auto& b = fresh.request;
    EXPECT_EQ(a.method, b.method);
    EXPECT_EQ(a.target, b.target);
    EXPECT_EQ(a.path, b.path);
    EXPECT_EQ(a.query, b.query);
    EXPECT_EQ(a.headers, b.headers);
    EXPECT_EQ(a.params, b.params);
    EXPECT_EQ(a.body, b.body);
    EXPECT_EQ(a.parts.has_value(), b.parts.has_value());
    EXPECT_EQ(a.request_id, b.request_id);
    EXPECT_EQ(refilled.route, fresh.route);
    EXPECT_EQ(status_of(refilled), status_of(fresh));
    EXPECT_EQ(refilled.allow, fresh.allow);
}

TEST(RequestHead, ARefilledHeadKeepsNothingOfTheLastRequest) {
    const std::initializer_list<std::pair<bhttp::request_header<>, const char*>> sequence = {
        {header("POST", "/api/v1/reports/12/events?x=1&y=2",
                {{"Host", "h"},
                 {"X-Request-Id", "first"},
                 {"Authorization", "Bearer a-long-token-value-here"},
                 {"Content-Type", "application/json"}}),
         "many headers, a query, a parameter, a client id"},
        {header("GET", "/api/v1/categories", {{"Host", "h"}}), "fewer headers, no query, no parameter, no id"},
        {header("GET", "/v2/services/a.b.json?q=1", {{"Host", "h"}, {"X-Request-Id", "third"}}), "a string parameter"},
        {header("DELETE", "/api/v1/reports/7"), "405, with its Allow list"},
        {header("GET", "/api/v1/reports/7"), "found again after a 405"},
        {header("GET", "/api/v1/reports/07?z=%zz"), "a malformed query"},
        {header("GET", "/api/v1/reports/abc"), "a malformed parameter"},
        {header("GET", "x"), "a target without '/'"},
        {header("GET", "/api/v1/reports/12?x=1", {{"Host", "h"}}), "after an error"},
    };
    RequestHead connection;
    connection.request.remote_address = "192.0.2.1";
    connection.request.secure = true;
    for (const auto& [h, what] : sequence) {
        SCOPED_TRACE(what);
        connection.request.body = "the last request's body";  // a handler's leftovers
        connection.request.parts.emplace();
        connection.request.headers.emplace_back("authorization", "added by a handler");
        fill_request_head(h, table(), connection);
        expect_same(connection, civic::http::request_from_header(h, table()));
        EXPECT_EQ(connection.request.remote_address, "192.0.2.1");
        EXPECT_TRUE(connection.request.secure);
    }
}

TEST(RequestHead, ResetEmptiesAllButTheConnectionsAddress) {
    RequestHead head;
    head.request.remote_address = "192.0.2.1";
    fill_request_head(header("GET", "/api/v1/reports/3?a=b", {{"X-Request-Id", "id"}}), table(), head);
    head.request.body = "x";
    civic::http::reset_request(head.request);
    EXPECT_EQ(head.request.remote_address, "192.0.2.1");
    EXPECT_TRUE(head.request.method.empty() && head.request.target.empty() && head.request.path.empty());
    EXPECT_TRUE(head.request.query.empty() && head.request.headers.empty() && head.request.params.empty());
    EXPECT_TRUE(head.request.body.empty() && head.request.request_id.empty() && !head.request.parts);
}

TEST(RequestHead, PairWriterReusesTheStringsItHolds) {
    Pairs pairs{{"a key long enough to be on the heap", "a value long enough to be on the heap"}, {"b", "c"}};
    const char* heap = pairs[0].first.data();
    {
        civic::http::PairWriter writer(pairs);
        writer.add("k", "v");
    }
    ASSERT_EQ(pairs, (Pairs{{"k", "v"}}));
    EXPECT_EQ(pairs[0].first.data(), heap);  // the same buffer, refilled
    { civic::http::PairWriter writer(pairs); }
    EXPECT_TRUE(pairs.empty());
}

TEST(RequestHead, RouterWritesParametersIntoTheGivenPairs) {
    Pairs params{{"stale", "value"}};
    const civic::http::Route* route = nullptr;
    EXPECT_EQ(table().match_into("GET", "/api/v1/reports/42", route, params, nullptr), Router::Outcome::found);
    EXPECT_EQ(route->summary, "one report");
    EXPECT_EQ(params, (Pairs{{"id", "42"}}));
    std::vector<std::string> allowed;
    EXPECT_EQ(table().match_into("PUT", "/api/v1/reports/42", route, params, &allowed),
              Router::Outcome::method_not_allowed);
    EXPECT_EQ(route, nullptr);
    EXPECT_TRUE(params.empty());
    EXPECT_EQ(allowed, std::vector<std::string>{"GET"});
    EXPECT_EQ(table().match_into("GET", "/api/v1/reports/x", route, params, nullptr), Router::Outcome::bad_parameter);
    EXPECT_EQ(table().match_into("GET", "/nope", route, params, nullptr), Router::Outcome::not_found);
}

TEST(RequestHead, PathsLongerThanAnyRouteMatchNothing) {
    std::string deep;
    for (std::size_t i = 0; i <= Router::kMaxSegments; ++i) deep += "/1";
    Pairs params;
    const civic::http::Route* route = nullptr;
    EXPECT_EQ(table().match_into("GET", deep, route, params, nullptr), Router::Outcome::not_found);
    EXPECT_EQ(status_of(civic::http::request_from_header(header("GET", deep), table())), 404);
    Router r;
    EXPECT_THROW(r.add({"GET", deep, 0, nothing, "too deep"}), std::invalid_argument);
    deep.resize(deep.size() - 2);  // exactly kMaxSegments: allowed, and matched
    r.add({"GET", deep, 0, nothing, "deepest"});
    EXPECT_EQ(r.match_into("GET", deep, route, params, nullptr), Router::Outcome::found);
}

}  // namespace
