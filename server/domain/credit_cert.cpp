#include "server/domain/credit_cert.hpp"

#include "common/crypto.hpp"
#include "common/time.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace civic::domain::credit {

std::string load_or_create_signing_key(const std::string& path) {
    if (std::ifstream in(path); in) {
        std::stringstream text;
        text << in.rdbuf();
        auto pem = text.str();
        crypto::ed25519_public_pem(pem);  // throws on a file that is not our key
        return pem;
    }
    const auto pem = crypto::ed25519_generate().private_pem;
    const auto tmp = path + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) throw std::runtime_error("cannot create " + tmp);
    const bool ok = ::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size()) && ::fsync(fd) == 0;
    ::close(fd);
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error("cannot write " + path);
    return pem;
}

std::string canonical_json(const nlohmann::json& object) {
    // dump() without indent emits no whitespace; ensure_ascii=false keeps UTF-8 as is; strict
    // error handling refuses invalid UTF-8 rather than signing something else.
    return object.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
}

nlohmann::json issue_certificate(const std::string& private_pem, std::int64_t user_id, std::int64_t credit_score,
                                 std::int64_t now) {
    nlohmann::json cert = {
        {"user_id", user_id}, {"credit_score", credit_score}, {"issued_at", timefmt::format_rfc3339(now)}};
    cert["signature"] = crypto::hex_encode(crypto::ed25519_sign(private_pem, canonical_json(cert)));
    return cert;
}

bool verify_certificate(const std::string& public_pem, const nlohmann::json& certificate) {
    if (!certificate.is_object() || !certificate.contains("signature") || !certificate["signature"].is_string())
        return false;
    auto fields = certificate;
    const auto signature = crypto::hex_decode(fields["signature"].get<std::string>());
    fields.erase("signature");
    return signature && crypto::ed25519_verify(public_pem, canonical_json(fields), *signature);
}

}  // namespace civic::domain::credit
