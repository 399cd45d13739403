#include "common/geo.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <string>

using namespace civic::geo;
using nlohmann::json;

namespace {

constexpr double kDeg = std::numbers::pi / 180.0;

json square(double x0, double y0, double x1, double y1) {
    return json::array({json::array({x0, y0}), json::array({x1, y0}), json::array({x1, y1}), json::array({x0, y1}),
                        json::array({x0, y0})});
}

MultiPolygon must_parse(const json& g) {
    ParseResult r = parse_area(g);
    EXPECT_TRUE(r.shape) << r.error;
    EXPECT_TRUE(r.error.empty());
    return r.shape.value_or(MultiPolygon{});
}

std::string error_of(const json& g) {
    ParseResult r = parse_area(g);
    EXPECT_FALSE(r.shape);
    return r.error;
}

// Unit square with a hole [0.25, 0.75]^2.
MultiPolygon square_with_hole() {
    return must_parse(
        {{"type", "Polygon"}, {"coordinates", json::array({square(0, 0, 1, 1), square(0.25, 0.25, 0.75, 0.75)})}});
}

Point destination(Point from, double bearing_deg, double dist_m) {
    double phi1 = from.lat * kDeg, lam1 = from.lon * kDeg, theta = bearing_deg * kDeg;
    double delta = dist_m / kEarthRadiusM;
    double phi2 = std::asin(std::sin(phi1) * std::cos(delta) + std::cos(phi1) * std::sin(delta) * std::cos(theta));
    double lam2 = lam1 + std::atan2(std::sin(theta) * std::sin(delta) * std::cos(phi1),
                                    std::cos(delta) - std::sin(phi1) * std::sin(phi2));
    double lon = std::remainder(lam2 / kDeg, 360.0);
    return {lon, phi2 / kDeg};
}

bool in_box(const BBox& b, Point p) {
    return p.lon >= b.min_lon && p.lon <= b.max_lon && p.lat >= b.min_lat && p.lat <= b.max_lat;
}

}  // namespace

TEST(Geo, PointInSquare) {
    auto a = must_parse({{"type", "Polygon"}, {"coordinates", json::array({square(0, 0, 1, 1)})}});
    ASSERT_EQ(a.polygons.size(), 1u);
    EXPECT_TRUE(contains(a, {0.5, 0.5}));
    EXPECT_TRUE(contains(a, {0.001, 0.999}));
    EXPECT_FALSE(contains(a, {1.5, 0.5}));
    EXPECT_FALSE(contains(a, {-0.001, 0.5}));
    EXPECT_FALSE(contains(a, {0.5, 1.0001}));
    EXPECT_FALSE(contains(a, {NAN, 0.5}));
}

TEST(Geo, EdgesAndVerticesAreInside) {
    auto a = must_parse({{"type", "Polygon"}, {"coordinates", json::array({square(0, 0, 1, 1)})}});
    for (Point p : {Point{0.5, 0}, Point{1, 0.5}, Point{0.5, 1}, Point{0, 0.5}}) {
        EXPECT_TRUE(contains(a, p)) << p.lon << "," << p.lat;
    }
    for (Point p : {Point{0, 0}, Point{1, 0}, Point{1, 1}, Point{0, 1}}) {
        EXPECT_TRUE(contains(a, p)) << p.lon << "," << p.lat;
    }
    // A diagonal edge whose points are not exactly representable.
    auto tri = must_parse(
        {{"type", "Polygon"},
         {"coordinates", json::array({json::array({json::array({103.3, 23.3}), json::array({103.4, 23.3}),
                                                   json::array({103.3, 23.4}), json::array({103.3, 23.3})})})}});
    EXPECT_TRUE(contains(tri, {103.35, 23.35}));
    EXPECT_TRUE(contains(tri, {103.33, 23.37}));
    EXPECT_FALSE(contains(tri, {103.36, 23.36}));
}

TEST(Geo, Holes) {
    auto a = square_with_hole();
    EXPECT_TRUE(contains(a, {0.1, 0.1}));
    EXPECT_FALSE(contains(a, {0.5, 0.5}));  // inside the hole
    EXPECT_FALSE(contains(a, {0.3, 0.7}));
    // Hole boundary belongs to the area.
    EXPECT_TRUE(contains(a, {0.25, 0.5}));
    EXPECT_TRUE(contains(a, {0.5, 0.75}));
    EXPECT_TRUE(contains(a, {0.25, 0.25}));
    EXPECT_TRUE(contains(a, {0.2499, 0.5}));
}

