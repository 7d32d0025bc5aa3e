// Hashing and randomness the core and plugins need (webhook signatures, token
// hashes). Implemented with OpenSSL in adapters/crypto.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace stagecheck {

// A raw SHA-256 or HMAC-SHA256 digest, held without an allocation.
struct Sha256Digest {
  std::array<char, 32> bytes{};
  std::string_view view() const { return {bytes.data(), bytes.size()}; }
};

class Crypto {
 public:
  virtual ~Crypto() = default;
  // Raw 32-byte digests. The Digest form is for hot paths (every webhook
  // delivery's signature check); the string form wraps it.
  virtual Sha256Digest HmacSha256Digest(std::string_view key, std::string_view message) const = 0;
  std::string HmacSha256(std::string_view key, std::string_view message) const {
    return std::string(HmacSha256Digest(key, message).view());
  }
  virtual std::string Sha256(std::string_view data) const = 0;
  virtual std::string RandomBytes(size_t n) const = 0;
};

// Compares in time that depends only on the lengths, not on where the first
// difference is.
bool ConstantTimeEquals(std::string_view a, std::string_view b);
std::string HexEncode(std::string_view bytes);
// A hex digit's value (either case), or -1.
int HexDigitValue(char c);
// The bytes `text` spells, upper or lower case; nullopt on odd length or a
// character that is not a hex digit.
std::optional<std::string> HexDecode(std::string_view text);
// The 32 bytes 64 hex digits spell (either case); nullopt for any other text.
std::optional<Sha256Digest> HexDecodeDigest(std::string_view text);

}  // namespace stagecheck
