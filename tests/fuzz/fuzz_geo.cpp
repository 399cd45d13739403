// Fuzzes GeoJSON grid-boundary validation (common/geo.*), as POST /api/v1/grids uses it through
// server/domain/city.cpp: the body is parsed by the hardened JSON parser, the "boundary" value
// goes to geo::parse_area, and the stored text (jsonutil::dump) is later re-parsed with
// nlohmann::json::parse and parse_area again to route points. Input: the boundary JSON text.
//
// Properties beyond "no crash, no UB":
//  - parse_area returns a shape xor an error message;
//  - accepted → 1..kMaxPolygons polygons, at most kMaxPositions positions, every ring closed
//    with at least 4 valid positions;
//  - accepted → to_geojson round-trips to the identical shape, and the stored text re-parses
//    (as route_point does) to the identical shape;
//  - accepted → bbox holds every position, every outer vertex of a hole-free polygon is
//    contained (boundaries belong to the area), area and distances are finite, box_around
//    holds its centre.
#include "common/geo.hpp"
#include "common/json.hpp"
#include "fuzz_support.hpp"

#include <cmath>

using namespace civic;

namespace {

bool same(const geo::MultiPolygon& a, const geo::MultiPolygon& b) {
    if (a.polygons.size() != b.polygons.size()) return false;
    for (std::size_t p = 0; p < a.polygons.size(); ++p) {
        const auto& ra = a.polygons[p].rings;
        const auto& rb = b.polygons[p].rings;
        if (ra.size() != rb.size()) return false;
        for (std::size_t r = 0; r < ra.size(); ++r) {
            if (ra[r].size() != rb[r].size()) return false;
            for (std::size_t i = 0; i < ra[r].size(); ++i)
                if (ra[r][i].lon != rb[r][i].lon || ra[r][i].lat != rb[r][i].lat) return false;
        }
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto json = jsonutil::parse(text);
    if (!json) return 0;

    const auto result = geo::parse_area(*json);
    FUZZ_CHECK(result.shape.has_value() == result.error.empty());
    if (!result.shape) return 0;
    const auto& area = *result.shape;

    FUZZ_CHECK(!area.polygons.empty() && area.polygons.size() <= geo::kMaxPolygons);
    std::size_t positions = 0;
    const auto box = geo::bbox(area);
    for (const auto& poly : area.polygons) {
        FUZZ_CHECK(!poly.rings.empty());
        for (const auto& ring : poly.rings) {
            FUZZ_CHECK(ring.size() >= 4);
            FUZZ_CHECK(ring.front().lon == ring.back().lon && ring.front().lat == ring.back().lat);
            positions += ring.size();
            for (const auto& p : ring) {
                FUZZ_CHECK(geo::valid_point(p));
                FUZZ_CHECK(p.lon >= box.min_lon && p.lon <= box.max_lon && p.lat >= box.min_lat &&
                           p.lat <= box.max_lat);
            }
        }
        if (poly.rings.size() == 1)
            for (const auto& p : poly.rings[0]) FUZZ_CHECK(geo::contains(area, p));
    }
    FUZZ_CHECK(positions <= geo::kMaxPositions);

    const auto again = geo::parse_area(geo::to_geojson(area));
    FUZZ_CHECK(again.shape && same(*again.shape, area));
    const auto stored = geo::parse_area(nlohmann::json::parse(jsonutil::dump(*json)));
    FUZZ_CHECK(stored.shape && same(*stored.shape, area));

    FUZZ_CHECK(std::isfinite(geo::area_m2(area)));
    const geo::Point a = area.polygons.front().rings.front().front();
    const geo::Point b{box.max_lon, box.max_lat};
    const double d = geo::distance_m(a, b);
    FUZZ_CHECK(std::isfinite(d) && d >= 0 && d <= M_PI * geo::kEarthRadiusM * 1.000001);
    FUZZ_CHECK(geo::distance_m(a, a) == 0);
    const auto around = geo::box_around(a, d);
    FUZZ_CHECK(a.lon >= around.min_lon && a.lon <= around.max_lon && a.lat >= around.min_lat &&
               a.lat <= around.max_lat);
    return 0;
}
