#pragma once
// JSON shapes of the API's objects (API.md), in one place.
#include "server/store/accounts_repo.hpp"
#include "server/store/city_repo.hpp"

#include <nlohmann/json.hpp>

namespace civic::api {

nlohmann::json user_view(const store::UserRow& user);
nlohmann::json grid_view(const store::GridRow& grid);
nlohmann::json category_view(const store::CategoryRow& category);
nlohmann::json reward_view(const store::RewardRow& reward);

}  // namespace civic::api
