// OpenSSL implementations of the Crypto and IdGenerator ports.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/ports/crypto.h"
#include "core/ports/id_generator.h"

namespace stagecheck::crypto {

// HMAC-SHA256, SHA-256 and RAND_bytes. Stateless and thread-safe.
class OpenSslCrypto final : public Crypto {
 public:
  Sha256Digest HmacSha256Digest(std::string_view key, std::string_view message) const override;
  std::string Sha256(std::string_view data) const override;
  // Aborts if the system CSPRNG fails: continuing with predictable bytes
  // (tokens, nonces) would be worse than stopping.
  std::string RandomBytes(size_t n) const override;
};

// Random (version 4) UUIDs, lower-case "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".
// Thread-safe; a forked child never repeats its parent's ids.
class UuidGenerator final : public IdGenerator {
 public:
  UuidGenerator();
  std::string NewId() override;
};

// The UUIDv4 text for 16 random bytes (version and variant bits are set here).
std::string FormatUuidV4(std::string_view random16);

}  // namespace stagecheck::crypto
