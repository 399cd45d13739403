#include "common/sha256_stream.hpp"

#include "common/crypto.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace civic::crypto {

namespace {
constexpr unsigned int kSha256Bytes = 32;

struct MdCtxFree {
    void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};

[[noreturn]] void fail() { throw std::runtime_error("OpenSSL SHA-256 failed"); }
}  // namespace

struct Sha256Stream::Ctx {
    std::unique_ptr<EVP_MD_CTX, MdCtxFree> md{EVP_MD_CTX_new()};
    bool done = false;
};

Sha256Stream::Sha256Stream() : ctx_(std::make_unique<Ctx>()) {
    if (!ctx_->md || EVP_DigestInit_ex(ctx_->md.get(), EVP_sha256(), nullptr) != 1) fail();
}

Sha256Stream::~Sha256Stream() = default;

void Sha256Stream::update(std::string_view piece) {
    if (ctx_->done) throw std::logic_error("Sha256Stream::update after hex_digest");
    if (EVP_DigestUpdate(ctx_->md.get(), piece.data(), piece.size()) != 1) fail();
}

std::string Sha256Stream::hex_digest() {
    if (ctx_->done) throw std::logic_error("Sha256Stream::hex_digest twice");
    ctx_->done = true;
    std::string out(kSha256Bytes, '\0');
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(ctx_->md.get(), reinterpret_cast<unsigned char*>(out.data()), &len) != 1 ||
        len != kSha256Bytes)
        fail();
    return hex_encode(out);
}

}  // namespace civic::crypto
