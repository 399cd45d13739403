// Issue 15: the server driven exactly as FixMyStreet's Open311 client drives a council endpoint
// (mysociety/fixmystreet perllib/Open311.pm, Open311/GetServiceRequestUpdates.pm,
// Open311/PostServiceRequestUpdates.pm, Open311/UpdatesBase.pm, Open311/GetUpdates.pm,
// FixMyStreet/SendReport/Open311.pm, read for their facts; nothing of them is copied).
//
// What this reproduces of that client, as its source shows it:
// - Every request goes to `endpoint` + a relative path ("requests.xml", "services.xml",
//   "servicerequestupdates.xml", "services/<code>.xml"): always the XML format.
// - GET parameters and POST bodies are built by URI's query_form: `, ; / ? : @ & = + $ [ ] %`
//   and everything outside printable ASCII are percent-encoded (so an id list is joined with
//   "%2C" and a date's colons arrive as "%3A"), a space is "+". POST bodies are
//   application/x-www-form-urlencoded with that encoding; list values (media_url with
//   multi_photos) are the same name repeated. Field order follows a Perl hash: any order.
// - `jurisdiction_id` is added to every request when configured; `api_key` to every POST, and
//   to GET servicerequestupdates as a parameter of its own (always, '' when unset) — but not
//   to GET requests, services or service definitions.
// - A new report: description (title, detail and the report's URL, uncapped), service_code,
//   first_name, last_name, email, lat/long (sprintf "%0.6f", trailing zeros cut) or
//   address_string or address_id, media_url, attribute[…] for every extra field. The answer is
//   read as `request[0].service_request_id`, which must be a plain value.
// - Updates are fetched with both start_date and end_date, W3C date-times in UTC ("…Z"), by
//   default the last two hours; an update is used only if it has an update_id, if its
//   updated_datetime, turned to UTC and compared as a string, lies inside the window, and if no
//   comment already carries its update_id. Its status is mapped: lower-cased, '_' → ' ', then
//   fixed → "fixed - council", not councils responsibility → "not responsible",
//   no further action → "unable to fix", open → "confirmed", closed → "closed" with extended
//   statuses and "fixed - council" without.
// - A comment is posted with updated_datetime, service_request_id, status (OPEN/CLOSED, or an
//   extended value with the extended-statuses option), description, first_name, last_name
//   ("-" when unknown), email, update_id (its own id), optional media_url; the answer is read as
//   `request_update[0].update_id`, kept as the comment's external id.
// - The XML is read like XML::Simple with ForceArray on service, attribute, value, request,
//   error, request_update and group, GroupTags collapsing attributes/values/groups, empty
//   elements read as undef (null), the root element's name dropped.
// - Errors: `error[].code` and `error[].description`, printed as "code: description".
#include "ticket_city.hpp"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <cstdio>
#include <map>
#include <set>

using namespace civic::test;
using nlohmann::json;

namespace {

// ---- XML as XML::Simple (with FixMyStreet's options) hands it to the client ----

const std::set<std::string> kForceArray = {"service", "attribute",      "value", "request",
                                           "error",   "request_update", "group"};
const std::map<std::string, std::string> kGroupTags = {
    {"services", "service"}, {"attributes", "attribute"},
    {"values", "value"},     {"service_requests", "request"},
    {"errors", "error"},     {"service_request_updates", "request_update"},
    {"groups", "group"}};

json simple(xmlNode* n) {
    std::string text;
    std::vector<xmlNode*> elements;
    for (auto* c = n->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE)
            elements.push_back(c);
        else if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
            text += reinterpret_cast<const char*>(c->content);
    }
    if (elements.empty()) return text.empty() ? json(nullptr) : json(text);  // SuppressEmpty => undef
    json obj = json::object();
    for (auto* c : elements) {
        const std::string name = reinterpret_cast<const char*>(c->name);
        json value = simple(c);
        // GroupTags: <attributes><attribute/>…</attributes> becomes attributes => [ … ].
        if (const auto g = kGroupTags.find(name);
            g != kGroupTags.end() && value.is_object() && value.size() == 1 && value.contains(g->second))
            value = value[g->second];
        if (kForceArray.count(name)) {
            if (!obj.contains(name)) obj[name] = json::array();
            obj[name].push_back(std::move(value));
        } else if (obj.contains(name)) {
            if (!obj[name].is_array()) obj[name] = json::array({obj[name]});
            obj[name].push_back(std::move(value));
        } else {
            obj[name] = std::move(value);
        }
    }
    return obj;
}

