// API.md §10: Open311 GeoReport v2 over the same tickets, in .json and .xml, with GeoReport's
// error format; and the admin endpoint that issues partner api_keys. docs/open311.md tells the
// decisions; server/api/open311_format renders both formats from one document.
#include "common/errors.hpp"
#include "common/time.hpp"
#include "common/utf8.hpp"
#include "server/api/auth.hpp"
#include "server/api/input.hpp"
#include "server/api/open311_format.hpp"
#include "server/api/photo_intake.hpp"
#include "server/api/photo_read.hpp"
#include "server/api/report_feed.hpp"
#include "server/api/routes.hpp"
#include "server/domain/open311.hpp"
#include "server/domain/reports.hpp"
#include "server/http/limits.hpp"
#include "server/http/response.hpp"
#include "server/store/city_repo.hpp"
#include "server/store/cluster_repo.hpp"
#include "server/store/offload.hpp"
#include "server/store/open311_repo.hpp"
#include "server/store/photo_files.hpp"
#include "server/store/photo_store.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <map>
#include <set>

namespace civic::api {

namespace asio = boost::asio;
namespace o311 = domain::open311;
using http::Request;
using http::Response;
using open311::Doc;
using open311::Format;

namespace {

constexpr std::string_view kPrefix = "/open311/v2";
constexpr const char* kChangeset = "2026-12-01T00:00:00Z";  // when this interface last changed
constexpr std::size_t kMaxMediaUrlBytes = 2000;
constexpr std::size_t kMaxIdsPerQuery = o311::kMaxResults;

// "Optional" in GeoReport: an empty parameter is the same as an absent one. A parameter given
// several times counts as one comma list (the spec allows both spellings for lists).
std::optional<std::string> query_list(const Request& req, std::string_view name) {
    std::optional<std::string> joined;
    for (const auto& [k, v] : req.query) {
        if (k != name || v.empty()) continue;
        if (joined)
            joined->push_back(',');
        else
            joined.emplace();
        joined->append(v);
    }
    return joined;
}

std::vector<std::string> split_commas(std::string_view text) {
    std::vector<std::string> items;
    while (true) {
        const auto comma = text.find(',');
        auto item = text.substr(0, comma);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (!item.empty()) items.emplace_back(item);
        if (comma == std::string_view::npos) break;
        text.remove_prefix(comma + 1);
    }
    return items;
}

std::optional<std::int64_t> positive_id(std::string_view text) {
    std::int64_t v = 0;
    if (text.empty() || text.size() > 18 || text.front() == '0') return std::nullopt;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || v <= 0) return std::nullopt;
    return v;
}

// W3C date-times with a time zone. A '+' of an offset that the client forgot to percent-encode
// arrives as a space (form encoding); no date contains a space, so it is read back as '+'.
std::optional<std::int64_t> query_date(const Request& req, const char* name) {
    auto text = query_list(req, name);
    if (!text) return std::nullopt;
    for (auto& c : *text)
        if (c == ' ') c = '+';
    auto t = timefmt::parse_rfc3339(*text);
    if (!t)
        throw ApiError::invalid_field(
            name, std::string(name) + " must be a W3C date-time with a time zone, e.g. 2026-11-20T08:00:00Z");
    return t;
}

// Absolute URLs (discovery, media) are built from the Host the client used, so they work behind
// whatever name the city publishes. A Host with unexpected characters is not echoed.
std::string base_url(const Request& req) {
    std::string host(req.header("host").value_or(""));
    const bool ok = !host.empty() && host.size() <= 255 && std::all_of(host.begin(), host.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
    });
    if (!ok) host = "localhost";
    return std::string(req.secure ? "https://" : "http://").append(host);
}

