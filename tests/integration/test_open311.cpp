// API.md §10: Open311 GeoReport v2 over the real daemon. Every endpoint in both formats; the
// JSON validated against the published GeoReport v2 JSON Schemas (tests/data/open311-schemas),
// the XML read back by libxml2; filters, date windows, the 1000 limit, the error format and
// codes, partner keys, photos, privacy, and a request followed from POST to closed.
#include "support/json_schema.hpp"
#include "support/tls_client.hpp"
#include "ticket_city.hpp"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

using namespace civic::test;
using nlohmann::json;

namespace {

// ---- XML, read by a real parser into a small tree ----

struct XNode {
    std::string name;
    std::string text;   // concatenated text content (for leaves)
    bool empty = true;  // no child elements and no text
    std::vector<XNode> kids;

    const XNode& child(const std::string& n) const {
        for (const auto& k : kids)
            if (k.name == n) return k;
        throw std::runtime_error("no <" + n + "> in <" + name + ">");
    }
    std::vector<const XNode*> all(const std::string& n) const {
        std::vector<const XNode*> out;
        for (const auto& k : kids)
            if (k.name == n) out.push_back(&k);
        return out;
    }
    const std::string& at(const std::string& n) const { return child(n).text; }
};

XNode convert(xmlNode* n) {
    XNode x;
    x.name = reinterpret_cast<const char*>(n->name);
    for (auto* c = n->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE)
            x.kids.push_back(convert(c));
        else if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
            x.text += reinterpret_cast<const char*>(c->content);
    }
    x.empty = x.kids.empty() && x.text.empty();
    return x;
}

// Parses strictly (no network, no entity expansion tricks); fails the test if not well-formed.
XNode parse_xml(const std::string& body) {
    xmlDocPtr doc = xmlReadMemory(body.data(), static_cast<int>(body.size()), "open311.xml", "UTF-8",
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        ADD_FAILURE() << "not well-formed XML: " << body.substr(0, 300);
        return {};
    }
    XNode root = convert(xmlDocGetRootElement(doc));
    xmlFreeDoc(doc);
    return root;
}

// ---- forms ----

std::string percent_encode(const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

using Fields = std::vector<std::pair<std::string, std::string>>;

std::string form(const Fields& fields) {
    std::string body;
    for (const auto& [k, v] : fields) {
        if (!body.empty()) body += '&';
        body += percent_encode(k) + "=" + percent_encode(v);
    }
    return body;
}

Multipart open311_multipart(const Fields& fields, const std::vector<std::string>& media) {
    const std::string boundary = "----open311-test-boundary-9f8e7d";
    std::string body;
    for (const auto& [k, v] : fields)
        body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + k + "\"\r\n\r\n" + v + "\r\n";
    for (std::size_t i = 0; i < media.size(); ++i)
        body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"media\"; filename=\"m" +
                std::to_string(i) + ".jpg\"\r\nContent-Type: image/jpeg\r\n\r\n" + media[i] + "\r\n";
    body += "--" + boundary + "--\r\n";
    return {"multipart/form-data; boundary=" + boundary, std::move(body)};
}

struct Open311 : ::testing::Test {
    Daemon d;
    TicketCity c{d};
    JsonSchemas schemas{std::string(CIVIC_TEST_DATA_DIR) + "/open311-schemas"};
    std::string key;

    void SetUp() override {
        auto r = d.post("/api/v1/admin/open311-keys", {{"name", "Partner App"}}, c.admin);
        ASSERT_EQ(r.status, 201) << r.body;
        key = r.json()["api_key"].get<std::string>();
    }

    HttpResponse get(const std::string& path) const { return d.get("/open311/v2" + path); }

    json get_json(const std::string& path, const std::string& schema = "") const {
        auto r = get(path);
        EXPECT_EQ(r.status, 200) << path << " → " << r.body;
        EXPECT_EQ(r.header("content-type"), "application/json; charset=utf-8");
        auto j = r.json();
        if (!schema.empty()) {
            const auto problems = schemas.validate(schema, j);
            EXPECT_TRUE(problems.empty()) << path << ": " << problems.front() << "\n" << r.body;
        }
        return j;
    }

    XNode get_xml(const std::string& path) const {
        auto r = get(path);
        EXPECT_EQ(r.status, 200) << path << " → " << r.body;
        EXPECT_EQ(r.header("content-type"), "text/xml; charset=utf-8");
        EXPECT_TRUE(r.body.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")) << r.body;
        return parse_xml(r.body);
    }

    HttpResponse post_form(const Fields& fields, const std::string& ext = ".json") const {
        return d.request("POST", "/open311/v2/requests" + ext, form(fields),
                         {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}});
    }

    HttpResponse post_update(const Fields& fields, const std::string& ext = ".json") const {
        return d.request("POST", "/open311/v2/servicerequestupdates" + ext, form(fields),
                         {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}});
    }

    // A key issued with "extended_statuses": true.
    std::string extended_key() const {
        auto r = d.post("/api/v1/admin/open311-keys", {{"name", "FixMyStreet"}, {"extended_statuses", true}}, c.admin);
        EXPECT_EQ(r.status, 201) << r.body;
        return r.json()["api_key"].get<std::string>();
    }

    std::size_t event_count(const std::string& id) const {
        return d.get("/api/v1/reports/" + id, c.dispatcher.token).json()["events"].size();
    }

    Fields minimal(double lon = 103.375, double lat = 23.375, const std::string& code = "t-garbage") const {
        std::ostringstream la, lo;
        la.precision(10);
        lo.precision(10);
        la << lat;
        lo << lon;
        return {{"api_key", key}, {"service_code", code}, {"lat", la.str()}, {"long", lo.str()}};
    }

    // Posts and returns the new service_request_id.
    std::string post_ok(const Fields& fields) const {
        auto r = post_form(fields);
        EXPECT_EQ(r.status, 200) << r.body;
        const auto problems_free = r.json().is_array() && r.json().size() == 1;
        EXPECT_TRUE(problems_free) << r.body;
        return r.json()[0]["service_request_id"].get<std::string>();
    }

    // The GeoReport error of a response: status, and the body's one error in the given format.
    void expect_error(const HttpResponse& r, int status, int code, bool xml = false) const {
        EXPECT_EQ(r.status, status) << r.body;
        if (xml) {
            EXPECT_EQ(r.header("content-type"), "text/xml; charset=utf-8");
            const auto root = parse_xml(r.body);
            EXPECT_EQ(root.name, "errors");
            ASSERT_EQ(root.all("error").size(), 1u) << r.body;
            EXPECT_EQ(root.child("error").at("code"), std::to_string(code));
            EXPECT_FALSE(root.child("error").at("description").empty());
        } else {
            EXPECT_EQ(r.header("content-type"), "application/json; charset=utf-8");
            const auto j = json::parse(r.body, nullptr, false);
            ASSERT_TRUE(j.is_array() && j.size() == 1) << r.body;
            EXPECT_EQ(j[0]["code"], code) << r.body;
            EXPECT_TRUE(j[0]["description"].is_string() && !j[0]["description"].get<std::string>().empty());
            EXPECT_EQ(j[0].size(), 2u) << r.body;
        }
    }

    std::int64_t count_requests() const { return static_cast<std::int64_t>(get_json("/requests.json").size()); }
};

std::int64_t as_id(const std::string& s) { return std::stoll(s); }

// The validator itself: what the specification forbids is refused, so the tests above can fail.
TEST(Open311Schemas, ValidatorRejectsWhatTheSpecificationForbids) {
    const JsonSchemas schemas{std::string(CIVIC_TEST_DATA_DIR) + "/open311-schemas"};
    const json good = {{"service_request_id", "1"},
                       {"status", "open"},
                       {"service_code", "x"},
                       {"requested_datetime", "2026-11-20T08:00:00+08:00"},
                       {"lat", 23.1},
                       {"media_url", nullptr}};
    EXPECT_TRUE(schemas.validate("requests.json", json::array({good})).empty());
    auto with = [&](const char* k, json v) {
        auto r = good;
        r[k] = std::move(v);
        return json::array({r});
    };
    auto without = [&](const char* k) {
        auto r = good;
        r.erase(k);
        return json::array({r});
    };
    EXPECT_FALSE(schemas.validate("requests.json", with("status", "pending")).empty());
    EXPECT_FALSE(schemas.validate("requests.json", with("service_request_id", 1)).empty());
    EXPECT_FALSE(schemas.validate("requests.json", with("lat", "23.1")).empty());
    EXPECT_FALSE(schemas.validate("requests.json", with("requested_datetime", "2026-11-20T08:00:00")).empty());
    EXPECT_FALSE(schemas.validate("requests.json", with("media_url", "not a uri")).empty());
    EXPECT_FALSE(schemas.validate("requests.json", with("description", std::string(4001, 'd'))).empty());
    EXPECT_FALSE(schemas.validate("requests.json", with("reporter_id", 5)).empty());  // not a GeoReport field
    EXPECT_TRUE(schemas.validate("requests.json", with("reporter_id", 5), false).empty());
    EXPECT_FALSE(schemas.validate("requests.json", without("status")).empty());
    EXPECT_FALSE(schemas.validate("requests.json", good).empty());  // an object where an array belongs
    EXPECT_FALSE(
        schemas
            .validate(
                "services.json",
                json::array(
                    {{{"service_code", "x"}, {"service_name", "n"}, {"metadata", "false"}, {"type", "realtime"}}}))
            .empty());
}

