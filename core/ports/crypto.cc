#include "core/ports/crypto.h"

#include <array>
#include <cstdint>

namespace stagecheck {
namespace {

// Each byte's hex digit value, or -1: one load a character, where three
// range tests cost ~14 instructions (every webhook decodes 64 of them).
constexpr std::array<int8_t, 256> kHexDigitValues = [] {
  std::array<int8_t, 256> values{};
  values.fill(-1);
  for (int c = 0; c < 10; ++c) values['0' + c] = static_cast<int8_t>(c);
  for (int c = 0; c < 6; ++c) {
    values['a' + c] = static_cast<int8_t>(10 + c);
    values['A' + c] = static_cast<int8_t>(10 + c);
  }
  return values;
}();

}  // namespace

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(b[i]);
  }
  return diff == 0;
}

std::string HexEncode(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  // Sized once and filled by index: push_back's checks were most of the cost
  // (it hex-encodes every webhook's HMAC and every id).
  std::string out(bytes.size() * 2, '\0');
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kDigits[c >> 4];
    out[2 * i + 1] = kDigits[c & 0xf];
  }
  return out;
}

int HexDigitValue(char c) { return kHexDigitValues[static_cast<unsigned char>(c)]; }

namespace {

// Decodes `text` (2 * out.size() hex digits) into `out`; false on a
// character that is not a hex digit.
bool DecodeHexInto(std::string_view text, char* out, size_t size) {
  for (size_t i = 0; i < size; ++i) {
    const int high = HexDigitValue(text[2 * i]);
    const int low = HexDigitValue(text[2 * i + 1]);
    if (high < 0 || low < 0) return false;
    out[i] = static_cast<char>((high << 4) | low);
  }
  return true;
}

}  // namespace

std::optional<std::string> HexDecode(std::string_view text) {
  if (text.size() % 2 != 0) return std::nullopt;
  std::string out(text.size() / 2, '\0');
  if (!DecodeHexInto(text, out.data(), out.size())) return std::nullopt;
  return out;
}

std::optional<Sha256Digest> HexDecodeDigest(std::string_view text) {
  Sha256Digest out;
  if (text.size() != 2 * out.bytes.size()) return std::nullopt;
  if (!DecodeHexInto(text, out.bytes.data(), out.bytes.size())) return std::nullopt;
  return out;
}

}  // namespace stagecheck
