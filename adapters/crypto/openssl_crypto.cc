#include "adapters/crypto/openssl_crypto.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <pthread.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>

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
  static constexpr char kHex[] = "0123456789abcdef";
  unsigned char b[16] = {};
  for (size_t i = 0; i < 16 && i < random16.size(); ++i)
    b[i] = static_cast<unsigned char>(random16[i]);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string out(36, '-');
  size_t at = 0;
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) ++at;  // the dashes already there
    out[at++] = kHex[b[i] >> 4];
    out[at++] = kHex[b[i] & 0x0f];
  }
  return out;
}

namespace {

// Bumped in a forked child, so that it never hands out the random bytes its
// parent had already drawn (both would then make the same ids).
std::atomic<uint64_t> fork_generation{0};

void CountForkInChild() { fork_generation.fetch_add(1, std::memory_order_relaxed); }

// Each RAND_bytes call costs ~7k instructions (the DRBG's locking and
// reseed checks) whatever its size; ids are made per delivery, so a thread
// draws 1 KiB at a time and cuts 16 bytes off it per id. Ids are names, not
// secrets: tokens and keys still take RandomBytes directly.
struct RandomPool {
  unsigned char bytes[1024];
  size_t used = sizeof(bytes);
  uint64_t generation = 0;

  std::string_view Take16() {
    const uint64_t now = fork_generation.load(std::memory_order_relaxed);
    if (used + 16 > sizeof(bytes) || generation != now) {
      if (RAND_bytes(bytes, static_cast<int>(sizeof(bytes))) != 1) {
        std::fputs("stagecheck: the system random generator failed\n", stderr);
        std::abort();
      }
      used = 0;
      generation = now;
    }
    std::string_view out(reinterpret_cast<const char*>(bytes + used), 16);
    used += 16;
    return out;
  }
};

}  // namespace

UuidGenerator::UuidGenerator() {
  static std::once_flag registered;
  std::call_once(registered, [] { pthread_atfork(nullptr, nullptr, &CountForkInChild); });
}

std::string UuidGenerator::NewId() {
  thread_local RandomPool pool;
  return FormatUuidV4(pool.Take16());
}

}  // namespace stagecheck::crypto
