#include "common/crypto.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <climits>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

namespace civic::crypto {
namespace {

struct BioFree {
    void operator()(BIO* p) const { BIO_free(p); }
};
struct PkeyFree {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxFree {
    void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct KdfFree {
    void operator()(EVP_KDF* p) const { EVP_KDF_free(p); }
};
struct KdfCtxFree {
    void operator()(EVP_KDF_CTX* p) const { EVP_KDF_CTX_free(p); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

constexpr std::size_t kSha256Len = 32;
constexpr std::size_t kSaltLen = 16;
constexpr std::size_t kPasswordKeyLen = 32;
constexpr std::size_t kEd25519SigLen = 64;
constexpr std::string_view kPasswordScheme = "pbkdf2-sha256";

// OpenSSL's error queue is per thread; leaving stale entries behind would confuse the next
// caller that inspects it (e.g. TLS code in the HTTP layer).
[[noreturn]] void fail(const char* what) {
    unsigned long code = ERR_get_error();
    std::string msg = what;
    if (code != 0) {
        std::array<char, 256> buf{};
        ERR_error_string_n(code, buf.data(), buf.size());
        msg += ": ";
        msg += buf.data();
    }
    ERR_clear_error();
    throw std::runtime_error(msg);
}

const unsigned char* bytes(std::string_view s) {
    // Some OpenSSL entry points treat a null pointer as "no value" even with length 0.
    static const unsigned char empty = 0;
    return s.empty() ? &empty : reinterpret_cast<const unsigned char*>(s.data());
}

unsigned char* bytes(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

BioPtr mem_bio(std::string_view data) {
    if (data.size() > static_cast<std::size_t>(INT_MAX)) return nullptr;
    return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

// A null callback would make OpenSSL prompt on the controlling terminal for encrypted keys.
int no_passphrase(char*, int, int, void*) { return 0; }

std::string bio_contents(BIO* bio) {
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    if (len <= 0 || data == nullptr) return {};
    return std::string(data, static_cast<std::size_t>(len));
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

constexpr std::string_view kB64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int b64_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

std::string pbkdf2_sha256(std::string_view password, std::string_view salt, int iterations, std::size_t key_len) {
    std::unique_ptr<EVP_KDF, KdfFree> kdf(EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_PBKDF2, nullptr));
    if (!kdf) fail("PBKDF2 unavailable");
    std::unique_ptr<EVP_KDF_CTX, KdfCtxFree> ctx(EVP_KDF_CTX_new(kdf.get()));
    if (!ctx) fail("EVP_KDF_CTX_new");
    unsigned int iter = static_cast<unsigned int>(iterations);
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, const_cast<unsigned char*>(bytes(password)),
                                          password.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<unsigned char*>(bytes(salt)), salt.size()),
        OSSL_PARAM_construct_uint(OSSL_KDF_PARAM_ITER, &iter),
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_end(),
    };
    std::string out(key_len, '\0');
    if (EVP_KDF_derive(ctx.get(), bytes(out), out.size(), params) != 1) fail("PBKDF2 derive");
    return out;
}

PkeyPtr read_private_key(std::string_view pem) {
    BioPtr bio = mem_bio(pem);
    if (!bio) return nullptr;
    PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
    if (!key || EVP_PKEY_is_a(key.get(), "ED25519") != 1) return nullptr;
    return key;
}

PkeyPtr read_public_key(std::string_view pem) {
    BioPtr bio = mem_bio(pem);
    if (!bio) return nullptr;
    PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, no_passphrase, nullptr));
    if (!key || EVP_PKEY_is_a(key.get(), "ED25519") != 1) return nullptr;
    return key;
}

}  // namespace

std::string sha256(std::string_view data) {
    std::string out(kSha256Len, '\0');
    unsigned int len = 0;
    if (EVP_Digest(bytes(data), data.size(), bytes(out), &len, EVP_sha256(), nullptr) != 1 || len != kSha256Len) {
        fail("SHA-256");
    }
    return out;
}

std::string sha256_hex(std::string_view data) { return hex_encode(sha256(data)); }

std::string hmac_sha256(std::string_view key, std::string_view data) {
    std::string out(kSha256Len, '\0');
    std::size_t len = 0;
    if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, bytes(key), key.size(), bytes(data), data.size(),
                  bytes(out), out.size(), &len) == nullptr ||
        len != kSha256Len) {
        fail("HMAC-SHA256");
    }
    return out;
}

std::string hex_encode(std::string_view raw) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(raw.size() * 2);
    for (unsigned char c : raw) {
        out.push_back(kDigits[c >> 4]);
        out.push_back(kDigits[c & 0x0F]);
    }
    return out;
}

std::optional<std::string> hex_decode(std::string_view hex) {
    if (hex.size() % 2 != 0) return std::nullopt;
    std::string out;
    out.reserve(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        int hi = hex_value(hex[i]);
        int lo = hex_value(hex[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.push_back(static_cast<char>((hi << 4) | lo));
    }
    return out;
}

std::string base64url_encode(std::string_view raw) {
    std::string out;
    out.reserve((raw.size() * 4 + 2) / 3);
    std::size_t i = 0;
    auto byte = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(raw[k])); };
    for (; i + 3 <= raw.size(); i += 3) {
        std::uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
        out.push_back(kB64Alphabet[(v >> 18) & 63]);
        out.push_back(kB64Alphabet[(v >> 12) & 63]);
        out.push_back(kB64Alphabet[(v >> 6) & 63]);
        out.push_back(kB64Alphabet[v & 63]);
    }
    std::size_t rest = raw.size() - i;
    if (rest == 1) {
        std::uint32_t v = byte(i) << 16;
        out.push_back(kB64Alphabet[(v >> 18) & 63]);
        out.push_back(kB64Alphabet[(v >> 12) & 63]);
    } else if (rest == 2) {
        std::uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8);
        out.push_back(kB64Alphabet[(v >> 18) & 63]);
        out.push_back(kB64Alphabet[(v >> 12) & 63]);
        out.push_back(kB64Alphabet[(v >> 6) & 63]);
    }
    return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
    if (text.size() % 4 == 1) return std::nullopt;
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        int v = b64_value(c);
        if (v < 0) return std::nullopt;
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xFF));
        }
    }
    // Leftover bits must be zero, otherwise two spellings would decode to the same bytes.
    if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
    return out;
}

