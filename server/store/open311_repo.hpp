#pragma once
// The SQL behind Open311 (API.md §10): partners and their keys, partner media URLs, and the
// request listing with GeoReport's filters.
#include "server/store/conn.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace civic::store {

struct PartnerRow {
    std::int64_t id = 0;
    std::string name;
    std::int64_t user_id = 0;
    bool extended_statuses = false;  // FixMyStreet's extended statuses for this key
};

std::int64_t insert_partner(Conn& conn, std::string_view name, std::string_view key_hash, std::int64_t user_id,
                            bool extended_statuses, std::int64_t now);
std::optional<PartnerRow> find_partner_by_key_hash(Conn& conn, std::string_view key_hash);
bool is_partner_user(Conn& conn, std::int64_t user_id);

// A partner's media URLs of a request, kept in the order sent (position 0..5).
void insert_media_url(Conn& conn, std::int64_t report_id, int position, std::string_view url);
// The first one, which GeoReport's single media_url shows.
std::optional<std::string> find_media_url(Conn& conn, std::int64_t report_id);
std::vector<std::string> list_media_urls(Conn& conn, std::int64_t report_id);

// The partner's address_id of a request placed by address.
void insert_address_id(Conn& conn, std::int64_t report_id, std::string_view address_id);
std::optional<std::string> find_address_id(Conn& conn, std::int64_t report_id);

// POST servicerequestupdates: the event a partner's update_id became, if it was posted before.
std::optional<std::int64_t> find_partner_update(Conn& conn, std::int64_t partner_id, std::string_view update_id);
// False (nothing inserted) when the partner's update id is taken: the claim of an update id (a
// concurrent insert of the same id makes this one wait for its commit, then find it taken).
bool insert_partner_update(Conn& conn, std::int64_t partner_id, std::string_view update_id, std::int64_t event_id);

// GET servicerequestupdates: ticket events in [from, to], the `limit` newest, answered oldest
// first, with what their public description needs.
struct UpdateRow {
    std::int64_t event_id = 0;
    std::int64_t report_id = 0;
    std::int64_t at = 0;
    std::string action;
    std::string to_status;
    std::optional<std::int64_t> duplicate_of;  // the ticket's, for a mark_duplicate event
};
std::vector<UpdateRow> list_updates(Conn& conn, std::int64_t from, std::int64_t to, int limit);

// The first photo a report was submitted with, if any.
std::optional<std::int64_t> first_report_photo_id(Conn& conn, std::int64_t report_id);

struct RequestFilter {
    std::int64_t from = 0, to = 0;        // created_at within [from, to]
    std::vector<std::string> categories;  // empty: all
    std::optional<bool> closed;           // true: closed/rejected/duplicate; false: the others
    int limit = 1000;
};
// Grid id → name, for agency_responsible.
std::map<std::int64_t, std::string> grid_names(Conn& conn);

// Ids of matching reports, newest first.
std::vector<std::int64_t> list_request_ids(Conn& conn, const RequestFilter& filter);

}  // namespace civic::store