// ---- discovery and services ----

TEST_F(Open311, DiscoveryInBothFormats) {
    const auto j = get_json("/discovery.json");
    ASSERT_EQ(j["endpoints"].size(), 1u);
    const auto& e = j["endpoints"][0];
    EXPECT_EQ(e["specification"], "http://wiki.open311.org/GeoReport_v2");
    EXPECT_EQ(e["url"], "http://127.0.0.1/open311/v2");
    EXPECT_EQ(e["type"], "production");
    EXPECT_EQ(e["formats"], json::array({"text/xml", "application/json"}));
    EXPECT_TRUE(j["changeset"].is_string());
    EXPECT_TRUE(j["contact"].is_string());
    EXPECT_TRUE(j["key_service"].is_string());

    const auto x = get_xml("/discovery.xml");
    EXPECT_EQ(x.name, "discovery");
    const auto& endpoint = x.child("endpoints").child("endpoint");
    EXPECT_EQ(endpoint.at("url"), "http://127.0.0.1/open311/v2");
    std::vector<std::string> formats;
    for (const auto* f : endpoint.child("formats").all("format")) formats.push_back(f->text);
    EXPECT_EQ(formats, (std::vector<std::string>{"text/xml", "application/json"}));
}

TEST_F(Open311, ServicesAreTheCategoriesWithNamesSafeInBothFormats) {
    const std::string tricky = R"(Pipes <&> "quoted" 'apostrophe' 井盖缺失)";
    auto r = d.post("/api/v1/admin/categories",
                    {{"code", "100101.manhole-water"},
                     {"name", tricky},
                     {"sla_hours", 6},
                     {"points_on_accept", 1},
                     {"points_on_close", 1}},
                    c.admin);
    ASSERT_EQ(r.status, 201) << r.body;

    const auto j = get_json("/services.json", "services.json");
    ASSERT_EQ(j.size(), 3u);
    std::map<std::string, json> by_code;
    for (const auto& s : j) by_code[s["service_code"]] = s;
    ASSERT_TRUE(by_code.count("100101.manhole-water"));
    const auto& s = by_code["100101.manhole-water"];
    EXPECT_EQ(s["service_name"], tricky);
    EXPECT_EQ(s["metadata"], false);
    EXPECT_EQ(s["type"], "realtime");
    EXPECT_EQ(s["group"], "部件·公共设施 public facilities");
    EXPECT_EQ(s["description"], "Handled within 6 hours of the city accepting the request.");
    EXPECT_EQ(by_code["t-garbage"]["group"], nullptr);

    const auto x = get_xml("/services.xml");
    EXPECT_EQ(x.name, "services");
    const auto services = x.all("service");
    ASSERT_EQ(services.size(), 3u);
    bool seen = false;
    for (const auto* svc : services) {
        if (svc->at("service_code") != "100101.manhole-water") continue;
        seen = true;
        EXPECT_EQ(svc->at("service_name"), tricky);  // the parser gives back exactly what was stored
        EXPECT_EQ(svc->at("metadata"), "false");
        EXPECT_EQ(svc->at("type"), "realtime");
        EXPECT_TRUE(svc->child("keywords").empty);
    }
    EXPECT_TRUE(seen);
    // The raw XML carries the markup characters escaped, never as markup.
    const auto raw = get("/services.xml").body;
    EXPECT_NE(raw.find("Pipes &lt;&amp;&gt; &quot;quoted&quot; &apos;apostrophe&apos; 井盖缺失"), std::string::npos);
}

TEST_F(Open311, ServiceDefinitionInBothFormatsAndUnknownCodeIs404) {
    const auto j = get_json("/services/t-garbage.json", "service-definition.json");
    EXPECT_EQ(j["service_code"], "t-garbage");
    EXPECT_EQ(j["attributes"], json::array());
    const auto x = get_xml("/services/t-garbage.xml");
    EXPECT_EQ(x.name, "service_definition");
    EXPECT_EQ(x.at("service_code"), "t-garbage");
    EXPECT_TRUE(x.child("attributes").empty);

    expect_error(get("/services/no-such.json"), 404, 404);
    expect_error(get("/services/no-such.xml"), 404, 404, true);
}

// ---- POST → GET → closed ----

TEST_F(Open311, PostedRequestIsRoutedEarnsNoPointsAndCanBeFollowedToClosed) {
    auto fields = minimal();
    fields.push_back({"description", "Overflowing bin at the corner, 垃圾满溢"});
    fields.push_back({"address_string", "文澜路 12 号"});
    fields.push_back({"media_url", "https://partner.example/photos/42.jpg"});
    fields.push_back({"email", "someone@example.org"});
    fields.push_back({"first_name", "Ada"});
    fields.push_back({"last_name", "Lovelace"});
    fields.push_back({"phone", "13811112222"});
    fields.push_back({"device_id", "device-xyz"});
    fields.push_back({"jurisdiction_id", "mengzi.gov.cn"});
    auto posted = post_form(fields);
    ASSERT_EQ(posted.status, 200) << posted.body;
    const auto pj = posted.json();
    ASSERT_TRUE(pj.is_array() && pj.size() == 1) << posted.body;
    EXPECT_EQ(pj[0].size(), 1u) << "only service_request_id: no token, no account_id";
    const auto id = pj[0]["service_request_id"].get<std::string>();

    // As GeoReport shows it: open, routed to the grid, no deadline yet, no media until accepted.
    auto j = get_json("/requests/" + id + ".json", "requests.json");
    ASSERT_EQ(j.size(), 1u);
    auto req = j[0];
    EXPECT_EQ(req["service_request_id"], id);
    EXPECT_EQ(req["status"], "open");
    EXPECT_EQ(req["service_code"], "t-garbage");
    EXPECT_EQ(req["service_name"], "t-garbage");
    EXPECT_EQ(req["description"], "Overflowing bin at the corner, 垃圾满溢");
    EXPECT_EQ(req["address"], "文澜路 12 号");
    EXPECT_EQ(req["agency_responsible"], "T-G1");
    EXPECT_EQ(req["requested_datetime"], kStart);
    EXPECT_EQ(req["updated_datetime"], kStart);
    EXPECT_EQ(req["expected_datetime"], nullptr);
    EXPECT_EQ(req["media_url"], nullptr);
    EXPECT_DOUBLE_EQ(req["lat"].get<double>(), 23.375);
    EXPECT_DOUBLE_EQ(req["long"].get<double>(), 103.375);
    EXPECT_EQ(req["status_notes"], "Received; waiting for the city to review it.");

    // The same ticket in the native API: routed like any other, reporter is the partner's account.
    const auto native = d.get("/api/v1/reports/" + id, c.dispatcher.token).json();
    EXPECT_EQ(native["grid_id"], c.g1);
    EXPECT_EQ(native["status"], "submitted");

    // The lifecycle through the native API, watched through Open311.
    c.set_clock("2026-11-20T01:00:00Z");
    auto t = c.ok(c.m1, as_id(id), {{"action", "accept"}});
    EXPECT_EQ(t["status"], "assigned");
    EXPECT_EQ(t["points_awarded"], 0) << "partner reports earn no points";
    req = get_json("/requests/" + id + ".json", "requests.json")[0];
    EXPECT_EQ(req["status"], "open");
    EXPECT_EQ(req["expected_datetime"], "2026-11-21T01:00:00Z");  // accepted + 24 h SLA
    EXPECT_EQ(req["updated_datetime"], "2026-11-20T01:00:00Z");
    EXPECT_EQ(req["media_url"], "https://partner.example/photos/42.jpg");
    EXPECT_EQ(req["status_notes"], "Dispatched to a grid worker.");

    c.ok(c.w1, as_id(id), {{"action", "start"}});
    ASSERT_EQ(c.resolve(c.w1, as_id(id)).status, 200);
    EXPECT_EQ(get_json("/requests/" + id + ".json")[0]["status"], "open");
    c.set_clock("2026-11-20T05:00:00Z");
    t = c.ok(c.m1, as_id(id), {{"action", "verify"}});
    EXPECT_EQ(t["status"], "closed");
    EXPECT_EQ(t["points_awarded"], 0);
    c.set_clock("2026-11-20T09:00:00Z");

    req = get_json("/requests/" + id + ".json", "requests.json")[0];
    EXPECT_EQ(req["status"], "closed");
    EXPECT_EQ(req["updated_datetime"], "2026-11-20T05:00:00Z");  // the date it was closed
    EXPECT_EQ(req["status_notes"], "Verified fixed and closed.");

    const auto x = get_xml("/requests/" + id + ".xml");
    EXPECT_EQ(x.name, "service_requests");
    ASSERT_EQ(x.all("request").size(), 1u);
    const auto& xr = x.child("request");
    EXPECT_EQ(xr.at("service_request_id"), id);
    EXPECT_EQ(xr.at("status"), "closed");
    EXPECT_EQ(xr.at("description"), "Overflowing bin at the corner, 垃圾满溢");
    EXPECT_EQ(xr.at("agency_responsible"), "T-G1");
    EXPECT_EQ(xr.at("lat"), "23.375");
    EXPECT_EQ(xr.at("long"), "103.375");
    EXPECT_EQ(xr.at("media_url"), "https://partner.example/photos/42.jpg");
    EXPECT_TRUE(xr.child("service_notice").empty);

    // Nothing the partner said about the person was kept or shown.
    for (const auto& body : {get("/requests/" + id + ".json").body, get("/requests/" + id + ".xml").body,
                             d.get("/api/v1/reports/" + id, c.dispatcher.token).body}) {
        for (const char* secret : {"someone@example.org", "Ada", "Lovelace", "13811112222", "device-xyz"})
            EXPECT_EQ(body.find(secret), std::string::npos) << secret << " leaked: " << body;
    }
}

