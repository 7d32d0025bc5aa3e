// Byte <-> text codecs. HexEncode and HexDecode live in core/ports/crypto.h.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace stagecheck::crypto {

// Standard alphabet with '=' padding.
std::string Base64Encode(std::string_view bytes);
// Accepts padded or unpadded input; nullopt on any other character.
std::optional<std::string> Base64Decode(std::string_view text);
// URL-safe alphabet ('-', '_'), no padding: safe in URLs, headers and tokens.
std::string Base64UrlEncode(std::string_view bytes);
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace stagecheck::crypto
