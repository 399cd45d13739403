#include "server/api/views.hpp"

#include "server/domain/work_time.hpp"

namespace civic::api {

using nlohmann::json;

json user_view(const store::UserRow& u) {
    return {
        {"id", u.id}, {"phone", u.phone}, {"display_name", u.display_name}, {"role", u.role}, {"grid_ids", u.grid_ids}};
}

json grid_view(const store::GridRow& g) {
    return {{"id", g.id},
            {"code", g.code},
            {"name", g.name},
            {"boundary", json::parse(g.boundary_json)},
            {"auto_assign", g.auto_assign},
            {"manager_ids", g.manager_ids},
            {"worker_ids", g.worker_ids}};
}

json category_view(const store::CategoryRow& c) {
    // The time limit under the key of its unit: sla_hours, sla_work_hours or sla_work_days.
    return {{"code", c.code},
            {"name", c.name},
            {domain::sla_key(c.sla_unit), c.sla_hours},
            {"points_on_accept", c.points_on_accept},
            {"points_on_close", c.points_on_close}};
}

json reward_view(const store::RewardRow& r) {
    return {{"sku", r.sku}, {"name", r.name}, {"points_cost", r.points_cost}, {"stock", r.stock}, {"kind", r.kind}};
}

}  // namespace civic::api