TEST(Geo, MultiPolygonSecondPart) {
    auto a = must_parse(
        {{"type", "MultiPolygon"},
         {"coordinates", json::array({json::array({square(0, 0, 1, 1)}), json::array({square(5, 5, 6, 6)})})}});
    ASSERT_EQ(a.polygons.size(), 2u);
    EXPECT_TRUE(contains(a, {5.5, 5.5}));
    EXPECT_TRUE(contains(a, {0.5, 0.5}));
    EXPECT_FALSE(contains(a, {3, 3}));
    BBox b = bbox(a);
    EXPECT_EQ(b.min_lon, 0);
    EXPECT_EQ(b.min_lat, 0);
    EXPECT_EQ(b.max_lon, 6);
    EXPECT_EQ(b.max_lat, 6);
}

TEST(Geo, ConcaveUShape) {
    // U opening north: x in [0,3], y in [0,3], notch x in (1,2), y in (1,3].
    json ring = json::array({json::array({0, 0}), json::array({3, 0}), json::array({3, 3}), json::array({2, 3}),
                             json::array({2, 1}), json::array({1, 1}), json::array({1, 3}), json::array({0, 3}),
                             json::array({0, 0})});
    auto a = must_parse({{"type", "Polygon"}, {"coordinates", json::array({ring})}});
    EXPECT_TRUE(contains(a, {0.5, 2.5}));  // left arm
    EXPECT_TRUE(contains(a, {2.5, 2.5}));  // right arm
    EXPECT_TRUE(contains(a, {1.5, 0.5}));  // base
    EXPECT_FALSE(contains(a, {1.5, 2}));   // in the notch
    EXPECT_FALSE(contains(a, {1.5, 1.5}));
    EXPECT_TRUE(contains(a, {1.5, 1}));  // notch floor is an edge
    // Just below the notch's open top, the ray still crosses two edges.
    EXPECT_FALSE(contains(a, {1.5, 2.999}));
    EXPECT_NEAR(
        area_m2(a) / area_m2(must_parse({{"type", "Polygon"}, {"coordinates", json::array({square(0, 0, 3, 3)})}})),
        7.0 / 9.0, 0.01);
}

