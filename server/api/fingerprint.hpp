#pragma once
// What an Idempotency-Key is bound to: the method, the path and the exact body bytes. Headers
// (a kiosk's fresh timestamp and signature on a retry) are deliberately left out.
#include "common/crypto.hpp"
#include "server/http/message.hpp"

#include <string>

namespace civic::api {

inline std::string request_fingerprint(const http::Request& req) {
    return crypto::sha256(req.method + "\n" + req.path + "\n" + req.body);
}

}  // namespace civic::api
