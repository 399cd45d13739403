#include "common/geo.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace civic::geo {
namespace {

using nlohmann::json;

constexpr double kDegToRad = std::numbers::pi / 180.0;

std::string fmt(double v) {
    json j = v;
    return j.dump();
}

// Shared validation state: the positions budget spans the whole geometry.
struct Parser {
    std::size_t positions = 0;
    std::string error;

    bool fail(std::string msg) {
        error = std::move(msg);
        return false;
    }

    bool position(const json& j, const std::string& path, Point& out) {
        if (!j.is_array() || (j.size() != 2 && j.size() != 3)) {
            return fail(path + ": a position must be an array of 2 or 3 numbers");
        }
        for (const auto& n : j) {
            if (!n.is_number() || !std::isfinite(n.get<double>())) {
                return fail(path + ": a position must be an array of 2 or 3 numbers");
            }
        }
        out.lon = j[0].get<double>();
        out.lat = j[1].get<double>();
        if (out.lon < -180.0 || out.lon > 180.0) {
            return fail(path + ": longitude " + fmt(out.lon) + " is outside [-180, 180]");
        }
        if (out.lat < -90.0 || out.lat > 90.0) {
            return fail(path + ": latitude " + fmt(out.lat) + " is outside [-90, 90]");
        }
        return true;
    }

    bool ring(const json& j, const std::string& path, Ring& out) {
        if (!j.is_array()) return fail(path + ": a ring must be an array of positions");
        // Budget first, so a huge array is rejected before any of it is walked.
        positions += j.size();
        if (positions > kMaxPositions) {
            return fail("too many positions: at most " + std::to_string(kMaxPositions) + " in total");
        }
        if (j.size() < 4) {
            return fail(path + ": a ring needs at least 4 positions, got " + std::to_string(j.size()));
        }
        out.reserve(j.size());
        for (std::size_t i = 0; i < j.size(); ++i) {
            Point p;
            if (!position(j[i], path + "[" + std::to_string(i) + "]", p)) return false;
            out.push_back(p);
        }
        if (out.front().lon != out.back().lon || out.front().lat != out.back().lat) {
            return fail(path + ": ring is not closed (first and last positions differ)");
        }
        return true;
    }

    bool polygon(const json& j, const std::string& path, Polygon& out) {
        if (!j.is_array()) return fail(path + ": a polygon must be an array of rings");
        if (j.empty()) return fail(path + ": polygon has no rings");
        out.rings.reserve(j.size());
        for (std::size_t i = 0; i < j.size(); ++i) {
            Ring r;
            if (!ring(j[i], path + "[" + std::to_string(i) + "]", r)) return false;
            out.rings.push_back(std::move(r));
        }
        return true;
    }
};

// Distance test in plain degree space, matching the planar crossing test below.
bool on_segment(Point p, Point a, Point b) {
    double dx = b.lon - a.lon, dy = b.lat - a.lat;
    double len2 = dx * dx + dy * dy;
    double t = len2 > 0 ? ((p.lon - a.lon) * dx + (p.lat - a.lat) * dy) / len2 : 0.0;
    t = std::clamp(t, 0.0, 1.0);
    double ex = a.lon + t * dx - p.lon, ey = a.lat + t * dy - p.lat;
    return ex * ex + ey * ey <= kBoundaryEpsilonDeg * kBoundaryEpsilonDeg;
}

bool on_boundary(const Ring& r, Point p) {
    for (std::size_t i = 0; i < r.size(); ++i) {
        if (on_segment(p, r[i], r[(i + 1) % r.size()])) return true;
    }
    return false;
}

// Even-odd crossing count of a ray towards +lon. Edges are half-open in latitude so a ray
// through a vertex is counted once. Meaningful only for points not on the boundary.
bool crosses_odd(const Ring& r, Point p) {
    bool inside = false;
    for (std::size_t i = 0; i < r.size(); ++i) {
        Point a = r[i], b = r[(i + 1) % r.size()];
        if ((a.lat > p.lat) != (b.lat > p.lat)) {
            double x = a.lon + (p.lat - a.lat) * (b.lon - a.lon) / (b.lat - a.lat);
            if (p.lon < x) inside = !inside;
        }
    }
    return inside;
}

bool polygon_contains(const Polygon& poly, Point p) {
    if (poly.rings.empty() || poly.rings[0].empty()) return false;
    const Ring& outer = poly.rings[0];
    if (on_boundary(outer, p)) return true;
    if (!crosses_odd(outer, p)) return false;
    for (std::size_t h = 1; h < poly.rings.size(); ++h) {
        const Ring& hole = poly.rings[h];
        if (hole.empty() || on_boundary(hole, p)) continue;
        if (crosses_odd(hole, p)) return false;
    }
    return true;
}

}  // namespace