TEST(Geo, CityBlockNearMengzi) {
    // An irregular block, counter-clockwise, around lon 103.38 lat 23.37; altitude on one vertex.
    json ring = json::array({json::array({103.3790, 23.3688}), json::array({103.3822, 23.3690}),
                             json::array({103.3826, 23.3712, 1300.5}), json::array({103.3808, 23.3721}),
                             json::array({103.3787, 23.3709}), json::array({103.3790, 23.3688})});
    auto a = must_parse({{"type", "Polygon"}, {"coordinates", json::array({ring})}});
    EXPECT_TRUE(contains(a, {103.3805, 23.3700}));
    EXPECT_TRUE(contains(a, {103.3810, 23.3715}));
    EXPECT_FALSE(contains(a, {103.3830, 23.3700}));  // east of the block
    EXPECT_FALSE(contains(a, {103.3790, 23.3718}));  // cut off by the NW diagonal
    EXPECT_FALSE(contains(a, {103.3805, 23.3680}));
    double m2 = area_m2(a);
    EXPECT_GT(m2, 60'000);  // roughly 330 m x 300 m, minus the corners
    EXPECT_LT(m2, 110'000);
    BBox b = bbox(a);
    EXPECT_DOUBLE_EQ(b.min_lon, 103.3787);
    EXPECT_DOUBLE_EQ(b.max_lat, 23.3721);
}

TEST(Geo, ValidationErrors) {
    auto poly = [](json coords) { return json{{"type", "Polygon"}, {"coordinates", std::move(coords)}}; };
    auto has = [](const std::string& err, const std::string& what) { return err.find(what) != std::string::npos; };

    EXPECT_TRUE(has(error_of(json::array()), "object"));
    EXPECT_TRUE(has(error_of("Polygon"), "object"));
    EXPECT_TRUE(has(error_of(json{{"coordinates", json::array({square(0, 0, 1, 1)})}}), "type"));
    EXPECT_TRUE(has(error_of(json{{"type", "Point"}, {"coordinates", json::array({1, 2})}}), "type"));
    EXPECT_TRUE(has(error_of(json{{"type", 5}, {"coordinates", json::array()}}), "type"));
    EXPECT_TRUE(has(error_of(json{{"type", "Polygon"}}), "coordinates"));
    EXPECT_TRUE(has(error_of(poly("x")), "coordinates"));
    EXPECT_TRUE(has(error_of(poly(json::array())), "no rings"));
    EXPECT_TRUE(has(error_of(poly(json::array({"ring"}))), "ring must be an array"));
    EXPECT_TRUE(has(error_of(json{{"type", "MultiPolygon"}, {"coordinates", json::array()}}), "no polygons"));
    EXPECT_TRUE(
        has(error_of(json{{"type", "MultiPolygon"}, {"coordinates", json::array({5})}}), "polygon must be an array"));
    EXPECT_TRUE(
        has(error_of(json{{"type", "MultiPolygon"}, {"coordinates", json::array({json::array()})}}), "no rings"));

    // Positions.
    json r = square(0, 0, 1, 1);
    r[1] = json::array({1});
    EXPECT_TRUE(has(error_of(poly(json::array({r}))), "2 or 3 numbers"));
    r[1] = json::array({1, 0, 0, 0});
    EXPECT_TRUE(has(error_of(poly(json::array({r}))), "2 or 3 numbers"));
    r[1] = json::array({"1", 0});
    EXPECT_TRUE(has(error_of(poly(json::array({r}))), "2 or 3 numbers"));
    r[1] = json::array({1, nullptr});
    EXPECT_TRUE(has(error_of(poly(json::array({r}))), "2 or 3 numbers"));
    r[1] = 7;
    EXPECT_TRUE(has(error_of(poly(json::array({r}))), "coordinates[0][1]"));
    r[1] = json::array({1, 0});
    EXPECT_TRUE(parse_area(poly(json::array({r}))).shape);

    EXPECT_TRUE(has(error_of(poly(json::array({square(0, 0, 180.5, 1)}))), "longitude"));
    EXPECT_TRUE(has(error_of(poly(json::array({square(-181, 0, 1, 1)}))), "longitude"));
    EXPECT_TRUE(has(error_of(poly(json::array({square(0, 0, 1, 90.01)}))), "latitude"));
    EXPECT_TRUE(has(error_of(poly(json::array({square(0, -91, 1, 1)}))), "latitude"));
    EXPECT_TRUE(parse_area(poly(json::array({square(-180, -90, 180, 90)}))).shape);  // bounds inclusive

    // Rings.
    json tri3 = json::array({json::array({0, 0}), json::array({1, 0}), json::array({0, 0})});
    EXPECT_TRUE(has(error_of(poly(json::array({tri3}))), "at least 4"));
    json open = json::array({json::array({0, 0}), json::array({1, 0}), json::array({1, 1}), json::array({0, 1})});
    EXPECT_TRUE(has(error_of(poly(json::array({open}))), "not closed"));
    EXPECT_TRUE(has(error_of(poly(json::array({square(0, 0, 2, 2), open}))), "coordinates[1]"));

    // Limits.
    json big = json::array();
    for (int i = 0; i < 10'001; ++i) big.push_back(json::array({0, 0}));
    std::string e = error_of(poly(json::array({big})));
    EXPECT_TRUE(has(e, "too many positions") && has(e, "10000")) << e;
    json many = json::array();
    for (int i = 0; i < 101; ++i) many.push_back(json::array({square(0, 0, 1, 1)}));
    e = error_of(json{{"type", "MultiPolygon"}, {"coordinates", many}});
    EXPECT_TRUE(has(e, "too many polygons") && has(e, "100")) << e;
    many.erase(many.size() - 1);
    EXPECT_TRUE(parse_area(json{{"type", "MultiPolygon"}, {"coordinates", many}}).shape);
    // The positions budget spans all polygons: 100 rings of 101 positions = 10,100.
    json ring101 = json::array();
    for (int i = 0; i < 100; ++i) ring101.push_back(json::array({i * 0.001, i % 2 * 0.001}));
    ring101.push_back(ring101[0]);
    json spread = json::array();
    for (int i = 0; i < 100; ++i) spread.push_back(json::array({ring101}));
    EXPECT_TRUE(has(error_of(json{{"type", "MultiPolygon"}, {"coordinates", spread}}), "too many positions"));
}

TEST(Geo, GeoJsonRoundTrip) {
    auto a = square_with_hole();
    auto again = parse_area(to_geojson(a));
    ASSERT_TRUE(again.shape) << again.error;
    ASSERT_EQ(again.shape->polygons.size(), 1u);
    EXPECT_EQ(again.shape->polygons[0].rings.size(), 2u);
    EXPECT_DOUBLE_EQ(area_m2(*again.shape), area_m2(a));
}

TEST(Geo, Distances) {
    EXPECT_NEAR(distance_m({103.38, 23.37}, {103.38, 23.371}), 111.195, 0.01);
    EXPECT_NEAR(distance_m({0, 0}, {0.001, 0}), 111.195, 0.01);
    // 0.001° of longitude shrinks with cos(lat).
    EXPECT_NEAR(distance_m({103.38, 23.37}, {103.381, 23.37}), 111.195 * std::cos(23.37 * kDeg), 0.05);
    EXPECT_EQ(distance_m({103.38, 23.37}, {103.38, 23.37}), 0.0);
    EXPECT_NEAR(distance_m({0, 0}, {180, 0}), std::numbers::pi * kEarthRadiusM, 1e-3);
    EXPECT_NEAR(distance_m({0, 90}, {0, -90}), std::numbers::pi * kEarthRadiusM, 1e-3);
    // Beijing Tiananmen to Shanghai People's Square: about 1,067 km great-circle.
    EXPECT_NEAR(distance_m({116.3975, 39.9087}, {121.4737, 31.2304}), 1'067'000, 5'000);
    // Symmetric.
    EXPECT_DOUBLE_EQ(distance_m({1, 2}, {3, 4}), distance_m({3, 4}, {1, 2}));
}

TEST(Geo, AreaOfSmallSquare) {
    // 0.01° x 0.01° centred on lat 23.4. Exact spherical area R²·Δλ·(sin φ2 − sin φ1) is about
    // 1.135e6 m² (1,112 m north-south by 1,021 m east-west).
    auto a =
        must_parse({{"type", "Polygon"}, {"coordinates", json::array({square(103.375, 23.395, 103.385, 23.405)})}});
    double exact = kEarthRadiusM * kEarthRadiusM * (0.01 * kDeg) * (std::sin(23.405 * kDeg) - std::sin(23.395 * kDeg));
    EXPECT_NEAR(area_m2(a), exact, exact * 0.01);
    EXPECT_NEAR(area_m2(a), 1.135e6, 0.01e6);
    // Orientation does not matter; holes are subtracted.
    json cw = json::array({json::array({0, 0}), json::array({0, 0.01}), json::array({0.01, 0.01}),
                           json::array({0.01, 0}), json::array({0, 0})});
    auto b = must_parse({{"type", "Polygon"}, {"coordinates", json::array({cw})}});
    auto c = must_parse({{"type", "Polygon"}, {"coordinates", json::array({square(0, 0, 0.01, 0.01)})}});
    EXPECT_DOUBLE_EQ(area_m2(b), area_m2(c));
    auto h = square_with_hole();
    auto full = must_parse({{"type", "Polygon"}, {"coordinates", json::array({square(0, 0, 1, 1)})}});
    EXPECT_NEAR(area_m2(h) / area_m2(full), 0.75, 0.001);
    EXPECT_EQ(area_m2(MultiPolygon{}), 0.0);
}

TEST(Geo, BoxAroundContainsCircle) {
    const Point centers[] = {{103.38, 23.37}, {0, 0}, {-70.5, -45.2}, {179.99, 10}, {12, 70}, {12, -89.99}};
    const double radii[] = {1, 50, 1000, 25'000, 500'000};
    for (Point c : centers) {
        for (double r : radii) {
            BBox b = box_around(c, r);
            ASSERT_LE(b.min_lon, b.max_lon);
            ASSERT_LE(b.min_lat, b.max_lat);
            EXPECT_TRUE(in_box(b, c));
            for (int deg = 0; deg < 360; deg += 3) {
                for (double f : {1.0, 0.5}) {
                    Point p = destination(c, deg, r * f);
                    ASSERT_TRUE(in_box(b, p))
                        << c.lon << "," << c.lat << " r=" << r << " bearing=" << deg << " -> " << p.lon << "," << p.lat;
                    ASSERT_NEAR(distance_m(c, p), r * f, r * f * 1e-6 + 1e-4);
                }
            }
        }
    }
}

TEST(Geo, BoxAroundIsTight) {
    BBox b = box_around({103.38, 23.37}, 1000);
    double dlat = b.max_lat - 23.37;
    EXPECT_NEAR(dlat, 1000 / 111'195.0, 1e-6);
    EXPECT_NEAR(b.max_lon - 103.38, dlat / std::cos(23.37 * kDeg), 1e-6);
    BBox zero = box_around({103.38, 23.37}, -5);
    EXPECT_NEAR(zero.min_lon, 103.38, 1e-6);
    EXPECT_NEAR(zero.max_lat, 23.37, 1e-6);
    BBox polar = box_around({10, 89.999}, 1000);
    EXPECT_EQ(polar.min_lon, -180);
    EXPECT_EQ(polar.max_lon, 180);
    EXPECT_EQ(polar.max_lat, 90);
    BBox world = box_around({0, 0}, 3e7);
    EXPECT_EQ(world.min_lat, -90);
    EXPECT_EQ(world.max_lon, 180);
}

TEST(Geo, ValidPoint) {
    EXPECT_TRUE(valid_point({103.38, 23.37}));
    EXPECT_TRUE(valid_point({-180, -90}));
    EXPECT_FALSE(valid_point({180.0001, 0}));
    EXPECT_FALSE(valid_point({0, -90.5}));
    EXPECT_FALSE(valid_point({NAN, 0}));
    EXPECT_FALSE(valid_point({0, INFINITY}));
}
