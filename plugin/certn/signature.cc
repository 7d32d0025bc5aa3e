#include "plugin/certn/signature.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/errors.h"
#include "core/strings.h"

namespace stagecheck::certn_plugin {
namespace {

absl::Status Refuse(std::string_view code, std::string_view message) {
  return Error(absl::StatusCode::kUnauthenticated, code, message);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The bytes a hex string spells, in either case: the encoding is a guess
// (docs/certn-api.md), and case carries no information. Empty when `s` is
// empty or not hex.
std::string HexBytes(std::string_view s) {
  if (s.size() % 2 != 0) return "";
  std::string out(s.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    const int high = HexValue(s[2 * i]);
    const int low = HexValue(s[2 * i + 1]);
    if (high < 0 || low < 0) return "";
    out[i] = static_cast<char>((high << 4) | low);
  }
  return out;
}

// Compares raw HMACs: hex-encoding each one per delivery cost more than the
// comparison.
bool MatchesAny(const Crypto& crypto, std::string_view message, std::string_view provided_hex,
                const std::vector<std::string>& secrets) {
  const std::string provided = HexBytes(provided_hex);
  bool matched = false;
  for (const std::string& secret : secrets) {
    // No early exit: the time taken does not tell which secret matched.
    matched |= ConstantTimeEquals(crypto.HmacSha256(secret, message), provided);
  }
  return matched;
}

}  // namespace

absl::StatusOr<ParsedCertnSignature> ParseCertnSignature(std::string_view header) {
  ParsedCertnSignature parsed;
  bool have_t = false;
  for (absl::string_view element : absl::StrSplit(ToAbsl(header), ',')) {
    element = absl::StripAsciiWhitespace(element);
    size_t eq = element.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError("Certn-Signature element without '='");
    }
    absl::string_view prefix = element.substr(0, eq);
    absl::string_view value = element.substr(eq + 1);
    if (prefix == "t") {
      if (have_t || !absl::SimpleAtoi(value, &parsed.timestamp) || parsed.timestamp < 0) {
        return absl::InvalidArgumentError("Certn-Signature has a bad or repeated timestamp");
      }
      have_t = true;
    } else if (prefix == "v1") {
      if (value.size() != 64 || HexBytes(ToStd(value)).empty()) {
        return absl::InvalidArgumentError("Certn-Signature v1 is not a hex SHA-256 HMAC");
      }
      parsed.v1.emplace_back(value);
    }
    // Other schemes (v0, v2, ...) are ignored, as Certn documents.
  }
  if (!have_t) return absl::InvalidArgumentError("Certn-Signature has no timestamp");
  if (parsed.v1.empty()) return absl::InvalidArgumentError("Certn-Signature has no v1 signature");
  return parsed;
}

absl::Status VerifySignature(const Crypto& crypto, const SignatureCheck& check,
                             std::string_view body, const std::vector<std::string>& secrets,
                             absl::Time now, absl::Duration tolerance) {
  if (secrets.empty()) return Refuse("no_secret", "the team has no webhook secret");
  if (check.scheme == SignatureScheme::kXSignature) {
    std::string_view value = check.header_value;
    if (value.size() != 64)
      return Refuse("malformed_signature", "X-Signature is not a hex SHA-256 HMAC");
    if (!MatchesAny(crypto, body, value, secrets)) {
      return Refuse("bad_signature", "X-Signature does not match");
    }
    return absl::OkStatus();
  }
  absl::StatusOr<ParsedCertnSignature> parsed = ParseCertnSignature(check.header_value);
  if (!parsed.ok()) return Refuse("malformed_signature", ToStd(parsed.status().message()));
  absl::Time signed_at = absl::FromUnixSeconds(parsed->timestamp);
  if (signed_at < now - tolerance || signed_at > now + tolerance) {
    return Refuse("stale_signature", "Certn-Signature timestamp is outside the tolerance window");
  }
  std::string message = absl::StrCat(parsed->timestamp, ".", ToAbsl(body));
  bool matched = false;
  for (const std::string& v1 : parsed->v1) matched |= MatchesAny(crypto, message, v1, secrets);
  if (!matched) return Refuse("bad_signature", "no Certn-Signature v1 value matches");
  return absl::OkStatus();
}

std::string SignXSignature(const Crypto& crypto, std::string_view secret, std::string_view body) {
  return HexEncode(crypto.HmacSha256(secret, body));
}

std::string SignCertnSignature(const Crypto& crypto, std::string_view secret, int64_t timestamp,
                               std::string_view body) {
  std::string message = absl::StrCat(timestamp, ".", ToAbsl(body));
  return absl::StrCat("t=", timestamp, ",v1=", HexEncode(crypto.HmacSha256(secret, message)));
}

}  // namespace stagecheck::certn_plugin
