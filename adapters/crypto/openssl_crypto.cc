#include "adapters/crypto/openssl_crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
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
#include <string>

namespace stagecheck::crypto {

namespace {

// OpenSSL 3's one-shot HMAC() fetches the MAC and digest implementations on
// every call (~20% of a webhook delivery's instructions). Each thread keeps
// one HMAC-SHA256 context instead and re-keys it when the key changes.
struct MacCtxDeleter {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};

// Each thread's HMAC-SHA256 context, and the key it was last keyed with:
// keying hashes the key's two padded blocks, which a webhook burst for one
// team would redo for every delivery with the same secret.
struct ThreadMac {
  ThreadMac() = default;
  ThreadMac(ThreadMac&&) = default;
  ~ThreadMac() { OPENSSL_cleanse(key.data(), key.size()); }
  std::unique_ptr<EVP_MAC_CTX, MacCtxDeleter> ctx;
  std::string key;  // a secret: wiped before it is replaced or freed
  bool keyed = false;
};

ThreadMac& ThreadHmacSha256() {
  thread_local ThreadMac mac = [] {
    ThreadMac made;
    EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    made.ctx.reset(hmac != nullptr ? EVP_MAC_CTX_new(hmac) : nullptr);
    EVP_MAC_free(hmac);  // the context holds its own reference
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                           OSSL_PARAM_construct_end()};
    if (made.ctx != nullptr && EVP_MAC_CTX_set_params(made.ctx.get(), params) != 1) {
      made.ctx.reset();
    }
    return made;
  }();
  return mac;
}

// Keys the context with `key`; with the key it already holds, only resets it
// (OpenSSL's HMAC keeps the keyed state when init is given no key).
bool KeyWith(ThreadMac& mac, std::string_view key) {
  if (mac.keyed && mac.key.size() == key.size() &&
      CRYPTO_memcmp(mac.key.data(), key.data(), key.size()) == 0) {
    return EVP_MAC_init(mac.ctx.get(), nullptr, 0, nullptr) == 1;
  }
  // An empty key is legal HMAC; OpenSSL wants a non-null pointer for it.
  static const unsigned char kEmpty = 0;
  const auto* key_bytes =
      key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
  OPENSSL_cleanse(mac.key.data(), mac.key.size());
  mac.key.clear();
  mac.keyed = EVP_MAC_init(mac.ctx.get(), key_bytes, key.size(), nullptr) == 1;
  if (mac.keyed) mac.key.assign(key.data(), key.size());
  return mac.keyed;
}

// Aborts if the system CSPRNG fails: continuing with predictable bytes
// (tokens, nonces, ids) would be worse than stopping.
void FillRandom(unsigned char* out, size_t n) {
  if (n > 0 && RAND_bytes(out, static_cast<int>(n)) != 1) {
    std::fputs("stagecheck: the system random generator failed\n", stderr);
    std::abort();
  }
}

[[noreturn]] void HmacFailed() {
  std::fputs("stagecheck: OpenSSL's HMAC-SHA256 failed\n", stderr);
  std::abort();
}

}  // namespace

Sha256Digest OpenSslCrypto::HmacSha256Digest(std::string_view key, std::string_view message) const {
  ThreadMac& mac = ThreadHmacSha256();
  Sha256Digest out;
  size_t length = 0;
  if (mac.ctx == nullptr || !KeyWith(mac, key) ||
      EVP_MAC_update(mac.ctx.get(), reinterpret_cast<const unsigned char*>(message.data()),
                     message.size()) != 1 ||
      EVP_MAC_final(mac.ctx.get(), reinterpret_cast<unsigned char*>(out.bytes.data()), &length,
                    out.bytes.size()) != 1 ||
      length != out.bytes.size()) {
    HmacFailed();
  }
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
  FillRandom(reinterpret_cast<unsigned char*>(out.data()), n);
  return out;
}

std::string FormatUuidV4(std::string_view random16) {
  unsigned char b[16] = {};
  for (size_t i = 0; i < 16 && i < random16.size(); ++i)
    b[i] = static_cast<unsigned char>(random16[i]);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string out = HexEncode(std::string_view(reinterpret_cast<const char*>(b), sizeof(b)));
  for (size_t dash : {8, 13, 18, 23}) out.insert(dash, 1, '-');
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
      FillRandom(bytes, sizeof(bytes));
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
