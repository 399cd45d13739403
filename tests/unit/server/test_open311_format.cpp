// The XML writer and the GeoReport renderings (API.md §10): escaping of user text, invalid UTF-8
// and control characters, the Spark-convention mapping, the error format, status mapping and the
// date window. XML output is also read back with libxml2 to prove it is well-formed.
#include "common/errors.hpp"
#include "server/api/open311_format.hpp"
#include "server/api/xml_writer.hpp"
#include "server/domain/open311.hpp"

#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <memory>
#include <set>
#include <vector>

namespace {

using civic::open311::Doc;
using civic::open311::Format;
namespace xml = civic::xml;
namespace o311 = civic::domain::open311;

// The text content of the document's root element's first child named `name`, parsed by libxml2.
std::string parsed_child_text(const std::string& document, const char* name) {
    std::unique_ptr<xmlDoc, void (*)(xmlDocPtr)> doc(
        xmlReadMemory(document.data(), static_cast<int>(document.size()), "t.xml", nullptr,
                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING),
        xmlFreeDoc);
    if (!doc) return "<<not well-formed>>";
    for (auto* n = xmlDocGetRootElement(doc.get())->children; n; n = n->next) {
        if (n->type != XML_ELEMENT_NODE || std::string(reinterpret_cast<const char*>(n->name)) != name) continue;
        std::unique_ptr<xmlChar, void (*)(void*)> text(xmlNodeGetContent(n), xmlFree);
        return text ? reinterpret_cast<const char*>(text.get()) : "";
    }
    return "<<missing>>";
}

std::string header_of(const civic::http::Response& r, const std::string& name) {
    for (const auto& [n, v] : r.headers)
        if (n == name) return v;
    return "<<missing>>";
}

TEST(XmlEscape, MarkupCharactersAreEscapedAndChineseIsKept) {
    EXPECT_EQ(xml::escape(R"(a<b>&"c"'d')"), "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;");
    EXPECT_EQ(xml::escape("井盖缺失 🚧"), "井盖缺失 🚧");
    EXPECT_EQ(xml::escape("]]>"), "]]&gt;");
    EXPECT_EQ(xml::escape("line1\nline2\tend"), "line1\nline2\tend");
    EXPECT_EQ(xml::escape("a\r\nb"), "a&#13;\nb");
}

TEST(XmlEscape, InvalidUtf8AndForbiddenCodePointsBecomeReplacementCharacters) {
    const std::string fffd = "\xEF\xBF\xBD";
    EXPECT_EQ(xml::escape(std::string("a\x01"
                                      "b",
                                      3)),
              "a" + fffd + "b");
    EXPECT_EQ(xml::escape(std::string("\0", 1)), fffd);
    EXPECT_EQ(xml::escape("\x0b\x0c\x1f"), fffd + fffd + fffd);
    EXPECT_EQ(xml::escape("x\xff"), "x" + fffd);                 // not UTF-8 at all
    EXPECT_EQ(xml::escape("\xC0\xAF"), fffd + fffd);             // overlong '/'
    EXPECT_EQ(xml::escape("\xED\xA0\x80"), fffd + fffd + fffd);  // a UTF-16 surrogate
    EXPECT_EQ(xml::escape("\xEF\xBF\xBE"), fffd);                // U+FFFE
    EXPECT_EQ(xml::escape("\xE4\xBA"), fffd + fffd);             // truncated 亚
    EXPECT_EQ(xml::escape("\x7f"), "\x7f");                      // DEL is a Char in XML 1.0
}

TEST(XmlWriter, NestsClosesAndRefusesBadNamesOrUnclosedElements) {
    xml::Writer w;
    w.open("services");
    w.open("service");
    w.element("service_name", "Pipes & <drains>");
    w.empty("group");
    w.close();
    w.close();
    EXPECT_EQ(w.finish(),
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<services><service><service_name>Pipes &amp; "
              "&lt;drains&gt;</service_name><group/></service></services>\n");
    xml::Writer bad;
    EXPECT_THROW(bad.open("a b"), std::invalid_argument);
    EXPECT_THROW(bad.element("1x", ""), std::invalid_argument);
    EXPECT_THROW(bad.empty("xmlfoo"), std::invalid_argument);
    EXPECT_THROW(bad.close(), std::logic_error);
    bad.open("a");
    EXPECT_THROW(bad.finish(), std::logic_error);
}

TEST(Open311Format, SparkConventionMapsArraysObjectsAndNulls) {
    Doc service;
    service["service_code"] = "t.1";
    service["service_name"] = R"(Name <with> & "quotes" 和中文)";
    service["metadata"] = false;
    service["keywords"] = nullptr;
    service["lat"] = 23.375;
    const auto out = civic::open311::to_xml("services", Doc::array({service}));
    EXPECT_EQ(out,
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<services><service><service_code>t.1</service_code>"
              "<service_name>Name &lt;with&gt; &amp; &quot;quotes&quot; 和中文</service_name>"
              "<metadata>false</metadata><keywords/><lat>23.375</lat></service></services>\n");
    // A real parser reads the name back exactly.
    const auto doc = civic::open311::to_xml("service", service);
    EXPECT_EQ(parsed_child_text(doc, "service_name"), R"(Name <with> & "quotes" 和中文)");
    // Control characters cannot break the document.
    Doc nasty;
    nasty["description"] = std::string("bell\x07 and CR\r here", 18);
    EXPECT_EQ(parsed_child_text(civic::open311::to_xml("request", nasty), "description"),
              "bell\xEF\xBF\xBD and CR\r here");
}

TEST(Open311Format, RendersBothContentTypes) {
    const auto j = civic::open311::render(Format::json, "services", Doc::array());
    EXPECT_EQ(j.body, "[]");
    EXPECT_EQ(j.content_type, "application/json; charset=utf-8");
    const auto x = civic::open311::render(Format::xml, "services", Doc::array());
    EXPECT_EQ(x.content_type, "text/xml; charset=utf-8");
    EXPECT_EQ(x.body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<services></services>\n");
}

TEST(Open311Format, ErrorsKeep403And404AndTransportStatusesAndTurnOtherClientErrorsInto400) {
    civic::http::Request req;
    req.path = "/open311/v2/requests.json";
    auto r = civic::open311::render_error(civic::ApiError::not_found("service_code not found"), req);
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.body, R"([{"code":404,"description":"service_code not found"}])");
    r = civic::open311::render_error(civic::ApiError::unauthorized(), req);
    EXPECT_EQ(r.status, 403);
    r = civic::open311::render_error(civic::ApiError::unsupported_media_type("not a photo"), req);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.body, R"([{"code":415,"description":"not a photo"}])");
    r = civic::open311::render_error(civic::ApiError::unavailable(5), req);
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(header_of(r, "Retry-After"), "5");
    // Statuses clients and proxies act on without reading the body keep their HTTP meaning.
    r = civic::open311::render_error(civic::ApiError::rate_limited(7), req);
    EXPECT_EQ(r.status, 429);
    EXPECT_EQ(header_of(r, "Retry-After"), "7");
    EXPECT_EQ(r.body, R"([{"code":429,"description":"too many requests"}])");
    r = civic::open311::render_error(civic::ApiError::payload_too_large("too big"), req);
    EXPECT_EQ(r.status, 413);
    r = civic::open311::render_error(civic::ApiError(414, "bad_request", "target too long"), req);
    EXPECT_EQ(r.status, 414);
    r = civic::open311::render_error(civic::ApiError(431, "bad_request", "headers too large"), req);
    EXPECT_EQ(r.status, 431);
    r = civic::open311::render_error(civic::ApiError::method_not_allowed(), req);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.body, R"([{"code":405,"description":"method not allowed on this path"}])");
    req.path = "/open311/v2/requests.xml";
    r = civic::open311::render_error(civic::ApiError::forbidden("api_key is missing"), req);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(r.body,
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<errors><error><code>403</code><description>api_key is "
              "missing</description></error></errors>\n");
    // A path without an extension gets GeoReport's default format, XML.
    req.path = "/open311/v2/requests";
    r = civic::open311::render_error(civic::ApiError::not_found("no such path"), req);
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.content_type, "text/xml; charset=utf-8");
    EXPECT_TRUE(r.body.find("<errors><error><code>404</code>") != std::string::npos) << r.body;
}

