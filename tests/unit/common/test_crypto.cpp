#include "common/crypto.hpp"
#include "common/sha256_stream.hpp"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>

using namespace civic::crypto;

TEST(Crypto, Sha256KnownVectors) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256("abc").size(), 32u);
    EXPECT_EQ(hex_encode(sha256("abc")), sha256_hex("abc"));
}

TEST(Crypto, HmacRfc4231) {
    // Test case 1
    EXPECT_EQ(hex_encode(hmac_sha256(std::string(20, '\x0b'), "Hi There")),
              "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    // Test case 2
    EXPECT_EQ(hex_encode(hmac_sha256("Jefe", "what do ya want for nothing?")),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Crypto, HmacEmptyKeyAndData) {
    // Independently known value of HMAC-SHA256("", "").
    EXPECT_EQ(hex_encode(hmac_sha256("", "")), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(Crypto, HexRoundTripAndCase) {
    std::string all;
    for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
    EXPECT_EQ(hex_decode(hex_encode(all)), all);
    EXPECT_EQ(hex_encode("\x01\xab\xff"), "01abff");
    EXPECT_EQ(hex_decode("01ABff"), std::string("\x01\xab\xff"));
    EXPECT_EQ(hex_decode(""), std::string());
}

TEST(Crypto, HexDecodeErrors) {
    EXPECT_FALSE(hex_decode("abc"));  // odd length
    EXPECT_FALSE(hex_decode("0g"));   // non-hex
    EXPECT_FALSE(hex_decode("zz"));
    EXPECT_FALSE(hex_decode(" 0"));
    EXPECT_FALSE(hex_decode("0x"));
}

TEST(Crypto, Base64UrlKnownAndRoundTrips) {
    // RFC 4648 §10 vectors, minus padding.
    EXPECT_EQ(base64url_encode(""), "");
    EXPECT_EQ(base64url_encode("f"), "Zg");
    EXPECT_EQ(base64url_encode("fo"), "Zm8");
    EXPECT_EQ(base64url_encode("foo"), "Zm9v");
    EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
    EXPECT_EQ(base64url_encode("fooba"), "Zm9vYmE");
    EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
    // The URL-safe alphabet: 0xfb 0xff -> "-_8".
    EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
    EXPECT_EQ(base64url_decode("-_8"), std::string("\xfb\xff"));

    for (std::size_t len = 0; len <= 5; ++len) {
        for (int fill : {0x00, 0x7f, 0xff}) {
            std::string raw(len, static_cast<char>(fill));
            std::string enc = base64url_encode(raw);
            EXPECT_EQ(enc.find('='), std::string::npos);
            EXPECT_EQ(base64url_decode(enc), raw) << "len " << len;
        }
        std::string rnd = random_bytes(len);
        EXPECT_EQ(base64url_decode(base64url_encode(rnd)), rnd);
    }
    std::string big = random_bytes(1000);
    EXPECT_EQ(base64url_decode(base64url_encode(big)), big);
}

TEST(Crypto, Base64UrlDecodeErrors) {
    EXPECT_FALSE(base64url_decode("Z"));     // length % 4 == 1
    EXPECT_FALSE(base64url_decode("Zg=="));  // padding is not accepted
    EXPECT_FALSE(base64url_decode("Zm+v"));  // standard alphabet
    EXPECT_FALSE(base64url_decode("Zm/v"));
    EXPECT_FALSE(base64url_decode("Zm9 v"));
    EXPECT_FALSE(base64url_decode("Zh"));  // non-zero unused bits (non-canonical "f")
    EXPECT_EQ(base64url_decode("Zg"), std::string("f"));
}

TEST(Crypto, RandomBytesAndTokens) {
    EXPECT_EQ(random_bytes(0), "");
    EXPECT_EQ(random_bytes(17).size(), 17u);
    EXPECT_NE(random_bytes(32), random_bytes(32));
    std::string t = random_token();
    EXPECT_EQ(t.size(), 43u);  // 32 bytes -> ceil(256 / 6)
    EXPECT_EQ(base64url_decode(t)->size(), 32u);
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) seen.insert(random_token(16));
    EXPECT_EQ(seen.size(), 100u);
}

TEST(Crypto, ConstantTimeEqual) {
    EXPECT_TRUE(constant_time_equal("", ""));
    EXPECT_TRUE(constant_time_equal("abc", "abc"));
    EXPECT_FALSE(constant_time_equal("abc", "abd"));
    EXPECT_FALSE(constant_time_equal("abc", "abcd"));
    EXPECT_FALSE(constant_time_equal("", "a"));
    EXPECT_TRUE(constant_time_equal(std::string("a\0b", 3), std::string("a\0b", 3)));
    EXPECT_FALSE(constant_time_equal(std::string("a\0b", 3), std::string("a\0c", 3)));
}

TEST(Crypto, PasswordHashDefaultFormatAndVerify) {
    std::string h = hash_password("correct horse 电池 staple");
    EXPECT_EQ(h.rfind("pbkdf2-sha256$210000$", 0), 0u) << h;
    EXPECT_TRUE(verify_password("correct horse 电池 staple", h));
    EXPECT_FALSE(verify_password("correct horse 电池 staplE", h));
    EXPECT_FALSE(verify_password("", h));
    // Fresh salt each time.
    EXPECT_NE(h, hash_password("correct horse 电池 staple"));
}

TEST(Crypto, PasswordVerifyHonoursStoredIterations) {
    std::string h = hash_password("pw", 1000);
    EXPECT_EQ(h.rfind("pbkdf2-sha256$1000$", 0), 0u);
    EXPECT_TRUE(verify_password("pw", h));
    // Same salt and key under another iteration count must not verify.
    std::string other = h;
    other.replace(0, std::string("pbkdf2-sha256$1000").size(), "pbkdf2-sha256$1001");
    EXPECT_FALSE(verify_password("pw", other));
    EXPECT_TRUE(verify_password("", hash_password("", 1000)));
    EXPECT_THROW(hash_password("pw", 999), std::invalid_argument);
    EXPECT_THROW(hash_password("pw", 10'000'001), std::invalid_argument);
}

TEST(Crypto, PasswordVerifyMalformedAndTampered) {
    std::string h = hash_password("pw", 1000);
    auto first = h.find('$'), second = h.find('$', first + 1), third = h.find('$', second + 1);
    std::string salt = h.substr(second + 1, third - second - 1);
    std::string key = h.substr(third + 1);

    EXPECT_FALSE(verify_password("pw", ""));
    EXPECT_FALSE(verify_password("pw", "garbage"));
    EXPECT_FALSE(verify_password("pw", "pbkdf2-sha256$1000$" + salt));
    EXPECT_FALSE(verify_password("pw", h + "$"));
    EXPECT_FALSE(verify_password("pw", h + "$extra"));
    EXPECT_FALSE(verify_password("pw", "pbkdf2-sha1$1000$" + salt + "$" + key));
    EXPECT_FALSE(verify_password("pw", "pbkdf2-sha256$abc$" + salt + "$" + key));
    EXPECT_FALSE(verify_password("pw", "pbkdf2-sha256$$" + salt + "$" + key));
    EXPECT_FALSE(verify_password("pw", "pbkdf2-sha256$-1000$" + salt + "$" + key));
    EXPECT_FALSE(verify_password("pw", "pbkdf2-sha256$01000$" + salt + "$" + key));
    EXPECT_FALSE(verify_password("pw", "pbkdf2-sha256$999$" + salt + "$" + key));
    EXPECT_FALSE(verify_password("pw", "pbkdf2-sha256$10000001$" + salt + "$" + key));
    EXPECT_FALSE(verify_password("pw", "pbkdf2-sha256$99999999999999999999$" + salt + "$" + key));
    EXPECT_FALSE(verify_password("pw", "pbkdf2-sha256$1000$$" + key));
    EXPECT_FALSE(verify_password("pw", "pbkdf2-sha256$1000$" + salt + "$"));
    EXPECT_FALSE(verify_password("pw", "pbkdf2-sha256$1000$" + salt + "$" + key.substr(1)));
    EXPECT_FALSE(verify_password("pw", "pbkdf2-sha256$1000$!!!!$" + key));

    // Tamper with one character of the salt and of the key.
    std::string bad_salt = salt;
    bad_salt[0] = bad_salt[0] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(verify_password("pw", "pbkdf2-sha256$1000$" + bad_salt + "$" + key));
    std::string bad_key = key;
    bad_key[0] = bad_key[0] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(verify_password("pw", "pbkdf2-sha256$1000$" + salt + "$" + bad_key));
    EXPECT_TRUE(verify_password("pw", "pbkdf2-sha256$1000$" + salt + "$" + key));
}

TEST(Crypto, Ed25519SignVerify) {
    Ed25519KeyPair kp = ed25519_generate();
    EXPECT_NE(kp.private_pem.find("BEGIN PRIVATE KEY"), std::string::npos);
    EXPECT_NE(kp.public_pem.find("BEGIN PUBLIC KEY"), std::string::npos);

    std::string msg = R"({"credits":120,"user":"u_1"})";
    std::string sig = ed25519_sign(kp.private_pem, msg);
    ASSERT_EQ(sig.size(), 64u);
    EXPECT_TRUE(ed25519_verify(kp.public_pem, msg, sig));
    // Ed25519 is deterministic.
    EXPECT_EQ(sig, ed25519_sign(kp.private_pem, msg));
    EXPECT_TRUE(ed25519_verify(kp.public_pem, "", ed25519_sign(kp.private_pem, "")));

    std::string tampered_msg = msg;
    tampered_msg[3] ^= 1;
    EXPECT_FALSE(ed25519_verify(kp.public_pem, tampered_msg, sig));
    std::string tampered_sig = sig;
    tampered_sig[10] ^= 0x40;
    EXPECT_FALSE(ed25519_verify(kp.public_pem, msg, tampered_sig));
    EXPECT_FALSE(ed25519_verify(kp.public_pem, msg, sig.substr(0, 63)));
    EXPECT_FALSE(ed25519_verify(kp.public_pem, msg, ""));

    Ed25519KeyPair other = ed25519_generate();
    EXPECT_FALSE(ed25519_verify(other.public_pem, msg, sig));
}

TEST(Crypto, Ed25519BadKeys) {
    Ed25519KeyPair kp = ed25519_generate();
    std::string sig = ed25519_sign(kp.private_pem, "m");
    EXPECT_FALSE(ed25519_verify("not a pem", "m", sig));
    EXPECT_FALSE(ed25519_verify("", "m", sig));
    EXPECT_FALSE(ed25519_verify(kp.private_pem, "m", sig));  // private PEM where public expected
    EXPECT_THROW(ed25519_sign("not a pem", "m"), std::runtime_error);
    EXPECT_THROW(ed25519_sign(kp.public_pem, "m"), std::runtime_error);
}

TEST(Crypto, Sha256StreamEqualsTheDigestOfTheConcatenation) {
    const std::string whole(200'000, 'x');
    civic::crypto::Sha256Stream stream;
    for (std::size_t at = 0; at < whole.size(); at += 65'536) stream.update(std::string_view(whole).substr(at, 65'536));
    EXPECT_EQ(stream.hex_digest(), civic::crypto::sha256_hex(whole));
    EXPECT_THROW(stream.update("more"), std::logic_error);  // one digest per stream

    civic::crypto::Sha256Stream empty;
    EXPECT_EQ(empty.hex_digest(), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