TEST_F(Open311, PostAnswersInXmlToo) {
    auto r = post_form(minimal(), ".xml");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("content-type"), "text/xml; charset=utf-8");
    const auto x = parse_xml(r.body);
    EXPECT_EQ(x.name, "service_requests");
    const auto id = x.child("request").at("service_request_id");
    EXPECT_EQ(get_json("/requests/" + id + ".json")[0]["service_request_id"], id);
}

TEST_F(Open311, DescriptionDefaultsToTheServiceNameAndTheApiKeyMayBeInTheQuery) {
    auto fields = minimal();
    fields.erase(fields.begin());  // no api_key in the body
    auto r = d.request("POST", "/open311/v2/requests.json?api_key=" + percent_encode(key), form(fields),
                       {{"Content-Type", "application/x-www-form-urlencoded"}});
    ASSERT_EQ(r.status, 200) << r.body;
    const auto id = r.json()[0]["service_request_id"].get<std::string>();
    EXPECT_EQ(get_json("/requests/" + id + ".json")[0]["description"], "t-garbage");
}

TEST_F(Open311, MultipartMediaGoesThroughThePhotoPipelineAndIsPublicOnlyOnceAccepted) {
    const auto photo = make_jpeg(80, 60, 4242);
    auto m = open311_multipart({{"api_key", key},
                                {"service_code", "t-garbage"},
                                {"lat", "23.375"},
                                {"long", "103.375"},
                                {"description", "photo via multipart"}},
                               {photo});
    auto r = d.request("POST", "/open311/v2/requests.json", m.body, {{"Content-Type", m.content_type}});
    ASSERT_EQ(r.status, 200) << r.body;
    const auto id = r.json()[0]["service_request_id"].get<std::string>();
    const auto native = d.get("/api/v1/reports/" + id, c.dispatcher.token).json();
    ASSERT_EQ(native["photos"].size(), 1u);
    EXPECT_EQ(native["photos"][0]["width"], 80);
    const auto photo_id = std::to_string(native["photos"][0]["id"].get<std::int64_t>());

    // Submitted: not reviewed yet, so no media_url and the public route does not serve it.
    EXPECT_EQ(get_json("/requests/" + id + ".json", "requests.json")[0]["media_url"], nullptr);
    expect_error(get("/media/" + photo_id), 404, 404, true);  // no extension: XML

    c.ok(c.m1, as_id(id), {{"action", "accept"}});
    const auto url = get_json("/requests/" + id + ".json", "requests.json")[0]["media_url"].get<std::string>();
    EXPECT_EQ(url, "http://127.0.0.1/open311/v2/media/" + photo_id);
    auto img = get("/media/" + photo_id);
    ASSERT_EQ(img.status, 200);
    EXPECT_EQ(img.header("content-type"), "image/jpeg");
    EXPECT_EQ(jpeg_size(img.body), (std::pair<int, int>{80, 60}));
    EXPECT_EQ(get_xml("/requests/" + id + ".xml").child("request").at("media_url"), url);
    // Streamed like the native photo reads: 304, one range (206), and 416 past the end in
    // GeoReport's error format with the status kept (docs/api.md, an addition to API.md).
    const auto media = "/open311/v2/media/" + photo_id;
    EXPECT_EQ(img.header("accept-ranges"), "bytes");
    EXPECT_EQ(d.request("GET", media, "", {{"If-None-Match", img.header("etag")}}).status, 304);
    auto part = d.request("GET", media, "", {{"Range", "bytes=2-5"}});
    EXPECT_EQ(part.status, 206);
    EXPECT_EQ(part.body, img.body.substr(2, 4));
    EXPECT_EQ(part.header("content-range"), "bytes 2-5/" + std::to_string(img.body.size()));
    const auto past = d.request("GET", media, "", {{"Range", "bytes=" + std::to_string(img.body.size()) + "-"}});
    expect_error(past, 416, 416, true);
    EXPECT_EQ(past.header("content-range"), "bytes */" + std::to_string(img.body.size()));

    // A part that is not a photo is refused by the same pipeline (415 as the body's code).
    auto bad =
        open311_multipart({{"api_key", key}, {"service_code", "t-garbage"}, {"lat", "23.375"}, {"long", "103.375"}},
                          {"this is not an image"});
    const auto before = count_requests();
    expect_error(d.request("POST", "/open311/v2/requests.json", bad.body, {{"Content-Type", bad.content_type}}), 400,
                 415);
    EXPECT_EQ(count_requests(), before);
}

TEST_F(Open311, RejectedAndDuplicateTicketsShowNoMediaAndReadClosed) {
    auto fields = minimal();
    fields.push_back({"media_url", "https://partner.example/p.jpg"});
    const auto a = post_ok(fields);
    const auto b = post_ok(fields);
    c.ok(c.m1, as_id(a), {{"action", "reject"}, {"reason", "not a city matter"}});
    c.ok(c.m1, as_id(b), {{"action", "mark_duplicate"}, {"of", as_id(a)}});
    const auto ra = get_json("/requests/" + a + ".json", "requests.json")[0];
    EXPECT_EQ(ra["status"], "closed");
    EXPECT_EQ(ra["media_url"], nullptr);
    EXPECT_EQ(ra["status_notes"], "Not accepted by the city.");
    EXPECT_EQ(ra.dump().find("not a city matter"), std::string::npos) << "staff's free text stays internal";
    const auto rb = get_json("/requests/" + b + ".json", "requests.json")[0];
    EXPECT_EQ(rb["status"], "closed");
    EXPECT_EQ(rb["status_notes"], "Duplicate of another request (" + a + ").");
}

// ---- POST errors ----

TEST_F(Open311, PostErrorsUseGeoReportCodesAndChangeNothing) {
    const auto before = count_requests();
    auto without = [&](const std::string& name) {
        Fields f;
        for (auto& kv : minimal())
            if (kv.first != name) f.push_back(kv);
        return f;
    };
    auto with = [&](const std::string& name, const std::string& value) {
        auto f = minimal();
        for (auto& kv : f)
            if (kv.first == name) kv.second = value;
        if (std::none_of(f.begin(), f.end(), [&](auto& kv) { return kv.first == name; })) f.push_back({name, value});
        return f;
    };
    // 403: missing, empty or wrong api_key — in both formats.
    expect_error(post_form(without("api_key")), 403, 403);
    expect_error(post_form(without("api_key"), ".xml"), 403, 403, true);
    expect_error(post_form(with("api_key", "")), 403, 403);
    expect_error(post_form(with("api_key", "o311_forged")), 403, 403);
    // 404: a service_code that does not exist.
    expect_error(post_form(with("service_code", "no-such")), 404, 404);
    expect_error(post_form(with("service_code", "no-such"), ".xml"), 404, 404, true);
    // 400: everything else.
    expect_error(post_form(without("service_code")), 400, 400);
    expect_error(post_form(without("lat")), 400, 400);
    expect_error(post_form(without("long")), 400, 400);
    expect_error(post_form(with("lat", "north")), 400, 400);
    expect_error(post_form(with("lat", "95")), 400, 400);
    expect_error(post_form(with("long", "-180.5")), 400, 400);
    expect_error(post_form(with("lat", "23.375abc")), 400, 400);
    expect_error(post_form(with("media_url", "ftp://files.example/x.jpg")), 400, 400);
    expect_error(post_form(with("media_url", "javascript:alert(1)")), 400, 400);
    expect_error(post_form(with("media_url", "https://example.org/a b.jpg")), 400, 400);
    expect_error(post_form(with("description", std::string(4001, 'x'))), 400, 400);
    expect_error(post_form(with("address_string", std::string(201, 'y'))), 400, 400);
    expect_error(post_form(with("description", std::string("bad \x01 control", 13))), 400, 400);
    // A body that is not a form.
    expect_error(d.request("POST", "/open311/v2/requests.json", R"({"service_code":"t-garbage"})",
                           {{"Content-Type", "application/json"}}),
                 400, 400);
    expect_error(d.request("POST", "/open311/v2/requests.json", "a=%zz",
                           {{"Content-Type", "application/x-www-form-urlencoded"}}),
                 400, 400);
    EXPECT_EQ(count_requests(), before);
}

