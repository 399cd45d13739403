#pragma once
// Rows that the store tests of both engines insert by hand before migrating further, in SQL both
// accept: a resident (id 1), a category 'c', and that resident's submitted report `report_id`
// at (103.3, 23.3) created at `created_at`.
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

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

// Category codes that exercise store::category_point_key and its SQL twins (schema/023): one
// character, every character class of ^[a-z0-9_.-]{1,64}$, and the longest code allowed.
inline const std::vector<std::string>& varied_category_codes() {
    static const std::vector<std::string> codes{"a", "road.pothole-2", "t_manhole", "0.9-_", std::string(64, 'z')};
    return codes;
}

// The open point of report `id` at (103.3, 23.3) and time `point_time`, in 022's layout.
inline std::string open_point_sql(std::int64_t id, double point_time) {
    char t[32];
    std::snprintf(t, sizeof t, "%.17g", point_time);  // every digit: std::to_string keeps six decimals
    return "INSERT INTO open_report_points (id, min_lon, max_lon, min_lat, max_lat, min_created, max_created) "
           "VALUES (" +
           std::to_string(id) + ", 103.3, 103.3, 23.3, 23.3, " + t + ", " + t + ");";
}

// After one_open_report_sql: for each varied code i, its category and the resident's report
// 100 + i of it, at the same place and time, with its open point in 022's layout.
inline std::string varied_category_reports_sql(std::int64_t created_at, double point_time) {
    std::string sql;
    const auto& codes = varied_category_codes();
    for (std::size_t i = 0; i < codes.size(); ++i) {
        const auto id = static_cast<std::int64_t>(100 + i);
        sql +=
            "INSERT INTO categories (code, name, sla_hours, points_on_accept, points_on_close, created_at) "
            "VALUES ('" +
            codes[i] +
            "', 'n', 1, 0, 0, 0);"
            "INSERT INTO reports (id, status, category, description, lat, lon, reporter_id, created_at, "
            "updated_at) VALUES (" +
            std::to_string(id) + ", 'submitted', '" + codes[i] + "', 'd', 23.3, 103.3, 1, " +
            std::to_string(created_at) + ", 0);" + open_point_sql(id, point_time);
    }
    return sql;
}

}  // namespace civic::test
