#include "adapters/crypto/openssl_crypto.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace stagecheck::crypto {

namespace {

// OpenSSL 3's one-shot HMAC() fetches the MAC and digest implementations on
// every call (~20% of a webhook delivery's instructions). Each thread keeps
// one HMAC-SHA256 context instead and re-keys it per message.
struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};

EVP_MAC_CTX* ThreadHmacSha256() {
  thread_local std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter> ctx = [] {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter> made(mac != nullptr ? EVP_MAC_CTX_new(mac)
                                                                    : nullptr);
    EVP_MAC_free(mac);  // the context holds its own reference
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                           OSSL_PARAM_construct_end()};
    if (made == nullptr || EVP_MAC_CTX_set_params(made.get(), params) != 1) made.reset();
    return made;
  }();
  return ctx.get();
}

[[noreturn]] void HmacFailed() {
  std::fputs("stagecheck: OpenSSL's HMAC-SHA256 failed\n", stderr);
  std::abort();
}

}  // namespace

std::string OpenSslCrypto::HmacSha256(std::string_view key, std::string_view message) const {
  EVP_MAC_CTX* ctx = ThreadHmacSha256();
  std::string out(32, '\0');
  size_t length = 0;
  // An empty key is legal HMAC; OpenSSL wants a non-null pointer for it.
  static const unsigned char kEmpty = 0;
  const auto* key_bytes =
      key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
  if (ctx == nullptr || EVP_MAC_init(ctx, key_bytes, key.size(), nullptr) != 1 ||
      EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(message.data()), message.size()) !=
          1 ||
      EVP_MAC_final(ctx, reinterpret_cast<unsigned char*>(out.data()), &length, out.size()) != 1) {
    HmacFailed();
  }
  out.resize(length);
  return out;
}

std::string OpenSslCrypto::Sha256(std::string_view data) const {
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::string OpenSslCrypto::RandomBytes(size_t n) const {
  std::string out(n, '\0');
  if (n > 0 && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    std::fputs("stagecheck: the system random generator failed\n", stderr);
    std::abort();
  }
  return out;
}

std::string FormatUuidV4(std::string_view random16) {
  std::string b(random16.substr(0, 16));
  b.resize(16, '\0');
  b[6] = static_cast<char>((static_cast<unsigned char>(b[6]) & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<char>((static_cast<unsigned char>(b[8]) & 0x3f) | 0x80);  // RFC 4122 variant
  std::string hex = HexEncode(b);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20, 12);
}

std::string UuidGenerator::NewId() { return FormatUuidV4(OpenSslCrypto().RandomBytes(16)); }

}  // namespace stagecheck::crypto