// ---- partner keys ----

TEST_F(Open311, PartnerKeysAreAdminOnlyValidatedAndStoredOnlyAsHashes) {
    auto r = d.post("/api/v1/admin/open311-keys", {{"name", "Another App"}}, c.admin);
    ASSERT_EQ(r.status, 201) << r.body;
    const auto other = r.json()["api_key"].get<std::string>();
    EXPECT_EQ(r.json().size(), 1u);
    EXPECT_NE(other, key);
    EXPECT_GE(other.size(), 40u);

    EXPECT_EQ(d.post("/api/v1/admin/open311-keys", {{"name", "x"}}).status, 401);
    auto forbidden = d.post("/api/v1/admin/open311-keys", {{"name", "x"}}, c.dispatcher.token);
    EXPECT_EQ(forbidden.status, 403);
    EXPECT_EQ(forbidden.error_code(), "forbidden");
    for (const json& bad : {json{{"name", ""}}, json{{"name", 5}}, json::object(),
                            json{{"name", std::string(101, 'n')}}, json{{"name", "tab\there"}}}) {
        auto b = d.post("/api/v1/admin/open311-keys", bad, c.admin);
        EXPECT_EQ(b.status, 400) << bad.dump();
        EXPECT_EQ(b.json()["error"]["field"], "name") << b.body;
    }
    EXPECT_EQ(d.request("POST", "/api/v1/admin/open311-keys", "{",
                        {{"Authorization", "Bearer " + c.admin}, {"Content-Type", "application/json"}})
                  .error_code(),
              "bad_request");

    // Both keys work; neither is anywhere in the data directory in clear.
    EXPECT_EQ(post_form(minimal()).status, 200);
    auto f = minimal();
    f[0].second = other;
    EXPECT_EQ(post_form(f).status, 200);
    for (const auto& entry : std::filesystem::recursive_directory_iterator(d.data_dir())) {
        if (!entry.is_regular_file()) continue;
        std::ifstream in(entry.path(), std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        const auto bytes = ss.str();
        EXPECT_EQ(bytes.find(key), std::string::npos) << entry.path();
        EXPECT_EQ(bytes.find(other), std::string::npos) << entry.path();
    }
}

// ---- GET requests: filters, windows, limits ----

TEST_F(Open311, ListFiltersDateWindowsAndOverrides) {
    c.set_clock("2026-08-01T00:00:00Z");
    const auto a = post_ok(minimal());  // older than 90 days before kStart
    c.set_clock("2026-11-01T00:00:00Z");
    const auto b = post_ok(minimal());
    c.set_clock("2026-11-10T00:00:00Z");
    const auto m = post_ok(minimal(103.375, 23.375, "t-manhole"));
    c.ok(c.m1, as_id(m), {{"action", "reject"}, {"reason", "private property"}});
    c.set_clock(kStart);

    auto ids = [&](const std::string& query) {
        std::vector<std::string> out;
        for (const auto& r : get_json("/requests.json" + query, "requests.json"))
            out.push_back(r["service_request_id"]);
        const auto x = get_xml("/requests.xml" + query);
        std::vector<std::string> from_xml;
        for (const auto* r : x.all("request")) from_xml.push_back(r->at("service_request_id"));
        EXPECT_EQ(out, from_xml) << query;
        return out;
    };
    using V = std::vector<std::string>;
    EXPECT_EQ(ids(""), (V{m, b}));  // the last 90 days, newest first
    EXPECT_EQ(ids("?status=&service_code=&start_date=&end_date=&service_request_id="), (V{m, b}));  // empty = absent
    EXPECT_EQ(ids("?status=open"), (V{b}));
    EXPECT_EQ(ids("?status=closed"), (V{m}));
    EXPECT_EQ(ids("?status=open,closed"), (V{m, b}));
    EXPECT_EQ(ids("?status=open&status=closed"), (V{m, b}));
    EXPECT_EQ(ids("?service_code=t-manhole"), (V{m}));
    EXPECT_EQ(ids("?service_code=t-garbage,t-manhole"), (V{m, b}));
    EXPECT_EQ(ids("?service_code=none-such"), V{});
    EXPECT_EQ(ids("?start_date=2026-07-01T00:00:00Z&end_date=2026-08-15T00:00:00Z"), (V{a}));
    EXPECT_EQ(ids("?start_date=2026-07-25T00:00:00Z"), (V{a}));       // 90 days from the start
    EXPECT_EQ(ids("?end_date=2026-11-05T08:00:00%2B08:00"), (V{b}));  // 90 days up to the end; offsets count
    EXPECT_EQ(ids("?end_date=2026-11-05T08:00:00+08:00"), (V{b}));    // an unencoded '+' is understood
    EXPECT_EQ(ids("?start_date=2026-11-01T00:00:00Z&end_date=2026-11-01T00:00:00Z"), (V{b}));  // bounds inclusive
    // service_request_id overrides every other filter, and unknown ids are simply absent.
    EXPECT_EQ(ids("?service_request_id=" + a + "," + m + ",999999&status=open&service_code=t-garbage"), (V{a, m}));
    EXPECT_EQ(ids("?service_request_id=" + b + "&service_request_id=" + a), (V{b, a}));

    // 400 for what cannot be understood.
    for (const std::string q :
         {"?start_date=2026-11-01T00:00:00", "?start_date=yesterday", "?end_date=2026-13-01T00:00:00Z",
          "?start_date=2026-11-10T00:00:00Z&end_date=2026-11-01T00:00:00Z",
          "?start_date=2026-01-01T00:00:00Z&end_date=2026-11-01T00:00:00Z", "?status=pending",
          "?service_request_id=abc", "?service_request_id=0", "?service_request_id=1;2"}) {
        expect_error(get("/requests.json" + q), 400, 400);
        expect_error(get("/requests.xml" + q), 400, 400, true);
    }
}

TEST_F(Open311, ListIsCappedAtOneThousandNewestFirst) {
    std::vector<std::string> posted;
    for (int i = 0; i < 1001; ++i) posted.push_back(post_ok(minimal(103.371 + 0.000005 * i, 23.371)));
    const auto j = get_json("/requests.json", "requests.json");
    ASSERT_EQ(j.size(), 1000u);
    EXPECT_EQ(j.front()["service_request_id"], posted.back());
    EXPECT_EQ(j.back()["service_request_id"], posted[1]);  // the oldest one is left out
    EXPECT_EQ(get_xml("/requests.xml").all("request").size(), 1000u);
    std::string many;
    for (int i = 1; i <= 1001; ++i) many.append(i > 1 ? "," : "").append(std::to_string(i));
    expect_error(get("/requests.json?service_request_id=" + many), 400, 400);
}

// ---- requests/{id}, tokens ----

TEST_F(Open311, SingleRequestAndTokensInBothFormats) {
    const auto id = post_ok(minimal());
    const auto x = get_xml("/requests/" + id + ".xml");
    EXPECT_EQ(x.child("request").at("status"), "open");
    EXPECT_TRUE(x.child("request").child("expected_datetime").empty);

    const auto t = get_json("/tokens/" + id + ".json");
    ASSERT_EQ(t.size(), 1u);
    EXPECT_EQ(t[0]["service_request_id"], id);
    EXPECT_EQ(t[0]["token"], id);
    const auto tx = get_xml("/tokens/" + id + ".xml");
    EXPECT_EQ(tx.name, "service_requests");
    EXPECT_EQ(tx.child("request").at("service_request_id"), id);
    EXPECT_EQ(tx.child("request").at("token"), id);

    for (const std::string path :
         {"/requests/999999", "/requests/abc", "/requests/0", "/tokens/999999", "/tokens/nope"}) {
        expect_error(get(path + ".json"), 404, 404);
        expect_error(get(path + ".xml"), 404, 404, true);
    }
}

// ---- routing errors under /open311/v2/ ----

TEST_F(Open311, UnknownPathsAndMethodsAnswerInTheGeoReportFormat) {
    expect_error(get("/nothing.json"), 404, 404);
    expect_error(get("/nothing.xml"), 404, 404, true);
    expect_error(get("/services.html"), 404, 404, true);  // not a GeoReport format: XML
    expect_error(get("/requests"), 404, 404, true);       // no extension: GeoReport's default, XML
    auto r = d.request("POST", "/open311/v2/services.json", "");
    expect_error(r, 400, 405);
    EXPECT_EQ(r.header("allow"), "GET");
    expect_error(d.request("DELETE", "/open311/v2/requests.xml", ""), 400, 405, true);
    expect_error(get("/media/abc"), 400, 400, true);
    expect_error(get("/media/999999"), 404, 404, true);
    // The native API keeps its own format.
    EXPECT_EQ(d.get("/api/v1/nothing").error_code(), "not_found");
}

// What the transport refuses before routing is answered in GeoReport's format too (issue 15).
TEST_F(Open311, TransportErrorsAnswerInTheGeoReportFormat) {
    // A target over 16 KiB: 414 (the HTTP status keeps its meaning, API.md §10), JSON as asked.
    const std::string long_list(17 * 1024, '1');
    expect_error(get("/requests.json?service_request_id=" + long_list), 414, 414);
    expect_error(get("/requests.xml?service_request_id=" + long_list), 414, 414, true);
    // A malformed percent-escape in the path, before routing.
    expect_error(get("/requests%zz.json"), 400, 400);
    // Headers over 32 KiB (431) and a malformed request: the path comes from the request line.
    const auto big = raw_exchange(d.port(), "GET /open311/v2/requests.json HTTP/1.1\r\nHost: x\r\nX-Big: " +
                                                std::string(40 * 1024, 'a') + "\r\n\r\n");
    EXPECT_EQ(big.rfind("HTTP/1.1 431", 0), 0u) << big.substr(0, 200);
    EXPECT_NE(big.find("[{\"code\":431,\"description\":"), std::string::npos) << big.substr(0, 400);
    const auto big_xml = raw_exchange(
        d.port(), "GET /open311/v2/requests HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(40 * 1024, 'a') + "\r\n\r\n");
    EXPECT_NE(big_xml.find("<errors><error><code>431</code>"), std::string::npos) << big_xml.substr(0, 400);
    const auto malformed =
        raw_exchange(d.port(), "GET /open311/v2/services.xml HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n");
    EXPECT_EQ(malformed.rfind("HTTP/1.1 400", 0), 0u) << malformed.substr(0, 200);
    EXPECT_NE(malformed.find("<errors><error><code>400</code>"), std::string::npos) << malformed;
    // A body over the route's limit, refused before it is read.
    const auto too_big = raw_exchange(d.port(),
                                      "POST /open311/v2/requests.json HTTP/1.1\r\nHost: x\r\n"
                                      "Content-Type: application/x-www-form-urlencoded\r\n"
                                      "Content-Length: 99999999999\r\n\r\n");
    EXPECT_EQ(too_big.rfind("HTTP/1.1 413", 0), 0u) << too_big.substr(0, 200);
    EXPECT_NE(too_big.find("[{\"code\":413,\"description\":"), std::string::npos) << too_big.substr(0, 400);
}

// FixMyStreet polls by id list joined with %2C: 1,000 ids make a target of ~10 KB.
TEST_F(Open311, AThousandIdListInFixMyStreetsFormIsAnswered) {
    const auto id = post_ok(minimal());
    std::string list = id;
    for (int i = 1; i < 1000; ++i) list += "%2C" + std::to_string(900000 + i);
    ASSERT_GT(list.size(), 8900u);
    const auto j = get_json("/requests.json?service_request_id=" + list, "requests.json");
    ASSERT_EQ(j.size(), 1u) << j.dump().substr(0, 300);
    EXPECT_EQ(j[0]["service_request_id"], id);
    EXPECT_EQ(get_xml("/requests.xml?service_request_id=" + list).all("request").size(), 1u);
}

// Photos in parts of any name that hold a file, among many ordinary fields (FixMyStreet's shape).
TEST_F(Open311, MultipartPhotosInAnyFilePartAmongManyFields) {
    const std::string boundary = "----fms-boundary-1234";
    auto field = [&](const std::string& k, const std::string& v) {
        return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + k + "\"\r\n\r\n" + v + "\r\n";
    };
    auto file = [&](const std::string& name, const std::string& bytes) {
        return "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\"" + name +
               ".jpeg\"\r\nContent-Type: image/jpeg\r\n\r\n" + bytes + "\r\n";
    };
    const std::string type = "multipart/form-data; boundary=" + boundary;
    std::string fields = field("api_key", key) + field("service_code", "t-garbage") + field("lat", "23.375000") +
                         field("long", "103.375000") + field("description", "Bins overflowing") +
                         field("email", "someone@example.org") + field("first_name", "Ada") +
                         field("last_name", "Lovelace") + field("phone", "13811112222") +
                         field("jurisdiction_id", "mengzi") + field("attribute[fixmystreet_id]", "4411") +
                         field("attribute[title]", "Bins");
    auto r =
        d.request("POST", "/open311/v2/requests.xml",
                  fields + file("photo1", make_jpeg(64, 48, 7)) + "--" + boundary + "--\r\n", {{"Content-Type", type}});
    ASSERT_EQ(r.status, 200) << r.body;
    const auto id = parse_xml(r.body).child("request").at("service_request_id");
    const auto native = d.get("/api/v1/reports/" + id, c.dispatcher.token).json();
    ASSERT_EQ(native["photos"].size(), 1u) << native.dump();
    EXPECT_EQ(native["photos"][0]["width"], 64);

    // Six file parts (the documented 0..6) are accepted, a seventh is refused before it is read.
    std::string six = fields;
    for (int i = 1; i <= 6; ++i) six += file("photo" + std::to_string(i), make_jpeg(40 + i, 30, 100 + i));
    auto ok =
        d.request("POST", "/open311/v2/requests.json", six + "--" + boundary + "--\r\n", {{"Content-Type", type}});
    ASSERT_EQ(ok.status, 200) << ok.body;
    const auto six_id = ok.json()[0]["service_request_id"].get<std::string>();
    EXPECT_EQ(d.get("/api/v1/reports/" + six_id, c.dispatcher.token).json()["photos"].size(), 6u);
    const auto before = count_requests();
    auto seven =
        d.request("POST", "/open311/v2/requests.json",
                  six + file("media", make_jpeg(50, 30, 999)) + "--" + boundary + "--\r\n", {{"Content-Type", type}});
    expect_error(seven, 413, 413);
    EXPECT_NE(seven.body.find("more than 6 file parts"), std::string::npos) << seven.body;
    EXPECT_EQ(count_requests(), before);
}

TEST_F(Open311, OpenApiDocumentListsTheRoutes) {
    const auto doc = d.get("/api/v1/openapi.json").json();
    const std::vector<std::pair<std::string, std::string>> expected = {
        {"/open311/v2/discovery.json", "get"},
        {"/open311/v2/discovery.xml", "get"},
        {"/open311/v2/services.json", "get"},
        {"/open311/v2/services/{service_code}.xml", "get"},
        {"/open311/v2/requests.json", "post"},
        {"/open311/v2/requests.xml", "get"},
        {"/open311/v2/requests/{id}.json", "get"},
        {"/open311/v2/tokens/{token}.xml", "get"},
        {"/open311/v2/media/{id}", "get"},
        {"/api/v1/admin/open311-keys", "post"},
        {"/open311/v2/servicerequestupdates.xml", "get"},
        {"/open311/v2/servicerequestupdates.json", "post"},
    };
    for (const auto& [path, method] : expected)
        EXPECT_TRUE(doc["paths"].contains(path) && doc["paths"][path].contains(method)) << method << " " << path;
}

// ---- absolute URLs: the client's Host, https on the TLS listener, nothing hostile echoed ----

// The body of one HTTPS GET with the given Host header.
std::string https_get(unsigned short port, const std::string& target, const std::string& host) {
    const auto response =
        tls_exchange(port, "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n").response;
    const auto split = response.find("\r\n\r\n");
    return split == std::string::npos ? response : response.substr(split + 4);
}

TEST(Open311Urls, DiscoveryUrlFollowsHostAndScheme) {
    const TestCertificate cert;
    ASSERT_TRUE(cert.ok) << "openssl could not make a test certificate";
    {
        Daemon d(Daemon::Options{
            .extra_args = {"--tls-listen", "127.0.0.1:0", "--tls-cert", cert.cert_file(), "--tls-key", cert.key_file()},
            .test_clock = false,
            .demo = false,
            .data_dir = {}});
        const auto tls =
            json::parse(https_get(d.tls_port(), "/open311/v2/discovery.json", "city.example:8443"), nullptr, false);
        ASSERT_TRUE(tls.is_object());
        EXPECT_EQ(tls["endpoints"][0]["url"], "https://city.example:8443/open311/v2");
        // A Host that is not a plain host name is not echoed into URLs.
        const auto raw = raw_exchange(d.port(),
                                      "GET /open311/v2/discovery.json HTTP/1.1\r\nHost: evil.example/\"><x\r\n"
                                      "Connection: close\r\n\r\n");
        const auto body = raw.substr(raw.find("\r\n\r\n") + 4);
        EXPECT_EQ(json::parse(body, nullptr, false)["endpoints"][0]["url"], "http://localhost/open311/v2") << raw;
    }
}

// ---- privacy ----

TEST_F(Open311, ResidentsIdentitiesNeverAppear) {
    const auto report = c.submit(c.r1);
    const auto id = std::to_string(report["id"].get<std::int64_t>());
    c.ok(c.m1, report["id"].get<std::int64_t>(), {{"action", "accept"}});
    const auto me = d.get("/api/v1/me", c.r1.token).json();
    for (const auto& path : std::vector<std::string>{"/requests.json", "/requests.xml", "/requests/" + id + ".json",
                                                     "/requests/" + id + ".xml"}) {
        const auto body = get(path).body;
        EXPECT_NE(body.find(id), std::string::npos);
        EXPECT_EQ(body.find(me["phone"].get<std::string>()), std::string::npos) << path;
        EXPECT_EQ(body.find(me["display_name"].get<std::string>()), std::string::npos) << path;
        EXPECT_EQ(body.find("reporter"), std::string::npos) << path;
        EXPECT_EQ(body.find("account_id"), std::string::npos) << path;
    }
    // The resident's own photo is public only through the accepted ticket's media_url.
    const auto req = get_json("/requests/" + id + ".json", "requests.json")[0];
    ASSERT_TRUE(req["media_url"].is_string());
    EXPECT_EQ(req["media_url"],
              "http://127.0.0.1/open311/v2/media/" + std::to_string(report["photos"][0]["id"].get<std::int64_t>()));
}

// ---- issue 15: what real clients (FixMyStreet) need ----

const std::set<std::string> kExtended = {"OPEN",
                                         "INVESTIGATING",
                                         "ACTION_SCHEDULED",
                                         "IN_PROGRESS",
                                         "FIXED",
                                         "DUPLICATE",
                                         "NOT_COUNCILS_RESPONSIBILITY",
                                         "NO_FURTHER_ACTION",
                                         "CLOSED"};

// An answer in extended statuses: each status is one of FixMyStreet's, and with the status put
// back to GeoReport's open/closed the answer is valid against the published schema.
void expect_extended_answer(const JsonSchemas& schemas, json list) {
    ASSERT_TRUE(list.is_array());
    for (auto& item : list) {
        const auto status = item["status"].get<std::string>();
        EXPECT_TRUE(kExtended.count(status)) << status;
        const bool closed = status == "FIXED" || status == "DUPLICATE" || status == "NO_FURTHER_ACTION" ||
                            status == "NOT_COUNCILS_RESPONSIBILITY" || status == "CLOSED";
        item["status"] = closed ? "closed" : "open";
    }
    const auto problems = schemas.validate("requests.json", list);
    EXPECT_TRUE(problems.empty()) << problems.front();
}

TEST_F(Open311, AddressOnlyRequestsWaitInTheDispatchQueueWithoutAPosition) {
    const Fields by_address = {{"api_key", key},
                               {"service_code", "t-garbage"},
                               {"address_string", "文澜路与天马路交叉口"},
                               {"description", "no coordinates"}};
    const auto a = post_ok(by_address);
    const auto b = post_ok(by_address);

    auto req = get_json("/requests/" + a + ".json", "requests.json")[0];
    EXPECT_EQ(req["address"], "文澜路与天马路交叉口");
    EXPECT_EQ(req["address_id"], nullptr);
    EXPECT_EQ(req["lat"], nullptr);
    EXPECT_EQ(req["long"], nullptr);
    EXPECT_EQ(req["agency_responsible"], nullptr) << "the dispatch center's queue";
    EXPECT_EQ(req["status"], "open");
    const auto xr = get_xml("/requests/" + a + ".xml").child("request");
    EXPECT_TRUE(xr.child("lat").empty);
    EXPECT_TRUE(xr.child("long").empty);
    EXPECT_EQ(xr.at("address"), "文澜路与天马路交叉口");

    // The native report object: no grid, lat/lon null (not the stored placeholders), and two
    // reports with the same address are not taken for duplicates of each other.
    auto native = c.get(c.dispatcher, as_id(a));
    EXPECT_EQ(native["grid_id"], nullptr);
    EXPECT_EQ(native["lat"], nullptr);
    EXPECT_EQ(native["lon"], nullptr);
    EXPECT_EQ(native["address"], "文澜路与天马路交叉口");
    EXPECT_EQ(native["possible_duplicates"], json::array());
    EXPECT_EQ(c.get(c.dispatcher, as_id(b))["possible_duplicates"], json::array());
    // Nor is a report placed at the point 0, 0 (where the placeholders would be).
    EXPECT_EQ(c.get(c.dispatcher, as_id(post_ok(minimal(0, 0))))["possible_duplicates"], json::array());
    // A grid manager does not see the dispatch center's queue.
    EXPECT_EQ(d.get("/api/v1/reports/" + a, c.m1.token).status, 404);

    // address_id alone is a location too; it is echoed, never resolved.
    const auto i = post_ok({{"api_key", key}, {"service_code", "t-garbage"}, {"address_id", "#NOTPINPOINTED#"}});
    req = get_json("/requests/" + i + ".json", "requests.json")[0];
    EXPECT_EQ(req["address_id"], "#NOTPINPOINTED#");
    EXPECT_EQ(req["address"], nullptr);
    EXPECT_EQ(req["lat"], nullptr);
    EXPECT_EQ(c.get(c.dispatcher, as_id(i))["lat"], nullptr);

    // The dispatcher places it; from there it is an ordinary ticket of that grid.
    c.ok(c.dispatcher, as_id(a), {{"action", "set_grid"}, {"grid_id", c.g1}});
    EXPECT_EQ(c.ok(c.m1, as_id(a), {{"action", "accept"}})["status"], "assigned");
    req = get_json("/requests/" + a + ".json", "requests.json")[0];
    EXPECT_EQ(req["agency_responsible"], "T-G1");
    EXPECT_EQ(req["lat"], nullptr);

    // What is not a location.
    const auto before = count_requests();
    expect_error(post_form({{"api_key", key}, {"service_code", "t-garbage"}}), 400, 400);
    expect_error(post_form({{"api_key", key}, {"service_code", "t-garbage"}, {"address_string", ""}}), 400, 400);
    expect_error(
        post_form({{"api_key", key}, {"service_code", "t-garbage"}, {"lat", "23.375"}, {"address_string", "x"}}), 400,
        400);
    expect_error(
        post_form({{"api_key", key}, {"service_code", "t-garbage"}, {"long", "103.375"}, {"address_id", "A-1"}}), 400,
        400, false);
    expect_error(post_form({{"api_key", key}, {"service_code", "t-garbage"}, {"address_id", std::string(201, 'a')}}),
                 400, 400);
    expect_error(post_form({{"api_key", key}, {"service_code", "t-garbage"}, {"address_id", "A\n1"}}), 400, 400);
    expect_error(
        post_form({{"api_key", key}, {"service_code", "t-garbage"}, {"address_string", std::string(201, 'y')}}), 400,
        400);
    EXPECT_EQ(count_requests(), before);
}

TEST_F(Open311, DescriptionsOfUpTo4000CharactersAreKeptAndShownWhole) {
    std::string text;
    for (int i = 0; i < 4000; ++i) text += i % 100 == 99 ? "\n" : "路";
    auto f = minimal();
    f.push_back({"description", text});
    const auto id = post_ok(f);
    EXPECT_EQ(get_json("/requests/" + id + ".json", "requests.json")[0]["description"], text);
    EXPECT_EQ(get_xml("/requests/" + id + ".xml").child("request").at("description"), text);
    EXPECT_EQ(c.get(c.dispatcher, as_id(id))["description"], text) << "the native API shows it whole";

    f.back().second = text + "路";
    expect_error(post_form(f), 400, 400);
    // The native API keeps its own limit for its own submissions.
    auto native = post_multipart(
        d, "/api/v1/reports",
        multipart(
            {{"category", "t-garbage"}, {"description", std::string(2001, 'x')}, {"lat", 23.375}, {"lon", 103.375}},
            {make_jpeg(64, 48, 77)}),
        c.r1.token);
    EXPECT_EQ(native.status, 400) << native.body;
    EXPECT_EQ(native.json()["error"]["field"], "description");
}

TEST_F(Open311, RepeatedMediaUrlsAreEachKeptUpToSix) {
    auto f = minimal();
    std::vector<std::string> urls;
    for (int i = 1; i <= 6; ++i) {
        urls.push_back("https://partner.example/p/" + std::to_string(i) + ".jpg");
        f.push_back({"media_url", urls.back()});
    }
    f.push_back({"media_url", ""});  // an empty value is no value
    const auto id = post_ok(f);
    EXPECT_EQ(c.get(c.dispatcher, as_id(id))["media_urls"], json(urls)) << "staff see every link, in order";
    c.ok(c.m1, as_id(id), {{"action", "accept"}});
    EXPECT_EQ(get_json("/requests/" + id + ".json", "requests.json")[0]["media_url"], urls.front());

    // Residents' own reports have none; residents never see the field.
    const auto mine = c.submit(c.r1);
    EXPECT_EQ(c.get(c.dispatcher, mine["id"].get<std::int64_t>())["media_urls"], json::array());
    EXPECT_FALSE(c.get(c.r1, mine["id"].get<std::int64_t>()).contains("media_urls"));

    const auto before = count_requests();
    f.pop_back();
    f.push_back({"media_url", "https://partner.example/p/7.jpg"});
    expect_error(post_form(f), 400, 400);  // a seventh
    auto bad = minimal();
    bad.push_back({"media_url", "https://partner.example/ok.jpg"});
    bad.push_back({"media_url", "file:///etc/passwd"});
    expect_error(post_form(bad), 400, 400);  // every one is checked
    EXPECT_EQ(count_requests(), before);
}

TEST_F(Open311, AnyNumberOfOrdinaryFieldsIsAccepted) {
    auto f = minimal();
    for (int i = 0; i < 300; ++i)
        f.push_back({"attribute[field_" + std::to_string(i) + "]", "value " + std::to_string(i)});
    for (const char* name : {"account_id", "email", "phone", "first_name", "last_name", "jurisdiction_id", "device_id",
                             "deviceid", "address_string", "attribute[title]", "attribute[description]"})
        f.push_back({name, "something"});
    f.push_back({"attribute[fixmystreet_id]", "4711"});
    const auto id = post_ok(f);
    EXPECT_EQ(get_json("/requests/" + id + ".json", "requests.json")[0]["address"], "something");
}

TEST_F(Open311, ExtendedStatusesAreChosenPerKey) {
    const auto ext = extended_key();
    // The option is checked like every field of the native API.
    auto bad = d.post("/api/v1/admin/open311-keys", {{"name", "x"}, {"extended_statuses", "yes"}}, c.admin);
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(bad.json()["error"]["field"], "extended_statuses");

    const auto submitted = post_ok(minimal());
    const auto assigned = post_ok(minimal());
    c.ok(c.m1, as_id(assigned), {{"action", "accept"}});      // g1 assigns at once
    const auto accepted = post_ok(minimal(103.405, 23.405));  // g2: no auto-assign
    c.ok(c.m2, as_id(accepted), {{"action", "accept"}});
    const auto working = post_ok(minimal());
    auto t = c.ok(c.m1, as_id(working), {{"action", "accept"}});
    const auto worker = t["assignee_id"].get<std::int64_t>() == c.w1.id ? c.w1 : c.w2;
    c.ok(worker, as_id(working), {{"action", "start"}});
    const auto resolved = post_ok(minimal());
    t = c.ok(c.m1, as_id(resolved), {{"action", "accept"}});
    const auto worker2 = t["assignee_id"].get<std::int64_t>() == c.w1.id ? c.w1 : c.w2;
    c.ok(worker2, as_id(resolved), {{"action", "start"}});
    ASSERT_EQ(c.resolve(worker2, as_id(resolved)).status, 200);
    const auto fixed = post_ok(minimal());
    t = c.ok(c.m1, as_id(fixed), {{"action", "accept"}});
    const auto worker3 = t["assignee_id"].get<std::int64_t>() == c.w1.id ? c.w1 : c.w2;
    c.ok(worker3, as_id(fixed), {{"action", "start"}});
    ASSERT_EQ(c.resolve(worker3, as_id(fixed)).status, 200);
    c.ok(c.m1, as_id(fixed), {{"action", "verify"}});
    const auto rejected = post_ok(minimal());
    c.ok(c.m1, as_id(rejected), {{"action", "reject"}, {"reason", "not a city matter"}});
    const auto duplicate = post_ok(minimal());
    c.ok(c.m1, as_id(duplicate), {{"action", "mark_duplicate"}, {"of", as_id(submitted)}});

    const std::vector<std::tuple<std::string, std::string, std::string>> expected = {
        {submitted, "OPEN", "open"},
        {assigned, "ACTION_SCHEDULED", "open"},
        {accepted, "ACTION_SCHEDULED", "open"},
        {working, "IN_PROGRESS", "open"},
        {resolved, "IN_PROGRESS", "open"},
        {fixed, "FIXED", "closed"},
        {rejected, "NO_FURTHER_ACTION", "closed"},
        {duplicate, "DUPLICATE", "closed"},
    };
    std::string list;
    for (const auto& [id, ext_status, plain] : expected) list += (list.empty() ? "" : ",") + id;
    const auto with_ext = get_json("/requests.json?service_request_id=" + list + "&api_key=" + percent_encode(ext));
    expect_extended_answer(schemas, with_ext);
    const auto with_ext_xml = get_xml("/requests.xml?service_request_id=" + list + "&api_key=" + percent_encode(ext));
    const auto plain_key =
        get_json("/requests.json?service_request_id=" + list + "&api_key=" + percent_encode(key), "requests.json");
    const auto no_key = get_json("/requests.json?service_request_id=" + list, "requests.json");
    ASSERT_EQ(with_ext.size(), expected.size());
    ASSERT_EQ(with_ext_xml.all("request").size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const auto& [id, ext_status, plain] = expected[i];
        EXPECT_EQ(with_ext[i]["service_request_id"], id);
        EXPECT_EQ(with_ext[i]["status"], ext_status) << id;
        EXPECT_EQ(with_ext_xml.all("request")[i]->at("status"), ext_status) << id;
        EXPECT_EQ(plain_key[i]["status"], plain) << id;
        EXPECT_EQ(no_key[i]["status"], plain) << id;
    }
    EXPECT_EQ(get_json("/requests/" + rejected + ".json?api_key=" + percent_encode(ext))[0]["status"],
              "NO_FURTHER_ACTION");
    // A key that is given must be one: 403, in the format asked for.
    expect_error(get("/requests.json?api_key=o311_forged"), 403, 403);
    expect_error(get("/requests/" + rejected + ".xml?api_key=o311_forged"), 403, 403, true);
    // An empty api_key is an absent one.
    EXPECT_EQ(get_json("/requests/" + rejected + ".json?api_key=", "requests.json")[0]["status"], "closed");
}

TEST_F(Open311, UpdatesAreTheTicketEventsOfAWindow) {
    const auto ext = extended_key();
    const auto a = post_ok(minimal());  // 00:00 submit
    c.set_clock("2026-11-20T01:00:00Z");
    const auto b = post_ok(minimal());  // 01:00 submit
    c.set_clock("2026-11-20T02:00:00Z");
    c.ok(c.m1, as_id(a), {{"action", "accept"}});  // 02:00 accept (→ assigned)
    c.set_clock("2026-11-20T03:00:00Z");
    c.ok(c.m1, as_id(b), {{"action", "mark_duplicate"}, {"of", as_id(a)}});  // 03:00
    c.set_clock("2026-11-20T04:00:00Z");

    struct Want {
        std::string request, status, ext_status, at, description;
    };
    const std::vector<Want> want = {
        {a, "open", "OPEN", "2026-11-20T00:00:00Z", "Received; waiting for the city to review it."},
        {b, "open", "OPEN", "2026-11-20T01:00:00Z", "Received; waiting for the city to review it."},
        {a, "open", "ACTION_SCHEDULED", "2026-11-20T02:00:00Z", "Accepted by the city as a case."},
        {b, "closed", "DUPLICATE", "2026-11-20T03:00:00Z", "Duplicate of another request (" + a + ")."},
    };
    const auto j = get_json("/servicerequestupdates.json", "service-request-updates.json");  // the last 24 h
    const auto je =
        get_json("/servicerequestupdates.json?api_key=" + percent_encode(ext), "service-request-updates.json");
    const auto x = get_xml("/servicerequestupdates.xml?api_key=" + percent_encode(ext));
    EXPECT_EQ(x.name, "service_request_updates");
    ASSERT_EQ(j.size(), want.size()) << j.dump();
    ASSERT_EQ(je.size(), want.size());
    ASSERT_EQ(x.all("request_update").size(), want.size());
    std::set<std::string> ids;
    for (std::size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(j[i]["service_request_id"], want[i].request) << i;
        EXPECT_EQ(j[i]["status"], want[i].status) << i;
        EXPECT_EQ(je[i]["status"], want[i].ext_status) << i;
        EXPECT_EQ(j[i]["updated_datetime"], want[i].at) << i;
        EXPECT_EQ(j[i]["description"], want[i].description) << i;
        EXPECT_EQ(j[i]["media_url"], nullptr);
        EXPECT_EQ(je[i]["update_id"], j[i]["update_id"]);
        const auto& xu = *x.all("request_update")[i];
        EXPECT_EQ(xu.at("update_id"), j[i]["update_id"].get<std::string>());
        EXPECT_EQ(xu.at("status"), want[i].ext_status);
        EXPECT_TRUE(xu.child("media_url").empty);
        ids.insert(j[i]["update_id"].get<std::string>());
    }
    EXPECT_EQ(ids.size(), want.size()) << "update ids are unique";

    // A window, bounds included; offsets count.
    auto window = [&](const std::string& q) {
        std::vector<std::string> at;
        for (const auto& u : get_json("/servicerequestupdates.json" + q, "service-request-updates.json"))
            at.push_back(u["updated_datetime"]);
        return at;
    };
    using V = std::vector<std::string>;
    EXPECT_EQ(window("?start_date=2026-11-20T01:00:00Z&end_date=2026-11-20T02:00:00Z"),
              (V{"2026-11-20T01:00:00Z", "2026-11-20T02:00:00Z"}));
    EXPECT_EQ(window("?start_date=2026-11-20T10:30:00%2B08:00&end_date=2026-11-20T11:00:00+08:00"),
              (V{"2026-11-20T03:00:00Z"}));
    EXPECT_EQ(window("?start_date=&end_date=&jurisdiction_id=mengzi").size(), 4u);  // empty = absent
    // Events older than a day are outside the default window.
    c.set_clock("2026-11-21T01:30:00Z");
    EXPECT_EQ(window(""), (V{"2026-11-20T02:00:00Z", "2026-11-20T03:00:00Z"}));

    for (const std::string q :
         {"?start_date=2026-11-20T00:00:00Z", "?end_date=2026-11-20T00:00:00Z",
          "?start_date=2026-11-20T00:00:00&end_date=2026-11-21T00:00:00Z",
          "?start_date=2026-11-21T00:00:00Z&end_date=2026-11-20T00:00:00Z",
          "?start_date=2026-01-01T00:00:00Z&end_date=2026-11-20T00:00:00Z", "?start_date=today&end_date=tomorrow"}) {
        expect_error(get("/servicerequestupdates.json" + q), 400, 400);
        expect_error(get("/servicerequestupdates.xml" + q), 400, 400, true);
    }
    expect_error(get("/servicerequestupdates.xml?api_key=o311_forged"), 403, 403, true);
}

TEST_F(Open311, UpdatesAreCappedAtTheOneThousandNewest) {
    std::vector<std::string> posted;
    for (int i = 0; i < 1001; ++i) posted.push_back(post_ok(minimal(103.371 + 0.000005 * i, 23.371)));
    const auto j = get_json("/servicerequestupdates.json", "service-request-updates.json");
    ASSERT_EQ(j.size(), 1000u);
    EXPECT_EQ(j.front()["service_request_id"], posted[1]) << "the oldest one is left out";
    EXPECT_EQ(j.back()["service_request_id"], posted.back()) << "oldest first";
}

TEST_F(Open311, PartnerUpdatesAreCommentsThatChangeNoStatusAndArriveOnce) {
    const auto id = post_ok(minimal());
    const auto events = event_count(id);
    const Fields update = {{"api_key", key},
                           {"service_request_id", id},
                           {"update_id", "fms-77"},
                           {"status", "CLOSED"},
                           {"description", "Still there this morning.\nPlease look again."},
                           {"updated_datetime", "2026-11-20T08:00:00+08:00"},
                           {"first_name", "Ada"},
                           {"last_name", "Lovelace"},
                           {"email", "ada@example.org"},
                           {"media_url", "https://partner.example/c/1.jpg"}};
    auto r = post_update(update);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto answer = r.json();
    EXPECT_TRUE(schemas.validate("update-posted.json", answer).empty()) << r.body;
    ASSERT_EQ(answer.size(), 1u);
    const auto our_id = answer[0]["update_id"].get<std::string>();

    // On the ticket's history, for staff; the ticket itself did not move.
    auto native = c.get(c.dispatcher, as_id(id));
    EXPECT_EQ(native["status"], "submitted") << "CLOSED from the partner closes nothing";
    ASSERT_EQ(native["events"].size(), events + 1);
    const auto& e = native["events"].back();
    EXPECT_EQ(e["action"], "comment");
    EXPECT_EQ(e["from"], "submitted");
    EXPECT_EQ(e["to"], "submitted");
    EXPECT_EQ(e["note"],
              "Still there this morning.\nPlease look again.\n[partner status: CLOSED]\n"
              "https://partner.example/c/1.jpg");
    for (const char* secret : {"Ada", "Lovelace", "ada@example.org"})
        EXPECT_EQ(native.dump().find(secret), std::string::npos) << secret;
    EXPECT_EQ(get_json("/requests/" + id + ".json", "requests.json")[0]["status"], "open");

    // The same update_id again (a client retrying): the first answer, nothing added.
    auto again = update;
    again[4].second = "different text";
    r = post_update(again);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()[0]["update_id"], our_id);
    EXPECT_EQ(event_count(id), events + 1);

    // In XML, as FixMyStreet reads it; FIXED on a ticket being worked on changes nothing either.
    c.ok(c.m1, as_id(id), {{"action", "accept"}});
    r = post_update({{"api_key", key},
                     {"service_request_id", id},
                     {"update_id", "fms-78"},
                     {"status", "fixed"},
                     {"description", ""}},
                    ".xml");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("content-type"), "text/xml; charset=utf-8");
    const auto x = parse_xml(r.body);
    EXPECT_EQ(x.name, "service_request_updates");
    const auto xml_id = x.child("request_update").at("update_id");
    EXPECT_NE(xml_id, our_id);
    native = c.get(c.dispatcher, as_id(id));
    EXPECT_EQ(native["status"], "assigned");
    EXPECT_EQ(native["events"].back()["note"], "[partner status: FIXED]");

    // GET updates lists comments under our ids (so FixMyStreet knows them as its own) with a fixed
    // sentence: the partner's text is not republished.
    const auto updates = get("/servicerequestupdates.json").body;
    const auto list = json::parse(updates);
    bool seen = false;
    for (const auto& u : list)
        if (u["update_id"] == our_id) {
            seen = true;
            EXPECT_EQ(u["description"], "A comment from a partner app.");
            EXPECT_EQ(u["status"], "open");
        }
    EXPECT_TRUE(seen) << updates;
    EXPECT_EQ(updates.find("Still there"), std::string::npos);

    // A comment on a closed ticket is kept; the ticket stays closed.
    const auto done = post_ok(minimal());
    c.ok(c.m1, as_id(done), {{"action", "reject"}, {"reason", "private land"}});
    r = post_update({{"api_key", key},
                     {"service_request_id", done},
                     {"update_id", "fms-79"},
                     {"status", "OPEN"},
                     {"description", "Why was this rejected?"}});
    ASSERT_EQ(r.status, 200) << r.body;
    native = c.get(c.dispatcher, as_id(done));
    EXPECT_EQ(native["status"], "rejected");
    EXPECT_EQ(native["events"].back()["note"], "Why was this rejected?\n[partner status: OPEN]");
}

