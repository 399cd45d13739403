#pragma once
// Procedurally drawn street scenes for the demo city's photos (domain/demo.cpp): a sky, a row of
// buildings, a pavement and a road, and the problem a resident would photograph (a garbage pile,
// an open manhole, a car on the pavement, posters on a pole, a dark street light, broken paving).
// The "after" picture is the same scene with the problem fixed. Deterministic: the same arguments
// give the same JPEG bytes. The bytes are an ordinary baseline JPEG, to be sent through
// photo::process like any upload.
#include <cstdint>
#include <string>

namespace civic::scene {

inline constexpr int kProblemKinds = 6;

// `seed` picks the scene (sky, buildings, where the problem is); `kind` the problem
// (taken modulo kProblemKinds); `fixed` draws it repaired; `variant` changes only the sensor
// grain (two photos of one scene). JPEG quality 85.
std::string draw_street_jpeg(std::uint64_t seed, int kind, bool fixed, int width = 480, int height = 360,
                             std::uint64_t variant = 0);

}  // namespace civic::scene