// GB/T 30428 codes ("200102.exposed-garbage") carry their major class (大类) in the first four
// digits; that class is the service's GeoReport group.
Doc group_of(std::string_view code) {
    static const std::map<std::string_view, std::string_view> classes = {
        {"1001", "部件·公共设施 public facilities"},
        {"1002", "部件·道路交通 roads and traffic"},
        {"1003", "部件·市容环境 city-appearance facilities"},
        {"1004", "部件·园林绿化 landscaping"},
        {"1005", "部件·房屋土地 buildings and land"},
        {"2001", "事件·市容环境 city appearance"},
        {"2002", "事件·宣传广告 advertising"},
        {"2003", "事件·施工管理 construction"},
        {"2004", "事件·突发事件 emergencies"},
        {"2005", "事件·街面秩序 street order"},
    };
    if (code.size() < 6 || !std::all_of(code.begin(), code.begin() + 6, [](char c) { return c >= '0' && c <= '9'; }))
        return nullptr;
    const auto it = classes.find(code.substr(0, 4));
    if (it != classes.end()) return std::string(it->second);
    return std::string(code.substr(0, 4));
}

Doc service_doc(const store::CategoryRow& c) {
    Doc s;
    s["service_code"] = c.code;
    s["service_name"] = c.name;
    const char* unit = c.sla_unit == "work_days"    ? " working days"
                       : c.sla_unit == "work_hours" ? " working hours"
                                                    : " hours";
    s["description"] = "Handled within " + std::to_string(c.sla_hours) + unit + " of the city accepting the request.";
    s["metadata"] = false;
    s["type"] = "realtime";
    s["keywords"] = nullptr;
    s["group"] = group_of(c.code);
    return s;
}

Doc time_or_null(std::optional<std::int64_t> t) { return t ? Doc(timefmt::format_rfc3339(*t)) : Doc(nullptr); }

// What GET requests and requests/{id} need besides the ticket row, read once per answer.
struct Lookups {
    std::map<std::string, std::string, std::less<>> service_names;
    std::map<std::int64_t, std::string> grid_names;
    std::string base;
    bool extended = false;  // the api_key asks for FixMyStreet's extended statuses
};

// GET answers are public, so api_key is optional there; one that is given must be valid (403
// otherwise, so that a mistyped key is noticed), and it decides which statuses are shown.
bool extended_statuses_for(store::Conn& conn, const Request& req) {
    const auto api_key = query_list(req, "api_key");
    if (!api_key) return false;
    const auto partner = o311::partner_for_key(conn, *api_key);
    if (!partner) throw ApiError::forbidden("api_key is not valid");
    return partner->extended_statuses;
}

Lookups load_lookups(store::Conn& conn, const Request& req) {
    Lookups lk;
    lk.extended = extended_statuses_for(conn, req);
    for (auto& c : store::list_categories(conn)) lk.service_names.emplace(c.code, c.name);
    lk.grid_names = store::grid_names(conn);
    lk.base = base_url(req);
    return lk;
}

// media_url: only once the city accepted the ticket (o311::photo_is_public). A partner's own
// media_url then, else our first report photo through the public media route.
Doc media_url(store::Conn& conn, const store::ReportRow& r, const Lookups& lk) {
    if (!o311::photo_is_public(r.status)) return nullptr;
    if (auto url = store::find_media_url(conn, r.id)) return *url;
    if (auto photo = store::first_report_photo_id(conn, r.id))
        return lk.base + std::string(kPrefix) + "/media/" + std::to_string(*photo);
    return nullptr;
}

// One service request, field for field as GeoReport v2 lists them. Nothing about the reporter.
Doc request_doc(store::Conn& conn, const store::ReportRow& r, const Lookups& lk) {
    Doc d;
    d["service_request_id"] = std::to_string(r.id);
    d["status"] = std::string(o311::status_for(r.status, lk.extended));
    d["status_notes"] = o311::status_notes(r.status, r.duplicate_of);
    const auto name = lk.service_names.find(r.category);
    d["service_name"] = name != lk.service_names.end() ? Doc(name->second) : Doc(nullptr);
    d["service_code"] = r.category;
    d["description"] = r.description;
    const auto grid = r.grid_id ? lk.grid_names.find(*r.grid_id) : lk.grid_names.end();
    d["agency_responsible"] = grid != lk.grid_names.end() ? Doc(grid->second) : Doc(nullptr);
    d["service_notice"] = nullptr;
    d["requested_datetime"] = timefmt::format_rfc3339(r.created_at);
    // "For requests with status=closed, this will be the date the request was closed."
    d["updated_datetime"] = timefmt::format_rfc3339(r.status == "closed" && r.closed_at ? *r.closed_at : r.updated_at);
    d["expected_datetime"] = time_or_null(r.deadline_at);
    d["address"] = r.address ? Doc(*r.address) : Doc(nullptr);
    std::optional<std::string> address_id;
    if (!r.located) address_id = store::find_address_id(conn, r.id);
    d["address_id"] = address_id ? Doc(*address_id) : Doc(nullptr);
    d["zipcode"] = nullptr;
    // Placed by address only: no position (the stored 0s are placeholders).
    d["lat"] = r.located ? Doc(r.lat) : Doc(nullptr);
    d["long"] = r.located ? Doc(r.lon) : Doc(nullptr);
    d["media_url"] = media_url(conn, r, lk);
    return d;
}

