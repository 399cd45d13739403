#include "server/api/report_view.hpp"

#include "common/time.hpp"
#include "server/domain/possible_duplicates.hpp"

namespace civic::api {

using nlohmann::json;

namespace {
json time_or_null(const std::optional<std::int64_t>& t) {
    return t ? json(timefmt::format_rfc3339(*t)) : json(nullptr);
}
template <class T>
json or_null(const std::optional<T>& v) {
    return v ? json(*v) : json(nullptr);
}
}  // namespace

// Objects are filled key by key: nlohmann's initializer-list form first builds a two-element
// array for every pair and then converts, which made report views a fifth of a ticket read.
json photo_view(const store::PhotoRow& p) {
    json view = json::object();
    view["id"] = p.id;
    view["stage"] = p.stage;
    view["sha256"] = p.blob.sha256;
    view["width"] = p.blob.width;
    view["height"] = p.blob.height;
    view["bytes"] = p.blob.bytes;
    view["url"] = "/api/v1/photos/" + std::to_string(p.id);
    return view;
}

json report_view(const store::ReportRow& r, const domain::ReportExtras& x, std::int64_t now, bool staff) {
    json view = json::object();
    view["id"] = r.id;
    view["status"] = r.status;
    view["category"] = r.category;
    view["description"] = r.description;
    // A report placed by address only (Open311) has no position: null, not its 0 placeholders.
    view["lat"] = r.located ? json(r.lat) : json(nullptr);
    view["lon"] = r.located ? json(r.lon) : json(nullptr);
    view["address"] = or_null(r.address);
    view["grid_id"] = or_null(r.grid_id);
    view["assignee_id"] = or_null(r.assignee_id);
    view["reporter_id"] = r.reporter_id;
    view["created_at"] = timefmt::format_rfc3339(r.created_at);
    view["accepted_at"] = time_or_null(r.accepted_at);
    view["deadline_at"] = time_or_null(r.deadline_at);
    view["resolved_at"] = time_or_null(r.resolved_at);
    view["closed_at"] = time_or_null(r.closed_at);
    view["overdue"] = domain::is_overdue(r, now);
    view["deadline_light"] = or_null(domain::deadline_light(r, now, x.work_calendar.get()));
    view["rework_count"] = r.rework_count;
    view["duplicate_of"] = or_null(r.duplicate_of);
    view["rating"] = or_null(r.rating);
    view["points_awarded"] = r.points_awarded;
    view["verified"] = r.verified;
    view["self_handled"] = r.self_handled;
    view["parked_until"] = time_or_null(r.parked_until);
    view["check_deadline_at"] = time_or_null(r.check_deadline_at);
    view["possible_duplicates"] = x.possible_duplicates;
    json& photos = view["photos"] = json::array();
    for (const auto& p : x.photos) photos.push_back(photo_view(p));
    if (staff) {
        view["photo_reused_from"] = x.photo_reused_from;
        view["media_urls"] = x.media_urls;  // links an Open311 partner sent; never fetched
    }
    if (x.events) {
        json& events = view["events"] = json::array();
        for (const auto& e : *x.events) {
            json event = json::object();
            event["at"] = timefmt::format_rfc3339(e.at);
            event["actor_id"] = e.actor_id;
            event["action"] = e.action;
            event["from"] = or_null(e.from_status);
            event["to"] = e.to_status;
            event["note"] = or_null(e.note);
            events.push_back(std::move(event));
        }
    }
    return view;
}

}  // namespace civic::api

