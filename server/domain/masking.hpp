#pragma once
// Names shown to people other than their owner (honour roll, kiosk screens): the first
// character, then one '*' per remaining character (张三丰 → 张**; a one-character name → 张*).
#include <string>
#include <string_view>

namespace civic::domain {

std::string mask_name(std::string_view display_name);

}  // namespace civic::domain