TEST_F(Open311, PartnerUpdateErrorsUseGeoReportCodesAndAddNothing) {
    const auto id = post_ok(minimal());
    const auto resident_report = std::to_string(c.submit(c.r1)["id"].get<std::int64_t>());
    const auto events = event_count(id);
    const Fields good = {{"api_key", key},
                         {"service_request_id", id},
                         {"update_id", "u-1"},
                         {"status", "OPEN"},
                         {"description", "text"}};
    auto with = [&](const std::string& name, const std::string& value) {
        auto f = good;
        bool found = false;
        for (auto& kv : f)
            if (kv.first == name) kv.second = value, found = true;
        if (!found) f.push_back({name, value});
        return f;
    };
    auto without = [&](const std::string& name) {
        Fields f;
        for (const auto& kv : good)
            if (kv.first != name) f.push_back(kv);
        return f;
    };
    expect_error(post_update(without("api_key")), 403, 403);
    expect_error(post_update(without("api_key"), ".xml"), 403, 403, true);
    expect_error(post_update(with("api_key", "o311_forged")), 403, 403);
    expect_error(post_update(without("service_request_id")), 400, 400);
    expect_error(post_update(with("service_request_id", "999999")), 404, 404);
    expect_error(post_update(with("service_request_id", "abc")), 404, 404, false);
    expect_error(post_update(with("service_request_id", resident_report)), 403, 403);  // not this partner's
    expect_error(post_update(without("update_id")), 400, 400);
    expect_error(post_update(with("update_id", std::string(101, 'u'))), 400, 400);
    expect_error(post_update(with("update_id", "u\t1")), 400, 400);
    expect_error(post_update(with("status", "DONE")), 400, 400, false);
    expect_error(post_update(with("status", "DONE"), ".xml"), 400, 400, true);
    expect_error(post_update(with("description", std::string(4001, 'd'))), 400, 400);
    expect_error(post_update(with("description", std::string("bad \x01", 5))), 400, 400);
    expect_error(post_update(with("media_url", "javascript:alert(1)")), 400, 400);
    auto seven = good;
    for (int i = 0; i < 7; ++i) seven.push_back({"media_url", "https://partner.example/" + std::to_string(i) + ".jpg"});
    expect_error(post_update(seven), 400, 400);
    expect_error(d.request("POST", "/open311/v2/servicerequestupdates.json", R"({"update_id":"1"})",
                           {{"Content-Type", "application/json"}}),
                 400, 400);
    EXPECT_EQ(event_count(id), events);
    EXPECT_EQ(c.get(c.dispatcher, std::stoll(resident_report))["events"].size(), 1u);
    // None of those used up the update_id.
    ASSERT_EQ(post_update(good).status, 200);
    EXPECT_EQ(event_count(id), events + 1);
}

}  // namespace
