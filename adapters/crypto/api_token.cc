#include "adapters/crypto/api_token.h"

#include "adapters/crypto/codec.h"

namespace stagecheck::crypto {

namespace {
constexpr size_t kTokenRandomBytes = 32;
constexpr size_t kTokenEncodedLength = 43;  // ceil(32 * 4 / 3), unpadded
}  // namespace

std::string GenerateApiToken(const Crypto& crypto) {
  return kApiTokenPrefix + Base64UrlEncode(crypto.RandomBytes(kTokenRandomBytes));
}

std::string HashApiToken(const Crypto& crypto, std::string_view token) {
  return HexEncode(crypto.Sha256(token));
}

bool LooksLikeApiToken(std::string_view token) {
  std::string_view prefix(kApiTokenPrefix);
  if (token.size() != prefix.size() + kTokenEncodedLength ||
      token.substr(0, prefix.size()) != prefix) {
    return false;
  }
  std::optional<std::string> bytes = Base64UrlDecode(token.substr(prefix.size()));
  return bytes.has_value() && bytes->size() == kTokenRandomBytes;
}

}  // namespace stagecheck::crypto