// ---- discovery, services ----

asio::awaitable<Response> discovery(AppContext&, Request& req, Format f) {
    Doc endpoint;
    endpoint["specification"] = "http://wiki.open311.org/GeoReport_v2";
    endpoint["url"] = base_url(req) + std::string(kPrefix);
    endpoint["changeset"] = kChangeset;
    endpoint["type"] = "production";
    endpoint["formats"] = Doc::array({"text/xml", "application/json"});
    Doc d;
    d["changeset"] = kChangeset;
    d["contact"] = "The city's urban-management dispatch center (调度中心).";
    d["key_service"] = "Partner apps that post requests ask the city's administrator for an api_key.";
    d["endpoints"] = Doc::array({std::move(endpoint)});
    co_return open311::render(f, "discovery", d);
}

asio::awaitable<Response> services(AppContext& ctx, Request&, Format f) {
    auto list = co_await ctx.db.read([&](store::Conn& conn) {
        Doc items = Doc::array();
        for (const auto& c : store::list_categories(conn)) items.push_back(service_doc(c));
        return items;
    });
    co_return open311::render(f, "services", list);
}

asio::awaitable<Response> service_definition(AppContext& ctx, Request& req, Format f) {
    const std::string code(req.param("service_code"));
    auto category = co_await ctx.db.read([&](store::Conn& conn) { return store::find_category(conn, code); });
    if (!category) throw ApiError::not_found("service_code not found");
    // Our categories ask no extra questions (metadata false): the definition has no attributes.
    Doc d;
    d["service_code"] = category->code;
    d["attributes"] = Doc::array();
    co_return open311::render(f, "service_definition", d);
}

// ---- requests ----

asio::awaitable<Response> list_requests(AppContext& ctx, Request& req, Format f) {
    const auto now = ctx.clock.now();
    std::vector<std::int64_t> wanted;  // service_request_id overrides every other filter
    std::optional<store::RequestFilter> filter;
    if (auto ids = query_list(req, "service_request_id")) {
        std::set<std::int64_t> seen;
        for (const auto& item : split_commas(*ids)) {
            const auto id = positive_id(item);
            if (!id) throw ApiError::invalid_field("service_request_id", "service_request_id is a comma list of ids");
            if (seen.insert(*id).second) wanted.push_back(*id);
        }
        if (wanted.size() > kMaxIdsPerQuery)
            throw ApiError::invalid_field("service_request_id", "at most 1000 service_request_id values");
    } else {
        filter.emplace();
        const auto window = o311::request_window(query_date(req, "start_date"), query_date(req, "end_date"), now);
        filter->from = window.from;
        filter->to = window.to;
        if (auto codes = query_list(req, "service_code")) filter->categories = split_commas(*codes);
        if (auto statuses = query_list(req, "status")) {
            bool open = false, closed = false;
            for (const auto& s : split_commas(*statuses)) {
                if (s == "open")
                    open = true;
                else if (s == "closed")
                    closed = true;
                else
                    throw ApiError::invalid_field("status", "status is open, closed or both");
            }
            if (open != closed) filter->closed = closed;
        }
        filter->limit = o311::kMaxResults;
    }
    auto list = co_await ctx.db.read([&](store::Conn& conn) {
        const auto lk = load_lookups(conn, req);
        if (filter) wanted = store::list_request_ids(conn, *filter);
        Doc items = Doc::array();
        for (auto id : wanted)
            if (auto row = store::find_report(conn, id)) items.push_back(request_doc(conn, *row, lk));
        return items;
    });
    co_return open311::render(f, "service_requests", list);
}

