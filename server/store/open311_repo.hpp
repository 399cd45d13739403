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
};

std::int64_t insert_partner(Conn& conn, std::string_view name, std::string_view key_hash, std::int64_t user_id,
                            std::int64_t now);
std::optional<PartnerRow> find_partner_by_key_hash(Conn& conn, std::string_view key_hash);
bool is_partner_user(Conn& conn, std::int64_t user_id);

void insert_media_url(Conn& conn, std::int64_t report_id, std::string_view url);
std::optional<std::string> find_media_url(Conn& conn, std::int64_t report_id);

// The first photo a report was submitted with, if any.
std::optional<std::int64_t> first_report_photo_id(Conn& conn, std::int64_t report_id);

struct RequestFilter {
    std::int64_t from = 0, to = 0;           // created_at within [from, to]
    std::vector<std::string> categories;     // empty: all
    std::optional<bool> closed;              // true: closed/rejected/duplicate; false: the others
    int limit = 1000;
};
// Grid id → name, for agency_responsible.
std::map<std::int64_t, std::string> grid_names(Conn& conn);

// Ids of matching reports, newest first.
std::vector<std::int64_t> list_request_ids(Conn& conn, const RequestFilter& filter);

}  // namespace civic::store