bool valid_point(Point p) {
    return std::isfinite(p.lon) && std::isfinite(p.lat) && p.lon >= -180.0 && p.lon <= 180.0 && p.lat >= -90.0 &&
           p.lat <= 90.0;
}

ParseResult parse_area(const nlohmann::json& geometry) {
    if (!geometry.is_object()) return {std::nullopt, "geometry must be a JSON object"};
    auto type_it = geometry.find("type");
    if (type_it == geometry.end() || !type_it->is_string() || (*type_it != "Polygon" && *type_it != "MultiPolygon")) {
        return {std::nullopt, "geometry \"type\" must be \"Polygon\" or \"MultiPolygon\""};
    }
    auto coords_it = geometry.find("coordinates");
    if (coords_it == geometry.end() || !coords_it->is_array()) {
        return {std::nullopt, "geometry \"coordinates\" must be an array"};
    }
    const json& coords = *coords_it;

    Parser parser;
    MultiPolygon shape;
    if (*type_it == "Polygon") {
        Polygon poly;
        if (!parser.polygon(coords, "coordinates", poly)) return {std::nullopt, parser.error};
        shape.polygons.push_back(std::move(poly));
    } else {
        if (coords.empty()) return {std::nullopt, "coordinates: MultiPolygon has no polygons"};
        if (coords.size() > kMaxPolygons) {
            return {std::nullopt, "too many polygons: at most " + std::to_string(kMaxPolygons)};
        }
        shape.polygons.reserve(coords.size());
        for (std::size_t i = 0; i < coords.size(); ++i) {
            Polygon poly;
            if (!parser.polygon(coords[i], "coordinates[" + std::to_string(i) + "]", poly)) {
                return {std::nullopt, parser.error};
            }
            shape.polygons.push_back(std::move(poly));
        }
    }
    return {std::move(shape), {}};
}

nlohmann::json to_geojson(const MultiPolygon& area) {
    json polygons = json::array();
    for (const auto& poly : area.polygons) {
        json rings = json::array();
        for (const auto& ring : poly.rings) {
            json positions = json::array();
            for (const auto& p : ring) positions.push_back(json::array({p.lon, p.lat}));
            rings.push_back(std::move(positions));
        }
        polygons.push_back(std::move(rings));
    }
    return json{{"type", "MultiPolygon"}, {"coordinates", std::move(polygons)}};
}

bool contains(const MultiPolygon& area, Point p) {
    if (!std::isfinite(p.lon) || !std::isfinite(p.lat)) return false;
    return std::any_of(area.polygons.begin(), area.polygons.end(),
                       [&](const Polygon& poly) { return polygon_contains(poly, p); });
}

BBox bbox(const MultiPolygon& area) {
    BBox box{0, 0, 0, 0};
    bool first = true;
    for (const auto& poly : area.polygons) {
        for (const auto& ring : poly.rings) {
            for (const auto& p : ring) {
                if (first) {
                    box = {p.lon, p.lat, p.lon, p.lat};
                    first = false;
                } else {
                    box.min_lon = std::min(box.min_lon, p.lon);
                    box.min_lat = std::min(box.min_lat, p.lat);
                    box.max_lon = std::max(box.max_lon, p.lon);
                    box.max_lat = std::max(box.max_lat, p.lat);
                }
            }
        }
    }
    return box;
}