TEST(Open311Format, UpdatesAreRequestUpdateItemsInXml) {
    Doc d;
    d["update_id"] = "7";
    d["media_url"] = nullptr;
    EXPECT_EQ(civic::open311::to_xml("service_request_updates", Doc::array({d})),
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<service_request_updates><request_update><update_id>7"
              "</update_id><media_url/></request_update></service_request_updates>\n");
}

TEST(Open311Domain, StatusMappingAndNotes) {
    for (const char* s : {"submitted", "accepted", "assigned", "in_progress", "resolved"})
        EXPECT_EQ(o311::open311_status(s), "open") << s;
    for (const char* s : {"closed", "rejected", "duplicate"}) EXPECT_EQ(o311::open311_status(s), "closed") << s;
    EXPECT_EQ(o311::status_notes("duplicate", 7), "Duplicate of another request (7).");
    EXPECT_FALSE(o311::status_notes("rejected", std::nullopt).empty());
    EXPECT_FALSE(o311::photo_is_public("submitted"));
    EXPECT_FALSE(o311::photo_is_public("rejected"));
    EXPECT_FALSE(o311::photo_is_public("duplicate"));
    EXPECT_TRUE(o311::photo_is_public("accepted"));
    EXPECT_TRUE(o311::photo_is_public("closed"));
}