asio::awaitable<Response> get_request(AppContext& ctx, Request& req, Format f) {
    const auto id = positive_id(req.param("id"));
    if (!id) throw ApiError::not_found("service_request_id not found");
    auto list = co_await ctx.db.read([&](store::Conn& conn) {
        auto row = store::find_report(conn, *id);
        if (!row) throw ApiError::not_found("service_request_id not found");
        return Doc::array({request_doc(conn, *row, load_lookups(conn, req))});
    });
    co_return open311::render(f, "service_requests", list);
}

// Every request is realtime: POST answers the service_request_id at once, so no token is ever
// needed. A token is accepted all the same and is the service_request_id itself.
asio::awaitable<Response> get_token(AppContext& ctx, Request& req, Format f) {
    const std::string token(req.param("token"));
    const auto id = positive_id(token);
    if (!id) throw ApiError::not_found("token not found");
    const bool exists =
        co_await ctx.db.read([&](store::Conn& conn) { return store::find_report(conn, *id).has_value(); });
    if (!exists) throw ApiError::not_found("token not found");
    Doc d;
    d["service_request_id"] = token;
    d["token"] = token;
    co_return open311::render(f, "service_requests", Doc::array({std::move(d)}));
}

// ---- POST requests ----

// A form of any number of fields: the first value of each name is kept, except media_url, whose
// every (non-empty) value is kept in order; names nobody reads (attribute[…], email, first_name,
// account_id, …) are simply never looked at.
struct PostedRequest {
    std::map<std::string, std::string, std::less<>> fields;  // first value of each name
    std::vector<std::string> media_urls;                     // every media_url, in order
    std::vector<MultipartPart> media;                        // multipart parts holding a file
};

void add_field(PostedRequest& p, std::string name, std::string value) {
    if (name == "media_url") {
        if (!value.empty()) p.media_urls.push_back(std::move(value));
        return;
    }
    p.fields.emplace(std::move(name), std::move(value));
}

bool is_form_urlencoded(const Request& req) {
    auto type = std::string(req.header("content-type").value_or(""));
    for (auto& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return type.starts_with("application/x-www-form-urlencoded");
}

PostedRequest read_posted(Request& req) {
    PostedRequest p;
    if (req.parts) {  // multipart/form-data, parsed while the body arrived
        for (auto& part : *req.parts) {
            // Photos may come in parts of any name (`media`, FixMyStreet's `photo1`…): a part
            // holding a file is one; the parser let at most 6 through (open311_post limits).
            if (part.is_file())
                p.media.push_back(std::move(part));
            else
                add_field(p, std::move(part.name), std::move(part.data));
        }
    } else if (is_form_urlencoded(req)) {
        auto pairs = http::parse_query(req.body, true);
        if (!pairs) throw ApiError::bad_request("malformed form body");
        for (auto& [k, v] : *pairs) add_field(p, std::move(k), std::move(v));
    } else {
        throw ApiError::bad_request("the body is sent as application/x-www-form-urlencoded (or multipart/form-data)");
    }
    // api_key may also come in the query string, as the published Swagger file describes it.
    for (const auto& [k, v] : req.query)
        if (k == "api_key") p.fields.emplace(k, v);
    return p;
}

std::optional<std::string> field(const PostedRequest& p, std::string_view name) {
    const auto it = p.fields.find(name);
    if (it == p.fields.end() || it->second.empty()) return std::nullopt;
    return it->second;
}

double coordinate(const std::string& text, const char* name, double limit) {
    double v = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || !(v >= -limit && v <= limit))
        throw ApiError::invalid_field(name, std::string(name) + " must be a WGS84 coordinate in degrees");
    return v;
}