// The parsed document without its root element's name; null when it is not XML at all (the
// client's eval then yields undef too).
json xml_simple(const std::string& body) {
    xmlDocPtr doc = xmlReadMemory(body.data(), static_cast<int>(body.size()), "fms.xml", nullptr,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) return nullptr;
    json out = simple(xmlDocGetRootElement(doc));
    xmlFreeDoc(doc);
    return out;
}

// A plain value, as `return $x unless ref $x` wants it.
bool is_plain(const json& v) { return v.is_string(); }

// ---- URI->query_form ----

std::string uri_escape(const std::string& s) {
    static const std::string reserved = ";/?:@&=+,$[]%";
    std::string out;
    char buf[4];
    for (unsigned char c : s) {
        if (c == ' ') {
            out += '+';
        } else if (c <= 0x20 || c >= 0x7f || reserved.find(static_cast<char>(c)) != std::string::npos || c == '#' ||
                   c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' || c == '{' || c == '|' ||
                   c == '}') {
            std::snprintf(buf, sizeof buf, "%%%02X", c);
            out += buf;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

// Perl's params hash: one name → one value or several (an array ref).
using Params = std::map<std::string, std::vector<std::string>>;

std::string query_form(const Params& params) {
    std::string out;
    for (const auto& [name, values] : params)
        for (const auto& v : values) out += (out.empty() ? "" : "&") + uri_escape(name) + "=" + uri_escape(v);
    return out;
}

// Utils::truncate_coordinate: six decimals, trailing zeros (and a bare point) cut.
std::string truncate_coordinate(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%0.6f", v);
    std::string s = buf;
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s;
}

// ---- the client ----

struct Body {  // a FixMyStreet body's Open311 configuration, as docs/open311.md describes it
    std::string endpoint_path = "/open311/v2/";  // endpoint http://<host>:<port>/open311/v2/
    std::string jurisdiction = "mengzi";
    std::string api_key;
    bool extended_statuses = true;  // send_extended_statuses
};

struct Client {
    const Daemon& d;
    Body body;
    std::string last_error;

    HttpResponse raw_get(const std::string& path, Params params) const {
        if (!body.jurisdiction.empty()) params["jurisdiction_id"] = {body.jurisdiction};
        const auto q = query_form(params);
        return d.request("GET", body.endpoint_path + path + (q.empty() ? "" : "?" + q));
    }
    HttpResponse raw_post(const std::string& path, Params params) const {
        if (!body.jurisdiction.empty()) params["jurisdiction_id"] = {body.jurisdiction};
        if (!body.api_key.empty()) params["api_key"] = {body.api_key};
        return d.request("POST", body.endpoint_path + path, query_form(params),
                         {{"Content-Type", "application/x-www-form-urlencoded"}});
    }
    // _process_error: "code: description" per error, or "unknown error".
    static std::string process_error(const std::string& response_body) {
        const auto obj = xml_simple(response_body);
        std::string msg;
        if (obj.is_object() && obj.contains("error"))
            for (const auto& e : obj["error"])
                msg += (e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>() : "???") + ": " +
                       (e.contains("description") && e["description"].is_string() ? e["description"].get<std::string>()
                                                                                  : "unknown error") +
                       "\n";
        return msg.empty() ? "unknown error" : msg;
    }
    // The decoded body on success; nullopt with last_error set otherwise.
    std::optional<std::string> ok(const HttpResponse& r) {
        if (r.status >= 200 && r.status < 300) return r.body;
        last_error = std::to_string(r.status) + " / " + process_error(r.body);
        return std::nullopt;
    }

    json get_service_list() {
        auto r = ok(raw_get("services.xml", {}));
        return r ? xml_simple(*r) : json(nullptr);
    }
    json get_service_meta_info(const std::string& code) {
        auto r = ok(raw_get("services/" + code + ".xml", {}));
        return r ? xml_simple(*r) : json(nullptr);
    }
    // send_service_request: the external id, or "" (then last_error says why).
    std::string send_service_request(const Params& params) {
        auto r = ok(raw_post("requests.xml", params));
        if (!r) return "";
        const auto obj = xml_simple(*r);
        if (obj.is_object() && obj.contains("request") && obj["request"][0].contains("service_request_id") &&
            is_plain(obj["request"][0]["service_request_id"]))
            return obj["request"][0]["service_request_id"].get<std::string>();
        last_error = "no service_request_id in " + *r;
        return "";
    }
    json get_service_requests(const std::vector<std::string>& ids) {
        std::string joined;
        for (const auto& id : ids) joined += (joined.empty() ? "" : ",") + id;
        auto r = ok(raw_get("requests.xml", {{"service_request_id", {joined}}}));
        return r ? xml_simple(*r)["request"] : json(nullptr);
    }
    json get_service_request_updates(const std::string& start, const std::string& end) {
        auto r = ok(raw_get("servicerequestupdates.xml",
                            {{"api_key", {body.api_key}}, {"start_date", {start}}, {"end_date", {end}}}));
        if (!r) return nullptr;
        const auto obj = xml_simple(*r);
        return obj.is_object() && obj.contains("request_update") ? obj["request_update"] : json::array();
    }
    std::string post_service_request_update(const Params& params) {
        auto r = ok(raw_post("servicerequestupdates.xml", params));
        if (!r) return "";
        const auto obj = xml_simple(*r);
        if (obj.is_object() && obj.contains("request_update") && obj["request_update"][0].contains("update_id") &&
            is_plain(obj["request_update"][0]["update_id"]))
            return obj["request_update"][0]["update_id"].get<std::string>();
        last_error = "no update_id in " + *r;
        return "";
    }

    // Open311::map_state.
    std::string map_state(std::string s) const {
        for (auto& c : s) c = c == '_' ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (s == "fixed") return "fixed - council";
        if (s == "not councils responsibility") return "not responsible";
        if (s == "no further action") return "unable to fix";
        if (s == "open") return "confirmed";
        if (s == "closed") return body.extended_statuses ? "closed" : "fixed - council";
        return s;
    }
};

// A FixMyStreet problem as far as these exchanges touch it.
struct Problem {
    std::string external_id;
    std::string state = "confirmed";
    std::set<std::string> comment_external_ids;  // comments it has, by their update_id
    std::vector<std::string> comment_texts;
};

// GetServiceRequestUpdates::process_requests + UpdatesBase::_process_update, reduced to what
// decides which updates are taken and which state a problem ends in.
int process_updates(const Client& client, const json& updates, const std::string& start, const std::string& end,
                    std::map<std::string, Problem>& problems) {
    int created = 0;
    for (const auto& u : updates) {
        if (!u.contains("update_id") || u["update_id"].is_null()) continue;
        const auto at = u.value("updated_datetime", json()).is_string() ? u["updated_datetime"].get<std::string>() : "";
        if (at.empty() || at < start || at > end) continue;  // check_date (our dates are UTC already)
        const auto it = problems.find(u["service_request_id"].get<std::string>());
        if (it == problems.end()) continue;
        auto& p = it->second;
        if (p.comment_external_ids.count(u["update_id"].get<std::string>())) continue;
        ++created;
        p.comment_external_ids.insert(u["update_id"].get<std::string>());
        p.comment_texts.push_back(u["description"].is_string() ? u["description"].get<std::string>() : "");
        p.state = client.map_state(u["status"].get<std::string>());
    }
    return created;
}

struct Open311FixMyStreet : ::testing::Test {
    Daemon d;
    TicketCity c{d};
    Client fms{d, {}, {}};

    void SetUp() override {
        // docs/open311.md: the city's admin issues the key with extended statuses on.
        auto r = d.post("/api/v1/admin/open311-keys", {{"name", "FixMyStreet Mengzi"}, {"extended_statuses", true}},
                        c.admin);
        ASSERT_EQ(r.status, 201) << r.body;
        fms.body.api_key = r.json()["api_key"].get<std::string>();
    }

    // A report as SendReport::Open311 sends it (extended_description, always_send_latlong).
    Params report(const std::string& title, const std::string& detail, std::optional<std::pair<double, double>> at,
                  int fms_id) const {
        Params p;
        p["service_code"] = {"t-garbage"};
        p["description"] = {title + "\n\n" + detail + "\n\nhttps://fixmystreet.example/report/" +
                            std::to_string(fms_id) + "\n"};
        p["first_name"] = {"Ada"};
        p["last_name"] = {"Lovelace"};
        p["email"] = {"ada@example.org"};
        p["phone"] = {"07700 900123"};
        if (at) {
            p["lat"] = {truncate_coordinate(at->first)};
            p["long"] = {truncate_coordinate(at->second)};
        }
        p["attribute[fixmystreet_id]"] = {std::to_string(fms_id)};
        p["attribute[title]"] = {title};
        p["attribute[description]"] = {detail};
        p["attribute[report_url]"] = {"https://fixmystreet.example/report/" + std::to_string(fms_id)};
        p["attribute[closest_address]"] = {"文澜路 12 号, 蒙自市"};
        p["attribute[category]"] = {"垃圾"};
        return p;
    }
};

TEST_F(Open311FixMyStreet, ServicesReportsUpdatesAndCommentsAsTheClientSendsAndReadsThem) {
    // PopulateServiceList: the services, then a definition (metadata is "false", so the client
    // would not ask; it still must parse).
    const auto services = fms.get_service_list();
    ASSERT_TRUE(services.is_object()) << fms.last_error;
    ASSERT_TRUE(services["service"].is_array());
    std::set<std::string> codes;
    for (const auto& s : services["service"]) {
        codes.insert(s["service_code"].get<std::string>());
        EXPECT_EQ(s["metadata"], "false");
        EXPECT_EQ(s["type"], "realtime");
    }
    EXPECT_EQ(codes, (std::set<std::string>{"t-garbage", "t-manhole"}));
    const auto meta = fms.get_service_meta_info("t-garbage");
    ASSERT_TRUE(meta.is_object()) << fms.last_error;
    EXPECT_EQ(meta["service_code"], "t-garbage");
    EXPECT_EQ(meta["attributes"], nullptr) << "an empty <attributes/> is undef to the client";

    // SendReport::Open311 — four reports: one with a detail longer than 2,000 characters and a
    // photo URL; one not pinpointed (address_string) with multi_photos; two more.
    std::string detail;
    for (int i = 0; i < 2100; ++i) detail += i % 70 == 69 ? '\n' : static_cast<char>('a' + i % 26);
    auto p1 = report("Overflowing bins, 垃圾满溢", detail, std::pair{23.3751234567, 103.375}, 101);
    p1["media_url"] = {"https://fixmystreet.example/photo/101.0.full.jpeg"};
    const auto id1 = fms.send_service_request(p1);
    ASSERT_FALSE(id1.empty()) << fms.last_error;
    auto p2 = report("Rubbish on the pavement", "Near the school gate.", std::nullopt, 102);
    p2["address_string"] = {"文澜路与天马路交叉口"};
    p2["media_url"] = {"https://fixmystreet.example/photo/102.0.full.jpeg",
                       "https://fixmystreet.example/photo/102.1.full.jpeg",
                       "https://fixmystreet.example/photo/102.2.full.jpeg"};
    const auto id2 = fms.send_service_request(p2);
    ASSERT_FALSE(id2.empty()) << fms.last_error;
    const auto id3 = fms.send_service_request(
        report("Bin on private land", "Inside the compound.", std::pair{23.3752, 103.3752}, 103));
    ASSERT_FALSE(id3.empty()) << fms.last_error;
    const auto id4 =
        fms.send_service_request(report("Same bins again", "Reported twice.", std::pair{23.3753, 103.3753}, 104));
    ASSERT_FALSE(id4.empty()) << fms.last_error;

    // What arrived: the whole description, the coordinates as sent, the address-only report in the
    // dispatch center's queue, every photo link kept.
    const auto r1 = c.get(c.dispatcher, std::stoll(id1));
    EXPECT_EQ(r1["description"], p1["description"][0]);
    EXPECT_DOUBLE_EQ(r1["lat"].get<double>(), 23.375123);
    EXPECT_EQ(r1["media_urls"], json(p1["media_url"]));
    const auto r2 = c.get(c.dispatcher, std::stoll(id2));
    EXPECT_EQ(r2["grid_id"], nullptr);
    EXPECT_EQ(r2["lat"], nullptr);
    EXPECT_EQ(r2["address"], "文澜路与天马路交叉口");
    EXPECT_EQ(r2["media_urls"], json(p2["media_url"]));

    std::map<std::string, Problem> problems;
    for (const auto& id : {id1, id2, id3, id4}) problems[id].external_id = id;

    // The city works the tickets: 1 fixed and verified, 3 rejected, 4 a duplicate of 1, 2 placed
    // by the dispatcher and accepted.
    c.set_clock("2026-11-20T00:30:00Z");
    auto t = c.ok(c.m1, std::stoll(id1), {{"action", "accept"}});
    const Person& worker = t["assignee_id"].get<std::int64_t>() == c.w1.id ? c.w1 : c.w2;
    c.ok(worker, std::stoll(id1), {{"action", "start"}});
    ASSERT_EQ(c.resolve(worker, std::stoll(id1)).status, 200);
    c.set_clock("2026-11-20T00:45:00Z");
    c.ok(c.m1, std::stoll(id1), {{"action", "verify"}});
    c.ok(c.m1, std::stoll(id3), {{"action", "reject"}, {"reason", "private land, owner informed"}});
    c.ok(c.m1, std::stoll(id4), {{"action", "mark_duplicate"}, {"of", std::stoll(id1)}});
    c.ok(c.dispatcher, std::stoll(id2), {{"action", "set_grid"}, {"grid_id", c.g2}});
    c.ok(c.dispatcher, std::stoll(id2), {{"action", "accept"}});
    c.set_clock("2026-11-20T01:00:00Z");

    // GetServiceRequestUpdates, the default window: the last two hours, in UTC.
    // (DateTime::Format::W3CDTF writes a UTC time with "Z".)
    const std::string start = "2026-11-19T23:00:00Z", end = "2026-11-20T01:00:00Z";
    const auto updates = fms.get_service_request_updates(start, end);
    ASSERT_TRUE(updates.is_array()) << fms.last_error;
    EXPECT_GT(process_updates(fms, updates, start, end, problems), 0);
    EXPECT_EQ(problems[id1].state, "fixed - council");
    EXPECT_EQ(problems[id2].state, "action scheduled");
    EXPECT_EQ(problems[id3].state, "unable to fix") << "a rejected report is not shown as fixed";
    EXPECT_EQ(problems[id4].state, "duplicate");
    for (const auto& text : problems[id3].comment_texts)
        EXPECT_EQ(text.find("private land"), std::string::npos) << "staff's reason stays internal";
    // Fetching again adds nothing: every update is known by its update_id.
    EXPECT_EQ(process_updates(fms, fms.get_service_request_updates(start, end), start, end, problems), 0);

    // The same fetch without extended statuses is why the option exists: the rejected report
    // would read "fixed - council".
    Client plain = fms;
    plain.body.extended_statuses = false;
    auto r = d.post("/api/v1/admin/open311-keys", {{"name", "plain"}}, c.admin);
    plain.body.api_key = r.json()["api_key"].get<std::string>();
    std::map<std::string, Problem> plain_problems;
    plain_problems[id3].external_id = id3;
    process_updates(plain, plain.get_service_request_updates(start, end), start, end, plain_problems);
    EXPECT_EQ(plain_problems[id3].state, "fixed - council");

    // PostServiceRequestUpdates: a resident's comment on report 2, with the extended status of
    // the FixMyStreet problem (action scheduled) and its photo.
    Params comment = {{"updated_datetime", {"2026-11-20T09:05:00+08:00"}},
                      {"service_request_id", {id2}},
                      {"status", {"ACTION_SCHEDULED"}},
                      {"description", {"Thanks — it is still there, and the bin lid is broken."}},
                      {"first_name", {"Ada"}},
                      {"last_name", {"Lovelace"}},
                      {"email", {"ada@example.org"}},
                      {"update_id", {"9001"}},
                      {"media_url", {"https://fixmystreet.example/photo/c/9001.0.full.jpeg"}}};
    const auto external = fms.post_service_request_update(comment);
    ASSERT_FALSE(external.empty()) << fms.last_error;
    problems[id2].comment_external_ids.insert(external);
    // A retry after a lost answer gets the same id.
    EXPECT_EQ(fms.post_service_request_update(comment), external);
    // The resident marks report 1 fixed on FixMyStreet: CLOSED, with no text and a "-" surname.
    Params closing = {{"updated_datetime", {"2026-11-20T09:06:00+08:00"}},
                      {"service_request_id", {id1}},
                      {"status", {"CLOSED"}},
                      {"description", {""}},
                      {"first_name", {"Ada"}},
                      {"last_name", {"-"}},
                      {"update_id", {"9002"}}};
    const auto closing_external = fms.post_service_request_update(closing);
    ASSERT_FALSE(closing_external.empty()) << fms.last_error;
    EXPECT_NE(closing_external, external);
    problems[id1].comment_external_ids.insert(closing_external);

    const auto staff_view = c.get(c.dispatcher, std::stoll(id2));
    EXPECT_EQ(staff_view["status"], "accepted");
    EXPECT_EQ(staff_view["events"].back()["action"], "comment");
    EXPECT_EQ(staff_view["events"].back()["note"],
              "Thanks — it is still there, and the bin lid is broken.\n[partner status: ACTION_SCHEDULED]\n"
              "https://fixmystreet.example/photo/c/9001.0.full.jpeg");

    // The next fetch brings both comments back under the ids FixMyStreet keeps: both are skipped,
    // nothing else happened, and no ticket moved.
    c.set_clock("2026-11-20T01:10:00Z");
    const std::string end2 = "2026-11-20T01:10:00Z";
    const auto again = fms.get_service_request_updates(start, end2);
    std::set<std::string> listed;
    for (const auto& u : again) listed.insert(u["update_id"].get<std::string>());
    EXPECT_TRUE(listed.count(external) && listed.count(closing_external));
    EXPECT_EQ(process_updates(fms, again, start, end2, problems), 0);
    EXPECT_EQ(problems[id1].state, "fixed - council");
    EXPECT_EQ(problems[id2].state, "action scheduled");

    // GetUpdates (for bodies without the updates extension): the id list joined with %2C, no
    // api_key, hence GeoReport's own statuses; status_notes are the update texts.
    const auto requests = fms.get_service_requests({id1, id2, id3, id4});
    ASSERT_TRUE(requests.is_array()) << fms.last_error;
    ASSERT_EQ(requests.size(), 4u);
    std::map<std::string, std::string> status;
    for (const auto& q : requests) {
        status[q["service_request_id"].get<std::string>()] = q["status"].get<std::string>();
        EXPECT_TRUE(q["status_notes"].is_string());
        EXPECT_TRUE(q["updated_datetime"].is_string());
    }
    EXPECT_EQ(status,
              (std::map<std::string, std::string>{{id1, "closed"}, {id2, "open"}, {id3, "closed"}, {id4, "closed"}}));
    EXPECT_EQ(requests[1]["lat"], nullptr);
    EXPECT_EQ(requests[0]["media_url"], p1["media_url"][0]);
}

TEST_F(Open311FixMyStreet, FailuresAreErrorsTheClientCanPrint) {
    // A wrong key: HTTP 403 with GeoReport's XML error.
    Client wrong = fms;
    wrong.body.api_key = "o311_not-a-key";
    EXPECT_TRUE(wrong.send_service_request(report("t", "d", std::pair{23.375, 103.375}, 1)).empty());
    EXPECT_EQ(wrong.last_error, "403 / 403: api_key is missing or not valid\n");
    EXPECT_TRUE(wrong.post_service_request_update({{"service_request_id", {"1"}}, {"update_id", {"1"}}}).empty());
    EXPECT_EQ(wrong.last_error, "403 / 403: api_key is missing or not valid\n");

    // An update for a request the city does not know.
    EXPECT_TRUE(
        fms.post_service_request_update(
               {{"service_request_id", {"424242"}}, {"update_id", {"7"}}, {"status", {"OPEN"}}, {"description", {"x"}}})
            .empty());
    EXPECT_EQ(fms.last_error, "404 / 404: service_request_id not found\n");

    // Only one date: the client never sends that, but a misconfigured one gets a readable 400.
    auto r = fms.raw_get("servicerequestupdates.xml",
                         {{"api_key", {fms.body.api_key}}, {"start_date", {"2026-11-20T00:00:00Z"}}});
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(Client::process_error(r.body).substr(0, 5), "400: ");

    // A path the server does not have, without an extension: still an error list in XML.
    r = d.request("GET", "/open311/v2/servicerequestupdates");
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(Client::process_error(r.body), "404: no such path\n");
}

}  // namespace