namespace civic::api {

namespace {

void write_time_or_null(jsonutil::JsonWriter& out, const std::optional<std::int64_t>& t) {
    if (t)
        out.string(timefmt::format_rfc3339(*t));
    else
        out.null();
}

void write_ids(jsonutil::JsonWriter& out, const std::vector<std::int64_t>& ids) {
    out.begin_array();
    for (const auto id : ids) out.integer(id);
    out.end_array();
}

// Keys in ascending byte order, as nlohmann's std::map writes them.
void write_photo_view(jsonutil::JsonWriter& out, const store::PhotoRow& p) {
    out.begin_object();
    out.key("bytes").integer(p.blob.bytes);
    out.key("height").integer(p.blob.height);
    out.key("id").integer(p.id);
    out.key("sha256").string(p.blob.sha256);
    out.key("stage").string(p.stage);
    out.key("url").string("/api/v1/photos/" + std::to_string(p.id));
    out.key("width").integer(p.blob.width);
    out.end_object();
}

void write_event_view(jsonutil::JsonWriter& out, const store::EventRow& e) {
    out.begin_object();
    out.key("action").string(e.action);
    out.key("actor_id").integer(e.actor_id);
    out.key("at").string(timefmt::format_rfc3339(e.at));
    out.key("from").string_or_null(e.from_status);
    out.key("note").string_or_null(e.note);
    out.key("to").string(e.to_status);
    out.end_object();
}

}  // namespace

void write_report_view(jsonutil::JsonWriter& out, const store::ReportRow& r, const domain::ReportExtras& x,
                       std::int64_t now, bool staff) {
    out.begin_object();
    out.key("accepted_at");
    write_time_or_null(out, r.accepted_at);
    out.key("address").string_or_null(r.address);
    out.key("assignee_id").integer_or_null(r.assignee_id);
    out.key("category").string(r.category);
    out.key("check_deadline_at");
    write_time_or_null(out, r.check_deadline_at);
    out.key("closed_at");
    write_time_or_null(out, r.closed_at);
    out.key("created_at").string(timefmt::format_rfc3339(r.created_at));
    out.key("deadline_at");
    write_time_or_null(out, r.deadline_at);
    out.key("deadline_light").string_or_null(domain::deadline_light(r, now, x.work_calendar.get()));
    out.key("description").string(r.description);
    out.key("duplicate_of").integer_or_null(r.duplicate_of);
    if (x.events) {
        out.key("events").begin_array();
        for (const auto& e : *x.events) write_event_view(out, e);
        out.end_array();
    }
    out.key("grid_id").integer_or_null(r.grid_id);
    out.key("id").integer(r.id);
    // A report placed by address only (Open311) has no position: null, not its 0 placeholders.
    if (r.located) {
        out.key("lat").number(r.lat);
        out.key("lon").number(r.lon);
    } else {
        out.key("lat").null();
        out.key("lon").null();
    }
    if (staff) {
        out.key("media_urls").begin_array();  // links an Open311 partner sent; never fetched
        for (const auto& url : x.media_urls) out.string(url);
        out.end_array();
    }
    out.key("overdue").boolean(domain::is_overdue(r, now));
    out.key("parked_until");
    write_time_or_null(out, r.parked_until);
    if (staff) {
        out.key("photo_reused_from");
        write_ids(out, x.photo_reused_from);
    }
    out.key("photos").begin_array();
    for (const auto& p : x.photos) write_photo_view(out, p);
    out.end_array();
    out.key("points_awarded").integer(r.points_awarded);
    out.key("possible_duplicates");
    write_ids(out, x.possible_duplicates);
    out.key("rating").integer_or_null(r.rating);
    out.key("reporter_id").integer(r.reporter_id);
    out.key("resolved_at");
    write_time_or_null(out, r.resolved_at);
    out.key("rework_count").integer(r.rework_count);
    out.key("self_handled").boolean(r.self_handled);
    out.key("status").string(r.status);
    out.key("verified").boolean(r.verified);
    out.end_object();
}

std::string render_report_view(const store::ReportRow& r, const domain::ReportExtras& x, std::int64_t now, bool staff) {
    std::string body;
    body.reserve(1024);  // a ticket with a few photos and events; grows when it has more
    jsonutil::JsonWriter out(body);
    write_report_view(out, r, x, now, staff);
    return body;
}

domain::DuplicatesLookup duplicates_lookup(domain::PossibleDuplicatesCache* cache) {
    return cache ? cache->lookup() : domain::DuplicatesLookup{};
}

}  // namespace civic::api