// Stored as given and never fetched by the server (no SSRF); only plain http(s) URLs are kept
// so that what we later publish is a link and nothing else.
std::string checked_media_url(const std::string& url) {
    const bool scheme = url.starts_with("http://") || url.starts_with("https://");
    const bool printable = std::all_of(url.begin(), url.end(),
                                       [](char c) { return c > 0x20 && c < 0x7f && c != '"' && c != '<' && c != '>'; });
    if (!scheme || !printable || url.size() > kMaxMediaUrlBytes || url.size() <= 8)
        throw ApiError::invalid_field("media_url", "media_url must be an http or https URL of at most 2000 bytes");
    return url;
}

std::vector<std::string> checked_media_urls(const PostedRequest& posted) {
    if (posted.media_urls.size() > o311::kMaxMediaUrls)
        throw ApiError::invalid_field("media_url", "at most 6 media_url values");
    std::vector<std::string> urls;
    for (const auto& url : posted.media_urls) urls.push_back(checked_media_url(url));
    return urls;
}

// One line of text a partner sent (address_id, update_id): valid UTF-8, no control characters.
std::optional<std::string> checked_line(const PostedRequest& posted, const char* name, std::size_t max_chars) {
    auto text = field(posted, name);
    if (text && (!utf8::valid(*text) || utf8::length(*text) > max_chars || utf8::has_control_chars(*text, false)))
        throw ApiError::invalid_field(name, std::string(name) + " must be 1.." + std::to_string(max_chars) +
                                                " characters without control characters");
    return text;
}

// The partner of the api_key in the body or the query; 403 before anything else is looked at.
asio::awaitable<o311::Partner> require_partner(AppContext& ctx, const PostedRequest& posted) {
    const auto api_key = field(posted, "api_key").value_or("");
    auto partner = co_await ctx.db.read([&](store::Conn& conn) { return o311::partner_for_key(conn, api_key); });
    if (!partner) throw ApiError::forbidden("api_key is missing or not valid");
    co_return *partner;
}

asio::awaitable<Response> post_request(AppContext& ctx, Request& req, Format f) {
    const auto posted = read_posted(req);
    // The key first: without a valid one nothing else is looked at (403).
    const auto partner = co_await require_partner(ctx, posted);

    const auto service_code = field(posted, "service_code");
    if (!service_code) throw ApiError::invalid_field("service_code", "service_code is required");
    // A location is lat+long, address_string or address_id (GeoReport v2). Without coordinates
    // the report cannot be routed: it waits in the dispatch center's queue for a person.
    const auto lat = field(posted, "lat");
    const auto lon = field(posted, "long");
    const auto address_string = field(posted, "address_string");
    const auto address_id = checked_line(posted, "address_id", o311::kMaxAddressIdChars);
    if (static_cast<bool>(lat) != static_cast<bool>(lon))
        throw ApiError::invalid_field(lat ? "long" : "lat", "lat and long are sent together");
    if (!lat && !address_string && !address_id)
        throw ApiError::invalid_field("lat", "a location is required: lat and long, address_string or address_id");
    const auto media_urls = checked_media_urls(posted);

    domain::NewReport report;
    report.reporter_id = partner.user_id;
    report.category = *service_code;
    report.located = static_cast<bool>(lat);
    if (report.located) {
        report.lat = coordinate(*lat, "lat", 90);
        report.lon = coordinate(*lon, "long", 180);
    }
    report.address = address_string;
    report.min_photos = 0;
    report.max_description_chars = domain::kMaxOpen311DescriptionChars;
    // Reporter identity (email, phone, names, device_id, account_id) is neither stored nor shown.
    co_await ctx.db.read([&](store::Conn& conn) {
        const auto category = store::find_category(conn, *service_code);
        if (!category) throw ApiError::not_found("service_code not found");
        // GeoReport's description is optional; ours is not, so the service's name stands in.
        report.description = field(posted, "description").value_or(category->name);
        domain::check_new_report(conn, report, posted.media.size());
    });
    report.photos = co_await store_photos(ctx, posted.media);

    const auto now = ctx.clock.now();
    auto row = co_await ctx.db.write([&](store::Conn& conn) {
        auto created = domain::open311::submit_partner_report(conn, report, media_urls, address_id, now);
        store::notify_report_change(conn, "report.created", created, now);  // to the other nodes' push
        return created;
    });
    publish_report(ctx, "report.created", row, now);
    Doc d;
    d["service_request_id"] = std::to_string(row.id);
    co_return open311::render(f, "service_requests", Doc::array({std::move(d)}));
}