TEST(Open311Domain, ExtendedStatusOfEveryTicketStatus) {
    const std::vector<std::pair<const char*, const char*>> expected = {
        {"submitted", "OPEN"},
        {"accepted", "ACTION_SCHEDULED"},
        {"assigned", "ACTION_SCHEDULED"},
        {"in_progress", "IN_PROGRESS"},
        {"resolved", "IN_PROGRESS"},
        {"closed", "FIXED"},
        {"rejected", "NO_FURTHER_ACTION"},
        {"duplicate", "DUPLICATE"},
        {"checking", "INVESTIGATING"},
        {"parked", "ACTION_SCHEDULED"},
        {"voided", "CLOSED"},
    };
    for (const auto& [status, extended] : expected) {
        EXPECT_EQ(o311::extended_status(status), extended) << status;
        EXPECT_EQ(o311::status_for(status, true), extended) << status;
        EXPECT_EQ(o311::status_for(status, false), o311::open311_status(status)) << status;
    }
    // Rejected and duplicate tickets are closed for GeoReport but never FIXED for FixMyStreet.
    EXPECT_NE(o311::extended_status("rejected"), o311::extended_status("closed"));
    EXPECT_NE(o311::extended_status("duplicate"), o311::extended_status("closed"));
}

TEST(Open311Domain, PartnerUpdateStatusesAndUpdateDescriptions) {
    for (const char* s : {"OPEN", "CLOSED", "FIXED", "IN_PROGRESS", "ACTION_SCHEDULED", "INVESTIGATING", "DUPLICATE",
                          "NOT_COUNCILS_RESPONSIBILITY", "NO_FURTHER_ACTION", "INTERNAL_REFERRAL", "FOR_TRIAGE",
                          "CANCELLED", "REOPEN", "closed", "In_Progress"})
        EXPECT_TRUE(o311::is_partner_update_status(s)) << s;
    for (const char* s : {"", "DONE", "open ", "FIXED;", "IN PROGRESS"})
        EXPECT_FALSE(o311::is_partner_update_status(s)) << s;
    std::set<std::string> sentences;
    for (const char* a : {"submit", "accept", "reject", "assign", "start", "return", "resolve", "verify", "rework",
                          "extend", "set_grid", "set_category", "rate", "comment"})
        sentences.insert(o311::update_description(a, std::nullopt));
    EXPECT_EQ(sentences.size(), 14u) << "one sentence per action";
    EXPECT_EQ(o311::update_description("mark_duplicate", 12), "Duplicate of another request (12).");
    // The actions that only move a ticket say what its new status says.
    for (const auto& [action, status] : std::vector<std::pair<const char*, const char*>>{{"submit", "submitted"},
                                                                                         {"reject", "rejected"},
                                                                                         {"assign", "assigned"},
                                                                                         {"start", "in_progress"},
                                                                                         {"resolve", "resolved"},
                                                                                         {"verify", "closed"}})
        EXPECT_EQ(o311::update_description(action, std::nullopt), o311::status_notes(status, std::nullopt)) << action;
    EXPECT_FALSE(o311::update_description("some_future_action", std::nullopt).empty());
}

TEST(Open311Domain, UpdatesWindow) {
    constexpr std::int64_t day = 86400, now = 1'000'000'000;
    auto w = o311::updates_window(std::nullopt, std::nullopt, now);
    EXPECT_EQ(w.from, now - day);
    EXPECT_EQ(w.to, now);
    w = o311::updates_window(now - 5 * day, now - day, now);
    EXPECT_EQ(w.from, now - 5 * day);
    EXPECT_EQ(w.to, now - day);
    EXPECT_THROW(o311::updates_window(now, std::nullopt, now), civic::ApiError);
    EXPECT_THROW(o311::updates_window(std::nullopt, now, now), civic::ApiError);
    EXPECT_THROW(o311::updates_window(now, now - 1, now), civic::ApiError);
    EXPECT_THROW(o311::updates_window(now - 91 * day, now, now), civic::ApiError);
}

TEST(Open311Domain, RequestWindow) {
    constexpr std::int64_t day = 86400, now = 1'000'000'000;
    auto w = o311::request_window(std::nullopt, std::nullopt, now);
    EXPECT_EQ(w.from, now - 90 * day);
    EXPECT_EQ(w.to, now);
    w = o311::request_window(now, std::nullopt, now);
    EXPECT_EQ(w.to, now + 90 * day);
    w = o311::request_window(std::nullopt, now, now);
    EXPECT_EQ(w.from, now - 90 * day);
    w = o311::request_window(now - 90 * day, now, now);
    EXPECT_EQ(w.from, now - 90 * day);
    EXPECT_THROW(o311::request_window(now - 90 * day - 1, now, now), civic::ApiError);
    EXPECT_THROW(o311::request_window(now, now - 1, now), civic::ApiError);
}

}  // namespace
