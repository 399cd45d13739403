#pragma once
// Kiosk devices (API.md §7): registration hands out a key id and a secret once; the secret is
// kept sealed under the data dir's master key because HMAC verification needs it in clear.
#include "server/store/conn.hpp"

#include <cstdint>
#include <string>

namespace civic::domain {

struct NewKiosk {
    std::int64_t id = 0;
    std::string key_id;
    std::string secret;  // shown once
};

NewKiosk create_kiosk(store::Conn& conn, std::string_view master_key, std::string_view name, std::string_view store,
                      std::int64_t now);

}  // namespace civic::domain