// ---- the service-request updates extension (FixMyStreet's) ----

// Every ticket event of the window is an update: its id, the ticket, the ticket's status after
// it (open/closed or extended, as the key asks), when, and a fixed public sentence. Updates carry
// no media: the request's own media_url is on the request.
asio::awaitable<Response> list_updates(AppContext& ctx, Request& req, Format f) {
    const auto window =
        o311::updates_window(query_date(req, "start_date"), query_date(req, "end_date"), ctx.clock.now());
    auto list = co_await ctx.db.read([&](store::Conn& conn) {
        const bool extended = extended_statuses_for(conn, req);
        Doc items = Doc::array();
        for (const auto& u : store::list_updates(conn, window.from, window.to, o311::kMaxResults)) {
            Doc d;
            d["update_id"] = std::to_string(u.event_id);
            d["service_request_id"] = std::to_string(u.report_id);
            d["status"] = std::string(o311::status_for(u.to_status, extended));
            d["updated_datetime"] = timefmt::format_rfc3339(u.at);
            d["description"] = o311::update_description(u.action, u.duplicate_of);
            d["media_url"] = nullptr;
            items.push_back(std::move(d));
        }
        return items;
    });
    co_return open311::render(f, "service_request_updates", list);
}

// A partner's comment (a FixMyStreet user's update on a report the partner posted): kept on the
// ticket's history for staff; the ticket's status is the city's to change, so a CLOSED or FIXED
// from the partner is recorded in the note and changes nothing. updated_datetime, names, email,
// phone, attribute[…] and the rest are accepted and not kept: the event is dated on arrival.
// A multipart body is read for its fields; photos in it are not kept (media_url links are).
asio::awaitable<Response> post_update(AppContext& ctx, Request& req, Format f) {
    const auto posted = read_posted(req);
    const auto partner = co_await require_partner(ctx, posted);

    o311::PartnerComment comment;
    const auto request_id = field(posted, "service_request_id");
    if (!request_id) throw ApiError::invalid_field("service_request_id", "service_request_id is required");
    const auto id = positive_id(*request_id);
    if (!id) throw ApiError::not_found("service_request_id not found");
    comment.report_id = *id;
    const auto update_id = checked_line(posted, "update_id", o311::kMaxUpdateIdChars);
    if (!update_id) throw ApiError::invalid_field("update_id", "update_id is required");
    comment.update_id = *update_id;
    if (auto status = field(posted, "status")) {
        if (!o311::is_partner_update_status(*status))
            throw ApiError::invalid_field("status",
                                          "status is one of OPEN, CLOSED, FIXED, IN_PROGRESS, "
                                          "ACTION_SCHEDULED, INVESTIGATING, DUPLICATE, "
                                          "NOT_COUNCILS_RESPONSIBILITY, NO_FURTHER_ACTION, "
                                          "INTERNAL_REFERRAL, FOR_TRIAGE, CANCELLED, REOPEN");
        for (auto& c : *status) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        comment.status = *status;
    }
    if (auto text = field(posted, "description")) {
        if (!utf8::valid(*text) || utf8::length(*text) > domain::kMaxOpen311DescriptionChars ||
            utf8::has_control_chars(*text, true))
            throw ApiError::invalid_field("description",
                                          "description must be at most 4000 characters without control characters");
        comment.description = std::move(*text);
    }
    comment.media_urls = checked_media_urls(posted);

    const auto now = ctx.clock.now();
    auto result = co_await ctx.db.write([&](store::Conn& conn) {
        auto added = o311::add_partner_comment(conn, partner, comment, now);
        if (added.added && added.report) store::notify_report_change(conn, "report.updated", *added.report, now);
        return added;
    });
    if (result.added && result.report) publish_report(ctx, "report.updated", *result.report, now);
    Doc d;
    d["update_id"] = std::to_string(result.event_id);
    co_return open311::render(f, "service_request_updates", Doc::array({std::move(d)}));
}

// ---- the public photo of an accepted ticket ----

