#pragma once
// SHA-256 of bytes that arrive in pieces (a file written through a buffer): the same digest as
// crypto::sha256_hex of their concatenation, without holding it. Not copyable; one digest per
// object. On OpenSSL 3's EVP layer, like common/crypto.hpp.
#include <memory>
#include <string>
#include <string_view>

namespace civic::crypto {

class Sha256Stream {
public:
    Sha256Stream();  // throws std::runtime_error when OpenSSL cannot start a digest
    ~Sha256Stream();
    Sha256Stream(const Sha256Stream&) = delete;
    Sha256Stream& operator=(const Sha256Stream&) = delete;

    void update(std::string_view piece);
    std::string hex_digest();  // lowercase hex; ends the stream (a later call throws std::logic_error)

private:
    struct Ctx;
    std::unique_ptr<Ctx> ctx_;
};

}  // namespace civic::crypto
