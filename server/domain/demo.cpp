#include "server/domain/demo.hpp"

#include "common/crypto.hpp"
#include "common/seal.hpp"
#include "server/domain/accounts.hpp"
#include "server/domain/city.hpp"
#include "server/domain/kiosks.hpp"
#include "server/store/kiosk_repo.hpp"

#include <nlohmann/json.hpp>

namespace civic::domain {

using nlohmann::json;

DemoSummary load_demo_city(store::Conn& conn, std::string_view master_key, std::int64_t now) {
    const auto city = json::parse(demo_city_json());
    DemoSummary summary;
    for (const auto& u : city.at("users"))
        summary.accounts.push_back({u.at("role"), u.at("phone"), u.at("password"), u.at("display_name")});

    const bool empty = store::list_grids(conn).empty();
    if (empty) {
        store::in_transaction(conn, [&] {
            for (const auto& g : city.at("grids")) {
                create_grid(conn, {g.at("code"), g.at("name"), g.at("boundary"), g.value("auto_assign", true)}, now);
            }
            for (const auto& c : city.at("categories")) {
                create_category(conn, {c.at("code"), c.at("name"), c.at("sla_hours"), c.at("points_on_accept"),
                                       c.at("points_on_close")},
                                now);
            }
            for (const auto& u : city.at("users")) {
                if (store::find_user_by_phone(conn, u.at("phone").get<std::string>())) continue;  // bootstrap admin
                store::UserRow row;
                row.phone = u.at("phone");
                row.password_hash = crypto::hash_password(u.at("password").get<std::string>());
                row.display_name = u.at("display_name");
                row.role = u.at("role");
                for (const auto& code : u.value("grid_ids", json::array()))
                    row.grid_ids.push_back(store::find_grid_id_by_code(conn, code.get<std::string>()).value());
                create_user(conn, std::move(row), now);
            }
            for (const auto& k : city.at("kiosks"))
                create_kiosk(conn, master_key, k.at("name").get<std::string>(), k.at("store").get<std::string>(), now);
            for (const auto& r : city.at("rewards"))
                store::insert_reward(conn, {r.at("sku"), r.at("name"), r.at("points_cost"), r.at("stock"), r.at("kind")},
                                     now);
        });
        summary.loaded_now = true;
    }
    if (const auto kiosk = store::first_kiosk(conn)) {
        summary.kiosk_key_id = kiosk->key_id;
        summary.kiosk_secret = seal::decrypt(master_key, kiosk->secret_enc).value_or("(sealed under another key)");
    }
    return summary;
}

}  // namespace civic::domain