asio::awaitable<Response> get_media(AppContext& ctx, Request& req) {
    const auto photo_id = req.param_int("id");
    auto photo = co_await ctx.db.read([&](store::Conn& conn) {
        auto p = store::find_photo(conn, photo_id);
        if (!p || p->stage != "report") throw ApiError::not_found("no such media");
        auto report = store::find_report(conn, p->report_id);
        if (!report || !o311::photo_is_public(report->status) ||
            store::first_report_photo_id(conn, report->id) != p->id)
            throw ApiError::not_found("no such media");
        return *p;
    });
    PhotoToServe serve;
    serve.name = store::original_file_name(photo.blob.sha256, photo.blob.format);
    serve.known_size = static_cast<std::uint64_t>(photo.blob.bytes);
    serve.content_type = photo.blob.format == "jpeg" ? "image/jpeg" : "image/png";
    serve.etag = "\"" + photo.blob.sha256 + "\"";
    // Once accepted, a ticket never goes back to a status whose photo is private.
    serve.cache_control = "public, max-age=86400";
    const http::ErrorRenderer render = open311::render_error;
    co_return co_await serve_photo(ctx, req, std::move(serve), render);
}

// ---- partner keys (native API, API.md §0 errors) ----

asio::awaitable<Response> create_key(AppContext& ctx, Request& req) {
    const auto who = co_await authenticate(ctx, req);
    require_role(who, {Role::admin});
    const auto body = json_body(req);
    const auto name = require_string(body, "name");
    const bool extended = optional_bool(body, "extended_statuses", false);
    const auto now = ctx.clock.now();
    auto partner =
        co_await ctx.db.write([&](store::Conn& conn) { return o311::create_partner(conn, name, extended, now); });
    co_return http::json_response(201, {{"api_key", partner.api_key}});
}

}  // namespace

void add_open311_routes(http::Router& router, AppContext& ctx) {
    using Fn = asio::awaitable<Response> (*)(AppContext&, Request&, Format);
    auto both = [&](const char* method, std::string path, std::size_t limit, Fn fn, const char* summary,
                    const MultipartLimits* multipart = nullptr) {
        for (const auto& [ext, format] : {std::pair{".json", Format::json}, std::pair{".xml", Format::xml}}) {
            const Format fmt = format;
            router.add({method, std::string(kPrefix).append(path).append(ext), limit,
                        [&ctx, fn, fmt](Request& req) { return fn(ctx, req, fmt); }, summary, multipart});
        }
    };
    both("GET", "/discovery", 0, discovery, "Open311 service discovery");
    both("GET", "/services", 0, services, "Open311 services: the categories");
    both("GET", "/services/{service_code:str}", 0, service_definition, "Open311 service definition");
    both("GET", "/requests", 0, list_requests, "Open311 service requests (filters, 90-day window, 1000 at most)");
    both("POST", "/requests", http::limits::kMaxUploadBodyBytes, post_request,
         "Open311 POST a service request (partner api_key; form or multipart with media)",
         &MultipartLimits::open311_post());
    both("GET", "/requests/{id:str}", 0, get_request, "Open311 one service request");
    both("GET", "/tokens/{token:str}", 0, get_token, "Open311 service_request_id from a token");
    both("GET", "/servicerequestupdates", 0, list_updates,
         "Open311 service request updates: ticket events (both dates or neither, last 24 h, 1000 at most)");
    both("POST", "/servicerequestupdates", http::limits::kMaxUploadBodyBytes, post_update,
         "Open311 POST a partner's update on its request (api_key; idempotent on update_id)",
         &MultipartLimits::open311_post());
    router.add({"GET", std::string(kPrefix) + "/media/{id:int}", 0,
                [&ctx](Request& req) { return get_media(ctx, req); }, "Open311 public photo of an accepted request"});
    router.set_error_renderer(std::string(kPrefix) + "/", open311::render_error);
    router.add({"POST", "/api/v1/admin/open311-keys", http::limits::kMaxJsonBodyBytes,
                [&ctx](Request& req) { return create_key(ctx, req); },
                "Issue an Open311 api_key to a partner (admin)"});
}

}  // namespace civic::api