std::string random_bytes(std::size_t n) {
    std::string out(n, '\0');
    std::size_t done = 0;
    while (done < n) {
        int chunk = static_cast<int>(std::min<std::size_t>(n - done, 1u << 20));
        if (RAND_bytes(bytes(out) + done, chunk) != 1) fail("RAND_bytes");
        done += static_cast<std::size_t>(chunk);
    }
    return out;
}

std::string random_token(std::size_t n_bytes) { return base64url_encode(random_bytes(n_bytes)); }

bool constant_time_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    if (a.empty()) return true;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string hash_password(std::string_view password) { return hash_password(password, kPasswordIterations); }

std::string hash_password(std::string_view password, int iterations) {
    if (iterations < kMinPasswordIterations || iterations > kMaxPasswordIterations) {
        throw std::invalid_argument("password iteration count out of range");
    }
    std::string salt = random_bytes(kSaltLen);
    std::string key = pbkdf2_sha256(password, salt, iterations, kPasswordKeyLen);
    std::string out(kPasswordScheme);
    out += '$';
    out += std::to_string(iterations);
    out += '$';
    out += base64url_encode(salt);
    out += '$';
    out += base64url_encode(key);
    return out;
}

bool verify_password(std::string_view password, std::string_view encoded) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (parts.size() < 5) {
        std::size_t pos = encoded.find('$', start);
        parts.push_back(encoded.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
        if (pos == std::string_view::npos) break;
        start = pos + 1;
    }
    if (parts.size() != 4 || parts[0] != kPasswordScheme) return false;

    // from_chars accepts leading zeros; rejecting them keeps one spelling per count.
    std::string_view iter_text = parts[1];
    if (iter_text.empty() || iter_text.size() > 9 || iter_text[0] == '0') return false;
    int iterations = 0;
    auto [end, ec] = std::from_chars(iter_text.data(), iter_text.data() + iter_text.size(), iterations);
    if (ec != std::errc{} || end != iter_text.data() + iter_text.size()) return false;
    if (iterations < kMinPasswordIterations || iterations > kMaxPasswordIterations) return false;

    auto salt = base64url_decode(parts[2]);
    auto expected = base64url_decode(parts[3]);
    if (!salt || salt->size() < 8 || salt->size() > 64) return false;
    if (!expected || expected->size() != kPasswordKeyLen) return false;

    try {
        std::string actual = pbkdf2_sha256(password, *salt, iterations, expected->size());
        return constant_time_equal(actual, *expected);
    } catch (const std::exception&) {
        return false;
    }
}

Ed25519KeyPair ed25519_generate() {
    PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    if (!key) fail("Ed25519 keygen");
    BioPtr priv(BIO_new(BIO_s_mem()));
    BioPtr pub(BIO_new(BIO_s_mem()));
    if (!priv || !pub) fail("BIO_new");
    if (PEM_write_bio_PrivateKey(priv.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
        fail("PEM_write_bio_PrivateKey");
    }
    if (PEM_write_bio_PUBKEY(pub.get(), key.get()) != 1) fail("PEM_write_bio_PUBKEY");
    return Ed25519KeyPair{bio_contents(priv.get()), bio_contents(pub.get())};
}

std::string ed25519_public_pem(std::string_view private_pem) {
    PkeyPtr key = read_private_key(private_pem);
    if (!key) fail("not an unencrypted Ed25519 private key");
    BioPtr pub(BIO_new(BIO_s_mem()));
    if (!pub || PEM_write_bio_PUBKEY(pub.get(), key.get()) != 1) fail("PEM_write_bio_PUBKEY");
    return bio_contents(pub.get());
}

std::string ed25519_sign(std::string_view private_pem, std::string_view message) {
    PkeyPtr key = read_private_key(private_pem);
    if (!key) fail("not an unencrypted Ed25519 private key");
    MdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx) fail("EVP_MD_CTX_new");
    // Ed25519 is one-shot: no digest is named and the message goes in whole.
    if (EVP_DigestSignInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, key.get(), nullptr) != 1) {
        fail("EVP_DigestSignInit_ex");
    }
    std::string sig(kEd25519SigLen, '\0');
    std::size_t len = sig.size();
    if (EVP_DigestSign(ctx.get(), bytes(sig), &len, bytes(message), message.size()) != 1 || len != kEd25519SigLen) {
        fail("EVP_DigestSign");
    }
    return sig;
}

bool ed25519_verify(std::string_view public_pem, std::string_view message, std::string_view signature) {
    bool ok = false;
    if (signature.size() == kEd25519SigLen) {
        PkeyPtr key = read_public_key(public_pem);
        MdCtxPtr ctx(EVP_MD_CTX_new());
        ok = key && ctx &&
             EVP_DigestVerifyInit_ex(ctx.get(), nullptr, nullptr, nullptr, nullptr, key.get(), nullptr) == 1 &&
             EVP_DigestVerify(ctx.get(), bytes(signature), signature.size(), bytes(message), message.size()) == 1;
    }
    ERR_clear_error();
    return ok;
}

}  // namespace civic::crypto