double area_m2(const MultiPolygon& area) {
    double lat_sum = 0;
    std::size_t n = 0;
    for (const auto& poly : area.polygons) {
        for (const auto& ring : poly.rings) {
            for (const auto& p : ring) {
                lat_sum += p.lat;
                ++n;
            }
        }
    }
    if (n == 0) return 0.0;
    const double lat0 = lat_sum / static_cast<double>(n);
    const double kx = kEarthRadiusM * kDegToRad * std::cos(lat0 * kDegToRad);
    const double ky = kEarthRadiusM * kDegToRad;
    // Coordinates relative to a nearby origin keep the shoelace products small, avoiding
    // cancellation between large absolute longitudes.
    const BBox box = bbox(area);
    const double lon_ref = box.min_lon, lat_ref = box.min_lat;

    auto ring_area = [&](const Ring& r) {
        double twice = 0;
        for (std::size_t i = 0; i < r.size(); ++i) {
            const Point& a = r[i];
            const Point& b = r[(i + 1) % r.size()];
            double ax = (a.lon - lon_ref) * kx, ay = (a.lat - lat_ref) * ky;
            double bx = (b.lon - lon_ref) * kx, by = (b.lat - lat_ref) * ky;
            twice += ax * by - bx * ay;
        }
        return std::abs(twice) / 2.0;
    };

    double total = 0;
    for (const auto& poly : area.polygons) {
        if (poly.rings.empty()) continue;
        double a = ring_area(poly.rings[0]);
        for (std::size_t h = 1; h < poly.rings.size(); ++h) a -= ring_area(poly.rings[h]);
        total += std::max(a, 0.0);
    }
    return total;
}

double distance_m(Point a, Point b) {
    double phi1 = a.lat * kDegToRad, phi2 = b.lat * kDegToRad;
    double dphi = (b.lat - a.lat) * kDegToRad;
    double dlambda = (b.lon - a.lon) * kDegToRad;
    double s1 = std::sin(dphi / 2), s2 = std::sin(dlambda / 2);
    double h = s1 * s1 + std::cos(phi1) * std::cos(phi2) * s2 * s2;
    h = std::clamp(h, 0.0, 1.0);  // rounding can push antipodal pairs just past 1
    return 2.0 * kEarthRadiusM * std::asin(std::sqrt(h));
}

BBox box_around(Point center, double radius_m) {
    constexpr double kRelMargin = 1e-9;  // absorbs rounding so the box errs on the large side
    constexpr double kAbsMarginDeg = 1e-9;
    const BBox world{-180.0, -90.0, 180.0, 90.0};
    if (!(radius_m > 0)) radius_m = 0;
    const double ang = radius_m / kEarthRadiusM;  // central angle, radians
    if (ang >= std::numbers::pi) return world;

    const double dlat = ang / kDegToRad * (1 + kRelMargin) + kAbsMarginDeg;
    BBox box{center.lon, center.lat - dlat, center.lon, center.lat + dlat};
    bool all_lons = box.min_lat <= -90.0 || box.max_lat >= 90.0;  // the cap holds a pole
    if (!all_lons) {
        // Widest longitude reach of a spherical cap: asin(sin(r) / cos(lat)).
        const double s = std::sin(ang) / std::cos(center.lat * kDegToRad);
        if (s >= 1.0) {
            all_lons = true;
        } else {
            const double dlon = std::asin(s) / kDegToRad * (1 + kRelMargin) + kAbsMarginDeg;
            box.min_lon = center.lon - dlon;
            box.max_lon = center.lon + dlon;
            if (box.min_lon < -180.0 || box.max_lon > 180.0) all_lons = true;
        }
    }
    if (all_lons) {
        box.min_lon = -180.0;
        box.max_lon = 180.0;
    }
    box.min_lat = std::max(box.min_lat, -90.0);
    box.max_lat = std::min(box.max_lat, 90.0);
    return box;
}

}  // namespace civic::geo
