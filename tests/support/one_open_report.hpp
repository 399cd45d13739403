#pragma once
// Rows that the store tests of both engines insert by hand before migrating further, in SQL both
// accept: a resident (id 1), a category 'c', and that resident's submitted report `report_id`
// at (103.3, 23.3) created at `created_at`.
#include <cstdint>
#include <string>

namespace civic::test {

inline std::string one_open_report_sql(std::int64_t report_id, std::int64_t created_at) {
    return "INSERT INTO users (id, phone, password_hash, display_name, role, created_at) "
           "VALUES (1, '13900000001', '!', 'R', 'resident', 0);"
           "INSERT INTO categories (code, name, sla_hours, points_on_accept, points_on_close, created_at) "
           "VALUES ('c', 'c', 1, 0, 0, 0);"
           "INSERT INTO reports (id, status, category, description, lat, lon, reporter_id, created_at, updated_at) "
           "VALUES (" +
           std::to_string(report_id) + ", 'submitted', 'c', 'd', 23.3, 103.3, 1, " + std::to_string(created_at) +
           ", 0);";
}

}  // namespace civic::test
