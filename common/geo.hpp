#pragma once
// Service areas (GeoJSON Polygon/MultiPolygon) and the point/distance maths around them.
// Coordinates are WGS84 degrees, [lon, lat]. Shapes crossing the antimeridian are not supported
// (city grids never do): longitudes are treated as a plain planar axis.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace civic::geo {

struct Point {
    double lon = 0, lat = 0;
};
using Ring = std::vector<Point>;
struct Polygon {
    std::vector<Ring> rings;  // rings[0] = outer boundary, the rest holes
};
struct MultiPolygon {
    std::vector<Polygon> polygons;
};
struct BBox {
    double min_lon, min_lat, max_lon, max_lat;
};

inline constexpr double kEarthRadiusM = 6371008.8;
inline constexpr std::size_t kMaxPositions = 10'000;
inline constexpr std::size_t kMaxPolygons = 100;
// Points this close (in degrees, about 0.1 mm) to a ring edge count as on it, so that points
// typed exactly onto a diagonal edge are not lost to floating-point rounding.
inline constexpr double kBoundaryEpsilonDeg = 1e-9;

// Finite, lon in [-180, 180], lat in [-90, 90].
bool valid_point(Point p);

// Parses and validates a GeoJSON geometry of type "Polygon" or "MultiPolygon". A Polygon comes
// back as a one-part MultiPolygon. Checks: object, "type", array shapes, positions of 2 or 3
// numbers (a third, altitude, is ignored), coordinate ranges, rings of >= 4 closed positions, at
// least one ring per polygon and one polygon, at most kMaxPositions positions and kMaxPolygons
// polygons. Not checked: self-intersection, ring orientation, holes lying inside their outer ring.
struct ParseResult {
    std::optional<MultiPolygon> shape;
    std::string error;  // set iff !shape; names the offending coordinates path
};
ParseResult parse_area(const nlohmann::json& geometry);

// GeoJSON "MultiPolygon" geometry for the shape (altitudes are not preserved).
nlohmann::json to_geojson(const MultiPolygon& area);

// Inside some part's outer ring and not strictly inside one of that part's holes. Boundaries
// belong to the area: a point on an outer edge or vertex is inside, and so is a point on a hole's
// edge or vertex (the hole is the open interior of its ring).
bool contains(const MultiPolygon& area, Point p);

// Over every position; all zeros for an empty shape.
BBox bbox(const MultiPolygon& area);

// Approximate area in m²: shoelace after an equirectangular projection around the mean latitude
// of the shape's positions, holes subtracted. Errors grow with the shape's north-south extent;
// fine for ranking city grids.
double area_m2(const MultiPolygon& area);

// Great-circle (haversine) distance in metres.
double distance_m(Point a, Point b);

// A lon/lat box that surely contains every point within radius_m of center (for index range
// queries). Near a pole, or when the circle would cross the antimeridian, the box spans all
// longitudes. Negative or NaN radius counts as 0.
BBox box_around(Point center, double radius_m);

}  // namespace civic::geo
