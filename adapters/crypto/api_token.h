// API bearer tokens: shown to the user once, stored only as a hash.
#pragma once

#include <string>
#include <string_view>

#include "core/ports/crypto.h"

namespace stagecheck::crypto {

inline constexpr char kApiTokenPrefix[] = "sc_";

// "sc_" + base64url(32 random bytes): 256 bits, greppable by secret scanners.
std::string GenerateApiToken(const Crypto& crypto);
// Lower-case hex SHA-256 of the whole token; what the store keeps and looks up.
std::string HashApiToken(const Crypto& crypto, std::string_view token);
// Shape check before any lookup (prefix + 43 base64url characters).
bool LooksLikeApiToken(std::string_view token);

}  // namespace stagecheck::crypto
