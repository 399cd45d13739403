#pragma once
// The demo city (Mengzi): grids, categories, staff, residents, a kiosk and a reward catalogue,
// loaded into an empty database by --demo.
#include "server/store/conn.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace civic::domain {

std::string_view demo_city_json();

struct DemoAccount {
    std::string role, phone, password, display_name;
};
struct DemoSummary {
    bool loaded_now = false;  // false: the database already held the demo city
    std::vector<DemoAccount> accounts;
    std::string kiosk_key_id, kiosk_secret;
};

// Loads the demo city if the database has no grids yet; either way returns the accounts (and
// the kiosk's credentials, unsealed with the master key) to print.
DemoSummary load_demo_city(store::Conn& conn, std::string_view master_key, std::int64_t now);

}  // namespace civic::domain
